-- What each month of StAR records holds (by EndTime): a month is re-read when its record
-- count or latest CreateTime changed (a republished record or a deletion changes them).
-- Run for a span of years at a time (NULL: open), on parallel connections.
SELECT YEAR(EndTime) AS Year, MONTH(EndTime) AS Month, COUNT(*) AS row_count, MAX(CreateTime) AS max_update
FROM StarRecords
WHERE (%(from_time)s IS NULL OR EndTime >= %(from_time)s) AND (%(to_time)s IS NULL OR EndTime < %(to_time)s)
GROUP BY YEAR(EndTime), MONTH(EndTime)
ORDER BY Year, Month
