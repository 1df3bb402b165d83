-- Data-quality findings of the cloud summaries, by finding and site: CPU time above
-- wall time × vCPUs (kept), names withheld as personal data and quarantined records.
WITH findings AS (
    SELECT 'cloud CPU time above wall time × vCPUs' AS finding, Site AS subject, 'suspicious but kept' AS detail,
        month_label(Year, Month) AS ym, 1 AS records
    FROM stg_cloud WHERE cloud_cpu_s > cloud_core_s
    UNION ALL
    SELECT withheld_finding(), Site, withheld_detail(withheld), month_label(Year, Month), 1
    FROM stg_cloud WHERE withheld IS NOT NULL
    UNION ALL
    SELECT 'cloud records quarantined by the export', quarantined_site(Site),
        reason || ': in no report, kept in data/source/quarantine', month_label(Year, Month), 1
    FROM src_quarantine_cloud
)
SELECT * FROM summarise_findings(findings)
