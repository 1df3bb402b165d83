-- A name the portal gives to a benchmark type the source did not record (cubes/catalogue.toml
-- [labels]), for canonical_benchmark. Absent names are NULL in the cubes, labelled by the site.
SET VARIABLE label_{name} = $value
