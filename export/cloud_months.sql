-- What each month of cloud summaries holds: re-read when its row count or latest update
-- changed since the last export. Run for a span of years at a time (NULL: open), on
-- parallel connections.
SELECT Year, Month, COUNT(*) AS row_count, MAX(UpdateTime) AS max_update
FROM CloudSummaries
WHERE (%(from_year)s IS NULL OR Year >= %(from_year)s) AND (%(to_year)s IS NULL OR Year < %(to_year)s)
GROUP BY Year, Month
ORDER BY Year, Month
