-- Accelerator summaries of one month (or all: all_months = 1) in the shape of APEL's work
-- in progress (pull request 459, schema/apel/accelerator_pr459.sql): it has no FQAN and no
-- UpdateTime, so both are NULL here (typed, so that both read paths see the same types).
SELECT
    Month, Year, SiteName, GlobalUserName, CAST(NULL AS CHAR(255)) AS FQAN, Type, Model, Count, Cores,
    AvailableDuration, ActiveDuration, BenchmarkType, Benchmark, AssociatedRecordType, NumberOfRecords,
    CAST(NULL AS DATETIME) AS UpdateTime
FROM AcceleratorSummaries
WHERE %(all_months)s OR (Year = %(year)s AND Month = %(month)s)
