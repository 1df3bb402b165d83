-- The ids MariaDB gave those names.
SELECT id, name FROM `{table}`
