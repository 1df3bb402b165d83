-- The WLCG cube: the HTC work of WLCG sites (a tier in topology/wlcg_sites for the site,
-- VO and month: stg_wlcg.sql) by month, tier, federation, country, site, the site's grid
-- (EGI or OSG, topology/sites Infrastructure), experiment (experiment(): the LHC VOs by
-- their WLCG names, every other VO "other"), VO-group flags and job type. Each site, VO and
-- month is in one federation, so federations add up to their tier and tiers to the total.
-- Sums as htc_monthly's (the benchmark types summed).
SELECT
    h.Year, h.Month, h.Tier, h.Federation, h.Country, h.Site, s.Infrastructure AS SiteGrid,
    experiment(h.VO) AS Experiment, h.VOEGI, h.VOLHC, h.Infrastructure,
    sum(COLUMNS(lambda c: htc_sum_column(c)))::DECIMAL(38, 0)
FROM htc_monthly AS h
LEFT JOIN src_sites AS s
    ON s.Site = h.Site
    AND valid_in_month(s.ValidFrom, s.ValidTo, h.Year, h.Month)
WHERE h.Tier IS NOT NULL
GROUP BY ALL
ORDER BY ALL
