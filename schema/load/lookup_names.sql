-- Every name the demo's facts hold for one lookup table (run by DuckDB; a shared table,
-- Sites, gets the union of several datasets' columns).
SELECT DISTINCT name FROM ({names}) WHERE name IS NOT NULL ORDER BY 1
