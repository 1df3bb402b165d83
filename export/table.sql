-- A topology table's contract columns, as they are (columns and table come from
-- accounting/source/contracts.py, never from input).
SELECT {columns} FROM {table}
