-- Accelerator summaries as APEL's work in progress defines them (apel/apel pull request
-- 459), written for this project: flat names, no FQAN (so no VO), no UpdateTime, a
-- publisher id. Loaded instead of accelerator.sql to try the portal on that shape.
CREATE TABLE IF NOT EXISTS AcceleratorSummaries (
    Month INT NOT NULL,
    Year INT NOT NULL,
    AssociatedRecordType VARCHAR(255) NOT NULL,
    GlobalUserName VARCHAR(255),
    SiteName VARCHAR(255) NOT NULL,
    Count DECIMAL(10, 3) NOT NULL,
    Cores INT,
    AvailableDuration INT NOT NULL,
    ActiveDuration INT,
    BenchmarkType VARCHAR(255),
    Benchmark DECIMAL(10, 3),
    Type VARCHAR(255) NOT NULL,
    Model VARCHAR(255),
    NumberOfRecords INT NOT NULL,
    PublisherDNID INT NOT NULL,
    -- The summary key (its columns may be NULL and are longer than InnoDB's key limit:
    -- a UNIQUE key, which MariaDB keeps as a hash).
    UNIQUE KEY SummaryKey (Month, Year, AssociatedRecordType, GlobalUserName, SiteName, Count, Cores, Type, Model,
                           BenchmarkType, Benchmark)
);
