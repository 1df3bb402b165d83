-- What each month of accelerator summaries holds in the shape of APEL's work in progress,
-- which has no UpdateTime: a month is re-read when its row count or its fingerprint
-- changed since the last export. The fingerprint is the sums of the numeric columns (with
-- the count of values of the nullable ones, so a NULL becoming 0 shows) and the sum of a
-- checksum of each row's columns that the export reads (so a corrected name, or values
-- swapped between rows, show too). Run for a span of years at a time (NULL: open), on
-- parallel connections.
SELECT
    Year, Month, COUNT(*) AS row_count,
    SUM(Count), SUM(AvailableDuration), SUM(ActiveDuration), COUNT(ActiveDuration), SUM(NumberOfRecords),
    SUM(Cores), COUNT(Cores), SUM(Benchmark), COUNT(Benchmark),
    SUM(CRC32(CONCAT_WS(',', QUOTE(AssociatedRecordType), QUOTE(GlobalUserName), QUOTE(SiteName), QUOTE(Count),
                        QUOTE(Cores), QUOTE(AvailableDuration), QUOTE(ActiveDuration), QUOTE(BenchmarkType),
                        QUOTE(Benchmark), QUOTE(Type), QUOTE(Model), QUOTE(NumberOfRecords)))) AS row_checksums
FROM AcceleratorSummaries
WHERE (%(from_year)s IS NULL OR Year >= %(from_year)s) AND (%(to_year)s IS NULL OR Year < %(to_year)s)
GROUP BY Year, Month
ORDER BY Year, Month
