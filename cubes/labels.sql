-- A name the portal gives to what the source leaves absent (cubes/catalogue.toml [labels]),
-- for the macros that name it (vo_name, canonical_benchmark).
SET VARIABLE label_{name} = $value
