-- Data-quality findings of the storage records, by finding and site: sites whose reports
-- stopped, months without a snapshot between a site's first and last one, snapshots that
-- use more than they were allocated (kept), names withheld as personal data, and records
-- the export quarantined.
WITH site_months AS (
    SELECT Site, Year * 12 + Month - 1 AS m, sum(snapshots) AS snapshots
    FROM storage_monthly GROUP BY ALL
),
span AS (
    SELECT Site, min(m) AS first_m, max(m) AS last_m FROM site_months GROUP BY Site
),
latest AS (
    SELECT max(m) AS m FROM site_months
),
findings AS (
    -- The reference is the latest month any site reported: a site two or more months behind it stopped.
    SELECT 'storage reports stopped' AS finding, span.Site AS subject,
        'no snapshot since ' || month_label(span.last_m // 12, span.last_m % 12 + 1) AS detail,
        month_label(span.last_m // 12, span.last_m % 12 + 1) AS ym, 0 AS records
    FROM span, latest WHERE span.last_m <= latest.m - 2
    UNION ALL
    SELECT 'storage month without a snapshot', span.Site,
        'shown as missing, not as zero',
        month_label(g.m // 12, g.m % 12 + 1), 0
    FROM span, range(span.first_m, span.last_m + 1) AS g(m)
    WHERE NOT EXISTS (SELECT 1 FROM site_months AS s WHERE s.Site IS NOT DISTINCT FROM span.Site AND s.m = g.m)
    UNION ALL
    SELECT 'storage used above allocated', Site, 'snapshots using more than their allocation: suspicious but kept',
        month_label(Year, Month), over_allocated
    FROM storage_monthly WHERE over_allocated > 0
    UNION ALL
    SELECT withheld_finding(), Site, withheld_detail(withheld), month_label(Year, Month), 1
    FROM stg_storage WHERE withheld IS NOT NULL
    UNION ALL
    SELECT 'storage records quarantined by the export', quarantined_site(Site),
        reason || ': in no report, kept in data/source/quarantine', month_label(Year, Month), 1
    FROM src_quarantine_storage
)
SELECT * FROM summarise_findings(findings)
