-- What each month holds: the exporter re-reads a month whose row count or latest update
-- changed since the last export (so deletions are caught too). Run for a span of years at
-- a time (NULL: open-ended), several spans on parallel connections.
SELECT Year, Month, COUNT(*) AS row_count, MAX(UpdateTime) AS max_update
FROM HybridSuperSummaries
WHERE (%(from_year)s IS NULL OR Year >= %(from_year)s) AND (%(to_year)s IS NULL OR Year < %(to_year)s)
GROUP BY Year, Month
ORDER BY Year, Month
