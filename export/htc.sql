-- HTC summaries with names, one month (or all of them: all_months = 1): HybridSuperSummaries joined to its lookup tables
-- (APEL's VSuperSummaries has no normalised durations, so the join is done here). LEFT joins: a row whose id
-- has no name (a dangling SiteID) is read and quarantined by the validation, never lost in the join.
SELECT
    s.name AS Site, h.Month, h.Year, d.name AS GlobalUserName, v.name AS VO,
    g.name AS VOGroup, r.name AS VORole, sh.name AS SubmitHost, h.Infrastructure,
    h.ServiceLevelType, h.ServiceLevel, h.NodeCount, h.Processors,
    h.EarliestEndTime, h.LatestEndTime, h.WallDuration, h.CpuDuration,
    h.NormalisedWallDuration, h.NormalisedCpuDuration, h.NumberOfJobs, h.UpdateTime
FROM HybridSuperSummaries AS h
LEFT JOIN Sites AS s ON s.id = h.SiteID
LEFT JOIN DNs AS d ON d.id = h.GlobalUserNameID
LEFT JOIN VOs AS v ON v.id = h.VOID
LEFT JOIN VOGroups AS g ON g.id = h.VOGroupID
LEFT JOIN VORoles AS r ON r.id = h.VORoleID
LEFT JOIN SubmitHosts AS sh ON sh.id = h.SubmitHostId
WHERE %(all_months)s OR (h.Year = %(year)s AND h.Month = %(month)s)
