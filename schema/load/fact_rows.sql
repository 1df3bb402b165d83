-- The fact rows with names replaced by ids (run by DuckDB, written as a TSV for LOAD DATA).
-- A NULL name gives a NULL id (LEFT JOIN).
SELECT {columns} FROM {view} AS f {joins}
