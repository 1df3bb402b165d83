-- The names of one lookup table (Sites, VOs, DNs, ...), one row each.
INSERT INTO `{table}` (name) VALUES (%s)
