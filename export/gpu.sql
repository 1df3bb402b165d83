-- APEL accelerator summaries of one month (a flat table: names, not ids).
SELECT
    Month, Year, SiteName, GlobalUserName, FQAN, Type, Model, Count, Cores, AvailableDuration,
    ActiveDuration, BenchmarkType, Benchmark, AssociatedRecordType, NumberOfRecords, UpdateTime
FROM AcceleratorSummaries
WHERE Year = %(year)s AND Month = %(month)s
