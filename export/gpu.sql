-- APEL accelerator summaries of one month (or all: all_months = 1) (a flat table: names, not ids).
SELECT
    Month, Year, SiteName, GlobalUserName, FQAN, Type, Model, Count, Cores, AvailableDuration,
    ActiveDuration, BenchmarkType, Benchmark, AssociatedRecordType, NumberOfRecords, UpdateTime
FROM AcceleratorSummaries
WHERE %(all_months)s OR (Year = %(year)s AND Month = %(month)s)
