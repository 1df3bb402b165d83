-- The source database as a real APEL server keeps it: names in lookup
-- tables, facts referencing them by id, plus the portal's own topology tables beside.
-- `build.py demo --to-db` creates this schema; the exporter reads any database with it.
-- Names compare case-sensitively (utf8mb4_bin): "ATLAS" and "atlas" are reported apart.

CREATE TABLE IF NOT EXISTS Sites (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS DNs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VOs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VOGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS VORoles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS SubmitHosts (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS CloudComputeServices (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS StorageSystems (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS StorageShares (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS StorageMedia (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS StorageClasses (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS UserIdentities (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `Groups` (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS SubGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS Roles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, UNIQUE (name)) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

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

-- APEL cloud summaries: VMs per month, site, cloud compute service, user, VO, status, image,
-- vCPUs and benchmark. The summary key is UNIQUE, not the PRIMARY KEY: BenchmarkType and
-- Benchmark may be NULL (no benchmark published), which no PRIMARY KEY column can be. Unlike
-- AcceleratorSummaries' names, its ids keep it within InnoDB's 3072-byte key limit (two
-- VARCHAR(255) and one VARCHAR(50) utf8mb4 columns, the rest integers), so it is an ordinary
-- B-tree. As in any UNIQUE key, NULLs compare distinct: rows without a benchmark are not
-- checked against each other.
CREATE TABLE IF NOT EXISTS CloudSummaries (
    SiteID INT NOT NULL,
    CloudComputeServiceID INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    GlobalUserNameID INT NOT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    Status VARCHAR(255) NOT NULL,
    CloudType VARCHAR(255),
    ImageId VARCHAR(255) NOT NULL,
    EarliestStartTime DATETIME,
    LatestStartTime DATETIME,
    WallDuration BIGINT UNSIGNED NOT NULL,
    CpuDuration BIGINT UNSIGNED NOT NULL,
    CpuCount INT NOT NULL,
    NetworkInbound BIGINT UNSIGNED,
    NetworkOutbound BIGINT UNSIGNED,
    Memory BIGINT UNSIGNED,
    Disk BIGINT UNSIGNED,
    BenchmarkType VARCHAR(50),
    Benchmark DECIMAL(10, 3),
    NumberOfVMs BIGINT UNSIGNED NOT NULL,
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    UNIQUE KEY SummaryKey (SiteID, CloudComputeServiceID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID,
                           Status, ImageId, CpuCount, BenchmarkType),
    -- Covers the exporter's per-month row count and latest update (export/cloud_months.sql):
    -- without it that query scans the whole table (HTC: 29 s instead of 3.5 s at 10 M rows).
    INDEX YearMonthUpdate (Year, Month, UpdateTime)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- CloudSummaries with names, as APEL's view: the columns of the cloud contract.
CREATE OR REPLACE VIEW VCloudSummaries AS
SELECT sites.name AS SiteName, services.name AS CloudComputeService, c.Month, c.Year,
       dns.name AS GlobalUserName, vos.name AS VO, vo_groups.name AS VOGroup, vo_roles.name AS VORole,
       c.Status, c.CloudType, c.ImageId, c.EarliestStartTime, c.LatestStartTime, c.WallDuration,
       c.CpuDuration, c.CpuCount, c.NetworkInbound, c.NetworkOutbound, c.Memory, c.Disk,
       c.BenchmarkType, c.Benchmark, c.NumberOfVMs, c.UpdateTime
FROM CloudSummaries AS c
JOIN Sites AS sites ON sites.id = c.SiteID
JOIN CloudComputeServices AS services ON services.id = c.CloudComputeServiceID
JOIN DNs AS dns ON dns.id = c.GlobalUserNameID
JOIN VOs AS vos ON vos.id = c.VOID
JOIN VOGroups AS vo_groups ON vo_groups.id = c.VOGroupID
JOIN VORoles AS vo_roles ON vo_roles.id = c.VORoleID;

-- StAR storage records: raw capacity snapshots (APEL keeps no storage summary). A record
-- published again for the same period (a later CreateTime) replaces the earlier one.
CREATE TABLE IF NOT EXISTS StarRecords (
    RecordId VARCHAR(255) NOT NULL PRIMARY KEY,
    CreateTime DATETIME NOT NULL,
    StorageSystemID INT NOT NULL,
    SiteID INT NOT NULL,
    StorageShareID INT,
    StorageMediaID INT,
    StorageClassID INT,
    FileCount BIGINT UNSIGNED,
    DirectoryPath VARCHAR(255),
    LocalUser VARCHAR(255),
    LocalGroup VARCHAR(255),
    UserIdentityID INT,
    GroupID INT,
    SubGroupID INT,
    RoleID INT,
    StartTime DATETIME NOT NULL,
    EndTime DATETIME NOT NULL,
    ResourceCapacityUsed BIGINT UNSIGNED NOT NULL,
    LogicalCapacityUsed BIGINT UNSIGNED,
    ResourceCapacityAllocated BIGINT UNSIGNED,
    -- The exporter reads storage per month of EndTime (with the latest CreateTime, to see
    -- which months changed): without this index every such query scans the whole table.
    INDEX EndTime (EndTime, CreateTime)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- StarRecords with names: ids that may be NULL are LEFT JOINed so that they stay NULL.
CREATE OR REPLACE VIEW VStarRecords AS
SELECT r.RecordId, r.CreateTime, systems.name AS StorageSystem, sites.name AS Site,
       shares.name AS StorageShare, media.name AS StorageMedia, classes.name AS StorageClass,
       r.FileCount, r.DirectoryPath, r.LocalUser, r.LocalGroup, identities.name AS UserIdentity,
       vo_groups.name AS `Group`, subgroups.name AS SubGroup, roles.name AS Role,
       r.StartTime, r.EndTime, r.ResourceCapacityUsed, r.LogicalCapacityUsed, r.ResourceCapacityAllocated
FROM StarRecords AS r
JOIN StorageSystems AS systems ON systems.id = r.StorageSystemID
JOIN Sites AS sites ON sites.id = r.SiteID
LEFT JOIN StorageShares AS shares ON shares.id = r.StorageShareID
LEFT JOIN StorageMedia AS media ON media.id = r.StorageMediaID
LEFT JOIN StorageClasses AS classes ON classes.id = r.StorageClassID
LEFT JOIN UserIdentities AS identities ON identities.id = r.UserIdentityID
LEFT JOIN `Groups` AS vo_groups ON vo_groups.id = r.GroupID
LEFT JOIN SubGroups AS subgroups ON subgroups.id = r.SubGroupID
LEFT JOIN Roles AS roles ON roles.id = r.RoleID;

-- APEL accelerator (GPU) summaries: newer than the other facts and flat (names, not ids).
-- The summary key is UNIQUE, not the PRIMARY KEY: its five VARCHAR(255) utf8mb4 columns are
-- longer than InnoDB's 3072-byte key limit (MariaDB makes a long UNIQUE key a hash) and the
-- benchmark columns may be NULL, which no PRIMARY KEY column can be. As in any UNIQUE key,
-- NULLs compare distinct, so two rows without a benchmark are not checked against each other.
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
    UNIQUE KEY SummaryKey (Month, Year, SiteName, GlobalUserName, FQAN, Type, Model, Count, Cores,
                           BenchmarkType, Benchmark, AssociatedRecordType),
    -- Covers the exporter's per-month row count and latest update, as on HybridSuperSummaries:
    -- without it that query scans the whole table.
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
CREATE TABLE IF NOT EXISTS topology_gpu_models (
    Model VARCHAR(255) NOT NULL PRIMARY KEY, Vendor VARCHAR(255) NOT NULL, Category VARCHAR(255) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
