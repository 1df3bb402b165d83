-- APEL 2.5's grid accounting tables (apel/apel schemas/server.sql) as the portal relies on
-- them, written for this project: same table and column names, types, defaults and keys,
-- so that the exporter meets here what it meets on a production APEL server. The table
-- options are left to the server, as APEL leaves them: the lookups' names then compare in
-- the server's default collation (case-insensitive on Debian's utf8mb4_general_ci), so
-- "ATLAS" and "atlas" share one id, and the index on `name` is not unique.
-- Run with `DELIMITER` lines as the mariadb client reads them (accounting/source/db_load.py
-- does the same).

-- Names, one row each, looked up by the *Lookup functions below.
CREATE TABLE IF NOT EXISTS Sites (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS DNs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS SubmitHosts (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS MachineNames (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS Queues (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VOs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VOGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VORoles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));

-- Individual job records, as the loader stores them (ReplaceJobRecord).
CREATE TABLE IF NOT EXISTS JobRecords (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    SubmitHostID INT NOT NULL,
    MachineNameID INT NOT NULL,
    QueueID INT NOT NULL,
    LocalJobId VARCHAR(255) NOT NULL,
    LocalUserId VARCHAR(255),
    GlobalUserNameID INT NOT NULL,
    FQAN VARCHAR(255) DEFAULT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    WallDuration BIGINT UNSIGNED,
    CpuDuration BIGINT UNSIGNED,
    NodeCount INT UNSIGNED NOT NULL DEFAULT 0,
    Processors INT UNSIGNED NOT NULL DEFAULT 0,
    MemoryReal BIGINT UNSIGNED,
    MemoryVirtual BIGINT UNSIGNED,
    StartTime DATETIME NOT NULL,
    EndTime DATETIME NOT NULL,
    EndYear INT,
    EndMonth INT,
    InfrastructureDescription VARCHAR(100),
    InfrastructureType VARCHAR(20),
    ServiceLevelType VARCHAR(50) NOT NULL,
    ServiceLevel DECIMAL(10, 3) NOT NULL,
    PublisherDNID INT NOT NULL,
    PRIMARY KEY (SiteID, LocalJobId, EndTime),
    INDEX SummaryIdx (SiteID, VOID, GlobalUserNameID, VOGroupID, VORoleID, EndYear, EndMonth, InfrastructureType,
                      SubmitHostID, ServiceLevelType, ServiceLevel, NodeCount, Processors, EndTime, WallDuration,
                      CpuDuration),
    INDEX UASIdx (VOID, UpdateTime)
);

-- Summaries published by sites (ReplaceSummary): raw durations and the benchmark.
CREATE TABLE IF NOT EXISTS Summaries (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    GlobalUserNameID INT NOT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    SubmitHostId INT NOT NULL,
    InfrastructureType VARCHAR(20),
    InfrastructureDescription VARCHAR(100),
    ServiceLevelType VARCHAR(50) NOT NULL,
    ServiceLevel DECIMAL(10, 3) NOT NULL,
    NodeCount INT NOT NULL,
    Processors INT NOT NULL,
    EarliestEndTime DATETIME,
    LatestEndTime DATETIME,
    WallDuration BIGINT UNSIGNED NOT NULL,
    CpuDuration BIGINT UNSIGNED NOT NULL,
    NumberOfJobs BIGINT UNSIGNED NOT NULL,
    PublisherDNID INT NOT NULL,
    PRIMARY KEY (SiteID, Month, Year, GlobalUserNameID, VOID, VORoleID, VOGroupID, SubmitHostId, InfrastructureType,
                 ServiceLevelType, ServiceLevel, NodeCount, Processors)
);

-- Summaries published already normalised (ReplaceNormalisedSummary): no benchmark value.
CREATE TABLE IF NOT EXISTS NormalisedSummaries (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    GlobalUserNameID INT NOT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    SubmitHostId INT NOT NULL,
    Infrastructure VARCHAR(20),
    InfrastructureDescription VARCHAR(100),
    ServiceLevelType VARCHAR(50) NOT NULL DEFAULT '',
    NodeCount INT NOT NULL,
    Processors INT NOT NULL,
    EarliestEndTime DATETIME,
    LatestEndTime DATETIME,
    WallDuration BIGINT UNSIGNED NOT NULL,
    CpuDuration BIGINT UNSIGNED NOT NULL,
    NormalisedWallDuration BIGINT UNSIGNED NOT NULL,
    NormalisedCpuDuration BIGINT UNSIGNED NOT NULL,
    NumberOfJobs BIGINT UNSIGNED NOT NULL,
    PublisherDNID INT NOT NULL,
    PRIMARY KEY (SiteID, Month, Year, GlobalUserNameID, VOID, VORoleID, VOGroupID, SubmitHostId, Infrastructure,
                 NodeCount, Processors, ServiceLevelType)
);

-- What the portal reads: every summary with its normalised durations. ServiceLevel
-- defaults to 0 because normalised summaries, copied in, have none.
CREATE TABLE IF NOT EXISTS HybridSuperSummaries (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    GlobalUserNameID INT NOT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    SubmitHostId INT NOT NULL,
    Infrastructure VARCHAR(20) NOT NULL,
    InfrastructureDescription VARCHAR(100),
    ServiceLevelType VARCHAR(50) NOT NULL,
    ServiceLevel DECIMAL(10, 3) NOT NULL DEFAULT 0,
    NodeCount INT NOT NULL,
    Processors INT NOT NULL,
    EarliestEndTime DATETIME,
    LatestEndTime DATETIME,
    WallDuration BIGINT UNSIGNED NOT NULL,
    CpuDuration BIGINT UNSIGNED NOT NULL,
    NormalisedWallDuration BIGINT UNSIGNED NOT NULL,
    NormalisedCpuDuration BIGINT UNSIGNED NOT NULL,
    NumberOfJobs BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (SiteID, Month, Year, GlobalUserNameID, VOID, VORoleID, VOGroupID, SubmitHostId, Infrastructure,
                 ServiceLevelType, ServiceLevel, NodeCount, Processors)
);

CREATE TABLE IF NOT EXISTS SyncRecords (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    SubmitHostID INT NOT NULL,
    NumberOfJobs INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    PublisherDNID INT NOT NULL,
    PRIMARY KEY (SiteID, SubmitHostID, Month, Year)
);

CREATE TABLE IF NOT EXISTS LastUpdated (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    Type VARCHAR(255) PRIMARY KEY
);

DELIMITER //

-- The normalisation APEL applies: the benchmark value per core, si2k in units of 250
-- (HEPSPEC06 and HEPscore23 count 1:1); negative durations count as 0. The products are
-- exact DECIMALs, rounded half away from zero once, on the month's sum.
CREATE OR REPLACE FUNCTION NormalisedSeconds(seconds DECIMAL(40, 0), kind VARCHAR(50), level DECIMAL(10, 3))
RETURNS BIGINT UNSIGNED DETERMINISTIC
RETURN ROUND(GREATEST(seconds, 0) * CASE WHEN kind = 'si2k' THEN level / 250 ELSE level END) //

-- Job records summed per month into HybridSuperSummaries (what APEL's SummariseJobs does):
-- every summary the job records give is written again, replacing the previous one.
CREATE OR REPLACE PROCEDURE SummariseJobs()
BEGIN
    REPLACE INTO HybridSuperSummaries (SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID,
        SubmitHostId, Infrastructure, InfrastructureDescription, ServiceLevelType, ServiceLevel, NodeCount,
        Processors, EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NormalisedWallDuration,
        NormalisedCpuDuration, NumberOfJobs)
    SELECT j.SiteID, j.EndMonth, j.EndYear, j.GlobalUserNameID, j.VOID, j.VOGroupID, j.VORoleID, j.SubmitHostID,
           j.InfrastructureType, MAX(j.InfrastructureDescription), j.ServiceLevelType, j.ServiceLevel, j.NodeCount,
           j.Processors, MIN(j.EndTime), MAX(j.EndTime), SUM(j.WallDuration), SUM(j.CpuDuration),
           NormalisedSeconds(SUM(GREATEST(j.WallDuration, 0)), j.ServiceLevelType, j.ServiceLevel),
           NormalisedSeconds(SUM(GREATEST(j.CpuDuration, 0)), j.ServiceLevelType, j.ServiceLevel),
           COUNT(*)
    FROM JobRecords AS j
    GROUP BY j.SiteID, j.VOID, j.GlobalUserNameID, j.VOGroupID, j.VORoleID, j.EndYear, j.EndMonth,
             j.InfrastructureType, j.SubmitHostID, j.ServiceLevelType, j.ServiceLevel, j.NodeCount, j.Processors;
END //

-- Site-published summaries normalised into HybridSuperSummaries (APEL's NormaliseSummaries).
CREATE OR REPLACE PROCEDURE NormaliseSummaries()
BEGIN
    REPLACE INTO HybridSuperSummaries (SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID,
        SubmitHostId, Infrastructure, InfrastructureDescription, ServiceLevelType, ServiceLevel, NodeCount,
        Processors, EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NormalisedWallDuration,
        NormalisedCpuDuration, NumberOfJobs)
    SELECT s.SiteID, s.Month, s.Year, s.GlobalUserNameID, s.VOID, s.VOGroupID, s.VORoleID, s.SubmitHostId,
           s.InfrastructureType, s.InfrastructureDescription, s.ServiceLevelType, s.ServiceLevel, s.NodeCount,
           s.Processors, s.EarliestEndTime, s.LatestEndTime, s.WallDuration, s.CpuDuration,
           NormalisedSeconds(s.WallDuration, s.ServiceLevelType, s.ServiceLevel),
           NormalisedSeconds(s.CpuDuration, s.ServiceLevelType, s.ServiceLevel),
           s.NumberOfJobs
    FROM Summaries AS s;
END //

-- Normalised summaries copied into HybridSuperSummaries as they came (APEL's
-- CopyNormalisedSummaries): they have no benchmark value, so ServiceLevel takes the
-- column's default, 0, and the benchmark type is whatever the site wrote ('None' too).
CREATE OR REPLACE PROCEDURE CopyNormalisedSummaries()
BEGIN
    REPLACE INTO HybridSuperSummaries (SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID,
        SubmitHostId, Infrastructure, InfrastructureDescription, ServiceLevelType, NodeCount, Processors,
        EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NormalisedWallDuration, NormalisedCpuDuration,
        NumberOfJobs)
    SELECT n.SiteID, n.Month, n.Year, n.GlobalUserNameID, n.VOID, n.VOGroupID, n.VORoleID, n.SubmitHostId,
           n.Infrastructure, n.InfrastructureDescription, n.ServiceLevelType, n.NodeCount, n.Processors,
           n.EarliestEndTime, n.LatestEndTime, n.WallDuration, n.CpuDuration, n.NormalisedWallDuration,
           n.NormalisedCpuDuration, n.NumberOfJobs
    FROM NormalisedSummaries AS n;
END //

DELIMITER ;
