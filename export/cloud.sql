-- APEL cloud summaries of one month, with names (APEL's VCloudSummaries view).
SELECT
    SiteName, CloudComputeService, Month, Year, GlobalUserName, VO, VOGroup, VORole, Status, CloudType, ImageId,
    EarliestStartTime, LatestStartTime, WallDuration, CpuDuration, CpuCount, NetworkInbound, NetworkOutbound,
    Memory, Disk, BenchmarkType, Benchmark, NumberOfVMs, UpdateTime
FROM VCloudSummaries
WHERE Year = %(year)s AND Month = %(month)s
