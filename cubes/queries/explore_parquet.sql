-- The explorer's Parquet download: the view's table as its CSV download holds it (the rows
-- of the table, Total and Percent, and the row_kind column; without the description line
-- and with text as it is), read back with the column types the table has and written by
-- DuckDB-WASM. {file} and {target} are file names registered in the browser's DuckDB,
-- {columns} the struct of column names and types ({'NGI': 'VARCHAR', '2025-01': 'DOUBLE', …}).
COPY (
    SELECT * FROM read_csv({file}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                           columns = {columns})
) TO {target} (FORMAT PARQUET)
