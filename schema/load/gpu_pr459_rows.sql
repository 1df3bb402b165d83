-- The demo's accelerator rows as APEL's work in progress holds them (accelerator_pr459.sql;
-- run by DuckDB over the view of the demo's Parquet). That table has no FQAN, so the rows
-- of one user in several FQANs are one summary there: summed by its key, as a summariser
-- would (LOAD DATA would keep the first and drop the others). No UpdateTime either, and a
-- publisher's id it requires: with no DNs table to look a publisher up in, one fixed id.
ALTER VIEW gpu RENAME TO gpu_flat;
CREATE VIEW gpu AS
SELECT
    Month, Year, AssociatedRecordType, GlobalUserName, SiteName, Count, Cores, Type, Model, BenchmarkType, Benchmark,
    sum(AvailableDuration) AS AvailableDuration, sum(ActiveDuration) AS ActiveDuration,
    sum(NumberOfRecords) AS NumberOfRecords, 1 AS PublisherDNID
FROM gpu_flat
GROUP BY ALL
