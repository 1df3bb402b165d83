-- What each month of cloud summaries holds: re-read when its row count or latest update
-- changed since the last export.
SELECT Year, Month, COUNT(*) AS row_count, MAX(UpdateTime) AS max_update
FROM CloudSummaries
GROUP BY Year, Month
ORDER BY Year, Month
