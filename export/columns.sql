-- A table's columns, without its rows: which of a source's shapes the table has (the
-- table comes from accounting/source/exporter.py, never from input).
SELECT * FROM {table} LIMIT 0
