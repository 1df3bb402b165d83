-- Empties one table before the demo is loaded (the name comes from accounting/source/db_load.py).
DELETE FROM `{table}`
