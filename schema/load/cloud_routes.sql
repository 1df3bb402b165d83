-- How demo --to-db sends the cloud summaries into MariaDB (run by DuckDB over the view
-- cloud, after htc_routes.sql, whose variables it reads): summaries of the months APEL
-- summarises every night that a set of VMs can give back (several VMs, or one whose first
-- and last start are the same; at most 200) arrive as one record per VM and month in
-- CloudRecords, summarised by SummariseVMs; every other summary goes straight into
-- CloudSummaries.

CREATE OR REPLACE VIEW cloud_routed AS
SELECT *,
       row_number() OVER (ORDER BY SiteName, CloudComputeService, Year, Month, GlobalUserName, VO, VOGroup, VORole,
                          Status, CloudType, ImageId, CpuCount, BenchmarkType, Benchmark) AS row_id
FROM cloud
WHERE Year * 12 + Month - 1 >= getvariable('resummarised_from')
  AND NumberOfVMs BETWEEN 1 AND 200 AND (NumberOfVMs > 1 OR EarliestStartTime = LatestStartTime)
  AND WallDuration IS NOT NULL AND CpuDuration IS NOT NULL;

CREATE OR REPLACE VIEW cloud_archive AS
SELECT * FROM cloud ANTI JOIN cloud_routed USING (SiteName, CloudComputeService, Year, Month, GlobalUserName, VO,
                                                   VOGroup, VORole, Status, CloudType, ImageId, CpuCount,
                                                   BenchmarkType, Benchmark);

-- A summary of n VMs as n records, each a VM's first of its life (nothing to subtract):
-- the sums shared out (the remainder to the first VMs), the last VM started at the latest
-- start time, the others at the earliest, each measured when the last one started.
CREATE OR REPLACE MACRO vm_share(total, n, v) AS total // n + (v < total % n)::INT;

CREATE OR REPLACE VIEW cloud_records AS
WITH vms AS (SELECT *, unnest(range(NumberOfVMs::BIGINT)) AS v FROM cloud_routed)
SELECT printf('demo-vm-%d-%d', row_id, v) AS VMUUID, SiteName, CloudComputeService, GlobalUserName, VO, VOGroup,
       VORole, Status, CloudType, ImageId,
       CASE WHEN v = NumberOfVMs - 1 THEN LatestStartTime ELSE EarliestStartTime END AS StartTime,
       greatest(LatestStartTime, make_timestamptz(Year, Month, 1, 0, 0, 0.0, 'UTC')) AS MeasurementTime,
       greatest(LatestStartTime, make_timestamptz(Year, Month, 1, 0, 0, 0.0, 'UTC')) AS RecordCreateTime,
       Month AS MeasurementMonth, Year AS MeasurementYear,
       vm_share(WallDuration, NumberOfVMs, v) AS WallDuration, vm_share(CpuDuration, NumberOfVMs, v) AS CpuDuration,
       CpuCount, vm_share(NetworkInbound, NumberOfVMs, v) AS NetworkInbound,
       vm_share(NetworkOutbound, NumberOfVMs, v) AS NetworkOutbound, vm_share(Memory, NumberOfVMs, v) AS Memory,
       vm_share(Disk, NumberOfVMs, v) AS Disk, BenchmarkType, Benchmark, getvariable('publisher') AS PublisherDN
FROM vms;
