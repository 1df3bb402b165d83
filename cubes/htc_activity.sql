-- Distinct counts per period (month and year) for every VO group and infrastructure
-- filter. Distinct counts do not add up across periods or groups, so each is counted
-- here from the rows, never summed from another count. One pass: each site, VO and user
-- gets the bit mask of the filters it was active under (see filter_mask), then each
-- filter counts the entities whose mask has its bit. Work without a VO or without a user
-- DN (local jobs) is no active VO or user.
WITH active AS (
    SELECT Year, Month, Site, CASE WHEN NOT vo_absent THEN VO END AS VO, GlobalUserName,
        bit_or(filter_mask(VOEGI, VOLHC, Infrastructure)) AS mask
    FROM stg_htc
    WHERE njobs > 0
    GROUP BY ALL
),
periods AS (
    SELECT 'month' AS period_kind, month_label(Year, Month) AS period, * FROM active
    UNION ALL
    SELECT 'year' AS period_kind, printf('%04d', Year) AS period, * FROM active
),
masks AS (
    SELECT period_kind, period, 'site' AS what, bit_or(mask) AS mask FROM periods GROUP BY period_kind, period, Site
    UNION ALL
    SELECT period_kind, period, 'vo', bit_or(mask) FROM periods WHERE VO IS NOT NULL GROUP BY period_kind, period, VO
    UNION ALL
    SELECT period_kind, period, 'user', bit_or(mask) FROM periods WHERE GlobalUserName IS NOT NULL
    GROUP BY period_kind, period, GlobalUserName
),
tally AS (
    SELECT period_kind, period, what, mask, count(*) AS n FROM masks GROUP BY ALL
)
SELECT
    t.period_kind, t.period, b.vo_group, b.infra_filter,
    coalesce(sum(t.n) FILTER (WHERE t.what = 'site'), 0)::BIGINT AS active_sites,
    coalesce(sum(t.n) FILTER (WHERE t.what = 'vo'), 0)::BIGINT AS active_vos,
    coalesce(sum(t.n) FILTER (WHERE t.what = 'user'), 0)::BIGINT AS active_users
FROM tally AS t
CROSS JOIN filter_bits() AS b
WHERE (t.mask >> b.bit) & 1 = 1
GROUP BY ALL
ORDER BY ALL
