-- What each month of accelerator summaries holds: re-read when its row count or latest
-- update changed since the last export.
SELECT Year, Month, COUNT(*) AS row_count, MAX(UpdateTime) AS max_update
FROM AcceleratorSummaries
GROUP BY Year, Month
ORDER BY Year, Month
