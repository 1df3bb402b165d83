-- APEL 2.5's cloud accounting tables (apel/apel schemas/cloud.sql, with its CpuCount
-- DECIMAL update applied), written for this project. A deployment may keep them in their
-- own database (ACCOUNTING_CLOUD_DB_URL), which then has its own lookup tables; in one
-- database with the grid tables the lookups are shared (CREATE ... IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS Sites (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS CloudComputeServices (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS DNs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VOs (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VOGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS VORoles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));

-- One record per VM and accounting month: its usage since it started, as measured at
-- MeasurementTime (ReplaceCloudRecord keeps the latest measurement of each month).
CREATE TABLE IF NOT EXISTS CloudRecords (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    RecordCreateTime DATETIME NOT NULL,
    VMUUID VARCHAR(255) NOT NULL,
    SiteID INT NOT NULL,
    CloudComputeServiceID INT NOT NULL,
    MachineName VARCHAR(255),
    LocalUserId VARCHAR(255),
    LocalGroupId VARCHAR(255),
    GlobalUserNameID INT NOT NULL,
    FQAN VARCHAR(255),
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    Status VARCHAR(255),
    StartTime DATETIME,
    EndTime DATETIME,
    MeasurementTime DATETIME NOT NULL,
    MeasurementMonth INT NOT NULL,
    MeasurementYear INT NOT NULL,
    SuspendDuration INT,
    WallDuration INT,
    CpuDuration INT,
    CpuCount DECIMAL(10, 3) UNSIGNED,
    NetworkType VARCHAR(255),
    NetworkInbound INT,
    NetworkOutbound INT,
    PublicIPCount INT,
    Memory INT,
    Disk INT,
    BenchmarkType VARCHAR(50) NOT NULL,
    Benchmark DECIMAL(10, 3) NOT NULL,
    StorageRecordId VARCHAR(255),
    ImageId VARCHAR(255),
    CloudType VARCHAR(255),
    PublisherDNID INT NOT NULL,
    PRIMARY KEY (VMUUID, MeasurementMonth, MeasurementYear),
    INDEX (UpdateTime),
    INDEX (GlobalUserNameID),
    INDEX (SiteID),
    INDEX (ImageId)
);

-- VMs per month: durations and volumes signed and nullable, the VM count nullable too.
CREATE TABLE IF NOT EXISTS CloudSummaries (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    SiteID INT NOT NULL,
    CloudComputeServiceID INT NOT NULL,
    Month INT NOT NULL,
    Year INT NOT NULL,
    GlobalUserNameID INT NOT NULL,
    VOID INT NOT NULL,
    VOGroupID INT NOT NULL,
    VORoleID INT NOT NULL,
    Status VARCHAR(255) NOT NULL,
    CloudType VARCHAR(255) NOT NULL,
    ImageId VARCHAR(255) NOT NULL,
    EarliestStartTime DATETIME,
    LatestStartTime DATETIME,
    WallDuration BIGINT,
    CpuDuration BIGINT,
    CpuCount DECIMAL(10, 3) UNSIGNED NOT NULL,
    NetworkInbound BIGINT,
    NetworkOutbound BIGINT,
    Memory BIGINT,
    Disk BIGINT,
    BenchmarkType VARCHAR(50) NOT NULL,
    Benchmark DECIMAL(10, 3) NOT NULL,
    NumberOfVMs INT,
    PublisherDNID VARCHAR(255),
    PRIMARY KEY (SiteID, CloudComputeServiceID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID, Status,
                 CloudType, ImageId, CpuCount, BenchmarkType, Benchmark)
);

CREATE TABLE IF NOT EXISTS LastUpdated (
    UpdateTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    Type VARCHAR(255) PRIMARY KEY
);

-- CloudSummaries with names: what the exporter reads (export/cloud.sql).
CREATE OR REPLACE VIEW VCloudSummaries AS
SELECT c.UpdateTime, site.name AS SiteName, service.name AS CloudComputeService, c.Month, c.Year,
       dn.name AS GlobalUserName, vo.name AS VO, vo_group.name AS VOGroup, vo_role.name AS VORole,
       c.Status, c.CloudType, c.ImageId, c.EarliestStartTime, c.LatestStartTime, c.WallDuration, c.CpuDuration,
       c.CpuCount, c.NetworkInbound, c.NetworkOutbound, c.Memory, c.Disk, c.BenchmarkType, c.Benchmark,
       c.NumberOfVMs
FROM CloudSummaries AS c
JOIN Sites AS site ON site.id = c.SiteID
JOIN CloudComputeServices AS service ON service.id = c.CloudComputeServiceID
JOIN DNs AS dn ON dn.id = c.GlobalUserNameID
JOIN VOs AS vo ON vo.id = c.VOID
JOIN VOGroups AS vo_group ON vo_group.id = c.VOGroupID
JOIN VORoles AS vo_role ON vo_role.id = c.VORoleID;

DELIMITER //

-- VM records summed per month into CloudSummaries (what APEL's SummariseVMs does). A VM's
-- record holds its usage since it started, so its usage in a month is that record minus
-- the VM's previous measurement; the month's summary sums those per key. Each run writes
-- every summary again.
CREATE OR REPLACE PROCEDURE SummariseVMs()
BEGIN
    REPLACE INTO CloudSummaries (SiteID, CloudComputeServiceID, Month, Year, GlobalUserNameID, VOID, VOGroupID,
        VORoleID, Status, CloudType, ImageId, EarliestStartTime, LatestStartTime, WallDuration, CpuDuration, CpuCount,
        NetworkInbound, NetworkOutbound, Memory, Disk, BenchmarkType, Benchmark, NumberOfVMs, PublisherDNID)
    SELECT m.SiteID, m.CloudComputeServiceID, m.MeasurementMonth, m.MeasurementYear,
           m.GlobalUserNameID, m.VOID, m.VOGroupID, m.VORoleID, m.Status, m.CloudType,
           m.ImageId, MIN(m.StartTime), MAX(m.StartTime), SUM(m.wall), SUM(m.cpu), m.CpuCount,
           SUM(m.net_in), SUM(m.net_out), SUM(m.Memory), SUM(m.Disk), m.BenchmarkType,
           m.Benchmark, COUNT(*), 'summariser'
    FROM (
        SELECT r.*,
               r.WallDuration - IFNULL(LAG(r.WallDuration) OVER vm, 0) AS wall,
               r.CpuDuration - IFNULL(LAG(r.CpuDuration) OVER vm, 0) AS cpu,
               r.NetworkInbound - IFNULL(LAG(r.NetworkInbound) OVER vm, 0) AS net_in,
               r.NetworkOutbound - IFNULL(LAG(r.NetworkOutbound) OVER vm, 0) AS net_out
        FROM CloudRecords AS r
        WINDOW vm AS (PARTITION BY r.VMUUID ORDER BY r.MeasurementTime)
    ) AS m
    GROUP BY m.SiteID, m.CloudComputeServiceID, m.MeasurementMonth, m.MeasurementYear,
             m.GlobalUserNameID, m.VOID, m.VOGroupID, m.VORoleID, m.Status, m.CloudType,
             m.ImageId, m.CpuCount, m.BenchmarkType, m.Benchmark;
END //

DELIMITER ;
