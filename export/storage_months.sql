-- What each month of StAR records holds (by EndTime): a month is re-read when its record
-- count or latest CreateTime changed (a republished record or a deletion changes them).
SELECT YEAR(EndTime) AS Year, MONTH(EndTime) AS Month, COUNT(*) AS row_count, MAX(CreateTime) AS max_update
FROM StarRecords
GROUP BY YEAR(EndTime), MONTH(EndTime)
ORDER BY Year, Month
