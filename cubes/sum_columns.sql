-- A metric family's sum columns (cubes/catalogue.toml), for the *_sum_column macros.
SET VARIABLE {family}_sum_columns = $columns
