-- APEL cloud summaries of one month (or all: all_months = 1), with names. CloudSummaries is read with LEFT joins
-- rather than through APEL's VCloudSummaries view, whose inner joins would drop a summary with a dangling id
-- unseen: here such a row comes with a NULL name, and the validation quarantines it with its reason.
SELECT
    s.name AS SiteName, cs.name AS CloudComputeService, c.Month, c.Year, d.name AS GlobalUserName, v.name AS VO,
    g.name AS VOGroup, r.name AS VORole, c.Status, c.CloudType, c.ImageId,
    c.EarliestStartTime, c.LatestStartTime, c.WallDuration, c.CpuDuration, c.CpuCount, c.NetworkInbound,
    c.NetworkOutbound, c.Memory, c.Disk, c.BenchmarkType, c.Benchmark, c.NumberOfVMs, c.UpdateTime
FROM CloudSummaries AS c
LEFT JOIN Sites AS s ON s.id = c.SiteID
LEFT JOIN CloudComputeServices AS cs ON cs.id = c.CloudComputeServiceID
LEFT JOIN DNs AS d ON d.id = c.GlobalUserNameID
LEFT JOIN VOs AS v ON v.id = c.VOID
LEFT JOIN VOGroups AS g ON g.id = c.VOGroupID
LEFT JOIN VORoles AS r ON r.id = c.VORoleID
WHERE %(all_months)s OR (c.Year = %(year)s AND c.Month = %(month)s)
