-- One topology table's rows (columns from accounting/source/contracts.py).
INSERT INTO {table} ({columns}) VALUES ({marks})
