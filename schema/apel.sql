-- The source database as a real APEL server keeps it (DESIGN §3): names in lookup
-- tables, facts referencing them by id, plus the portal's own topology tables beside.
-- `build.py demo --to-db` creates this schema; the exporter reads any database with it.
-- Names compare case-sensitively (utf8mb4_bin): "ATLAS" and "atlas" are reported apart.

CREATE TABLE IF NOT EXISTS Sites (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS DNs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VOs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VOGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VORoles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS SubmitHosts (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS HybridSuperSummaries (
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
    ServiceLevelType VARCHAR(50) NOT NULL,
    ServiceLevel DECIMAL(10, 3) NOT NULL,
    NodeCount INT NOT NULL,
    Processors INT NOT NULL,
    EarliestEndTime DATETIME,
    LatestEndTime DATETIME,
    WallDuration BIGINT UNSIGNED NOT NULL,
    CpuDuration BIGINT UNSIGNED NOT NULL,
    NormalisedWallDuration BIGINT UNSIGNED NOT NULL,
    NormalisedCpuDuration BIGINT UNSIGNED NOT NULL,
    NumberOfJobs BIGINT UNSIGNED NOT NULL,
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID, SubmitHostId,
                 Infrastructure, ServiceLevelType, ServiceLevel, NodeCount, Processors),
    -- Covers the exporter's per-month row count and latest update (export/htc_months.sql):
    -- without it that query scans the whole table (29 s instead of 3.5 s at 10 M rows).
    INDEX YearMonthUpdate (Year, Month, UpdateTime)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS LastUpdated (
    Type VARCHAR(255) NOT NULL PRIMARY KEY,
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Portal-owned topology: the same columns as the Parquet contract (accounting/contracts.py).
CREATE TABLE IF NOT EXISTS topology_sites (
    Site VARCHAR(255) NOT NULL, NGI VARCHAR(255) NOT NULL, Country VARCHAR(255) NOT NULL,
    Tier VARCHAR(20), Federation VARCHAR(255), Infrastructure VARCHAR(50) NOT NULL,
    Certified BOOLEAN NOT NULL, Production BOOLEAN NOT NULL,
    ValidFrom DATE NOT NULL, ValidTo DATE,
    PRIMARY KEY (Site, ValidFrom)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_vos (
    VO VARCHAR(255) NOT NULL PRIMARY KEY, EGIOfficial BOOLEAN NOT NULL, LHC BOOLEAN NOT NULL,
    Discipline VARCHAR(255)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_disciplines (
    Discipline VARCHAR(255) NOT NULL PRIMARY KEY, Level2 VARCHAR(255) NOT NULL, Level1 VARCHAR(255) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_pledges (
    Federation VARCHAR(255) NOT NULL, Year INT NOT NULL,
    CpuHS23 DOUBLE NOT NULL, DiskTB DOUBLE NOT NULL, TapeTB DOUBLE NOT NULL,
    PRIMARY KEY (Federation, Year)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
