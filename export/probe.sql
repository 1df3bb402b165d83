-- The query run with no rows first: a missing table or column fails here, with its
-- one-line message, before any row is read.
SELECT * FROM ({query}) AS q LIMIT 0
