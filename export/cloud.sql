-- APEL cloud summaries of one month (or all: all_months = 1), with names (APEL's VCloudSummaries view).
SELECT
    SiteName, CloudComputeService, Month, Year, GlobalUserName, VO, VOGroup, VORole, Status, CloudType, ImageId,
    EarliestStartTime, LatestStartTime, WallDuration, CpuDuration, CpuCount, NetworkInbound, NetworkOutbound,
    Memory, Disk, BenchmarkType, Benchmark, NumberOfVMs, UpdateTime
FROM VCloudSummaries
WHERE %(all_months)s OR (Year = %(year)s AND Month = %(month)s)
