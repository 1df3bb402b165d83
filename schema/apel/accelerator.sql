-- Accelerator (GPU) summaries in the flat shape the portal has read so far: names, not
-- ids, with the FQAN (so a VO) and an UpdateTime. APEL 2.5 has no accelerator tables; its
-- work in progress (accelerator_pr459.sql) has neither column. The exporter reads both.
CREATE TABLE IF NOT EXISTS AcceleratorSummaries (
    Month INT NOT NULL,
    Year INT NOT NULL,
    SiteName VARCHAR(255) NOT NULL,
    GlobalUserName VARCHAR(255) NOT NULL,
    FQAN VARCHAR(255) NOT NULL,
    Type VARCHAR(255) NOT NULL,
    Model VARCHAR(255) NOT NULL,
    Count DECIMAL(10, 3) NOT NULL,
    Cores INT NOT NULL,
    AvailableDuration BIGINT UNSIGNED NOT NULL,
    ActiveDuration BIGINT UNSIGNED NOT NULL,
    BenchmarkType VARCHAR(255),
    Benchmark DECIMAL(10, 3),
    AssociatedRecordType VARCHAR(20) NOT NULL,
    NumberOfRecords BIGINT UNSIGNED NOT NULL,
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    -- Longer than InnoDB's key limit: MariaDB makes this UNIQUE key a hash. NULL benchmarks
    -- compare distinct, as in any UNIQUE key.
    UNIQUE KEY SummaryKey (Month, Year, SiteName, GlobalUserName, FQAN, Type, Model, Count, Cores,
                           BenchmarkType, Benchmark, AssociatedRecordType)
);
