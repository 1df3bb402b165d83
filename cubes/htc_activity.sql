-- Distinct counts per period (month and year) for every VO group and infrastructure
-- filter. Distinct counts do not add up across periods or groups, so each is computed
-- here from the rows, never summed from another count.
WITH active AS (
    SELECT DISTINCT Year, Month, Site, VO, GlobalUserName, VOEGI, VOLHC, Infrastructure
    FROM stg_htc
    WHERE njobs > 0
),
periods AS (
    SELECT 'month' AS period_kind, month_label(Year, Month) AS period, * FROM active
    UNION ALL
    SELECT 'year' AS period_kind, printf('%04d', Year) AS period, * FROM active
),
filters AS (
    SELECT * FROM (VALUES ('all'), ('egi'), ('lhc')) AS g(vo_group)
    CROSS JOIN (VALUES ('localinfrajobs'), ('onlyinfrajobs'), ('onlylocaljobs')) AS f(infra_filter)
)
SELECT
    p.period_kind, p.period, f.vo_group, f.infra_filter,
    count(DISTINCT p.Site)::BIGINT AS active_sites,
    count(DISTINCT p.VO)::BIGINT AS active_vos,
    count(DISTINCT p.GlobalUserName)::BIGINT AS active_users
FROM periods AS p
JOIN filters AS f
    ON in_vo_group(f.vo_group, p.VOEGI, p.VOLHC) AND in_infra_filter(f.infra_filter, p.Infrastructure)
GROUP BY ALL
ORDER BY ALL
