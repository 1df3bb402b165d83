-- Loads the TSV of fact_rows.sql (the demo's text holds no tab, newline or backslash).
LOAD DATA LOCAL INFILE %(file)s INTO TABLE {table} FIELDS TERMINATED BY '\t' ({columns})
