-- What each month holds: the exporter re-reads a month whose row count or latest update
-- changed since the last export (so deletions are caught too).
SELECT Year, Month, COUNT(*) AS row_count, MAX(UpdateTime) AS max_update
FROM HybridSuperSummaries
GROUP BY Year, Month
ORDER BY Year, Month
