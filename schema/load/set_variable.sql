-- A value htc_routes.sql reads (run by DuckDB).
SET VARIABLE {name} = $value
