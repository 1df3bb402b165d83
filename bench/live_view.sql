-- What the old portal did for every page view, for the benchmark's view (normalised CPU by
-- NGI and month, EGI official VOs, grid jobs, a twelve-month period): one SQL query over
-- APEL's HybridSuperSummaries with the portal's topology, on the MariaDB server itself.
-- %(first)s and %(last)s are YYYYMM.
SELECT t.NGI, h.Year, h.Month, SUM(h.NormalisedCpuDuration) AS normcpu_s
FROM HybridSuperSummaries AS h
JOIN Sites AS s ON s.id = h.SiteID
JOIN VOs AS v ON v.id = h.VOID
JOIN topology_vos AS tv ON tv.VO = v.name AND tv.EGIOfficial
LEFT JOIN topology_sites AS t ON t.Site = s.name
    AND t.ValidFrom <= MAKEDATE(h.Year, 1) + INTERVAL (h.Month - 1) MONTH
    AND (t.ValidTo IS NULL OR MAKEDATE(h.Year, 1) + INTERVAL (h.Month - 1) MONTH < t.ValidTo)
WHERE h.Year * 100 + h.Month BETWEEN %(first)s AND %(last)s
    AND lower(h.Infrastructure) = 'grid'
GROUP BY t.NGI, h.Year, h.Month
