-- Data-quality findings of the accelerator records, by finding and site: models missing
-- from the model table, activity above availability (kept), names withheld as personal
-- data, and quarantined records.
WITH findings AS (
    SELECT 'GPU model not in the model table' AS finding, Site AS subject,
        'model ' || Model || ': counted under unknown category' AS detail,
        month_label(Year, Month) AS ym, gpu_records AS records
    FROM stg_gpu WHERE NOT model_known AND Model IS NOT NULL  -- a withheld model is the finding below
    UNION ALL
    SELECT 'GPU active time above available time', Site, 'suspicious but kept', month_label(Year, Month),
        gpu_records
    FROM stg_gpu WHERE active_over_available
    UNION ALL
    SELECT withheld_finding(), Site, withheld_detail(withheld), month_label(Year, Month), gpu_records
    FROM stg_gpu WHERE withheld IS NOT NULL
    UNION ALL
    SELECT 'GPU records quarantined by the export', quarantined_site(Site),
        reason || ': in no report, kept in data/source/quarantine', month_label(Year, Month), 1
    FROM src_quarantine_gpu
)
SELECT * FROM summarise_findings(findings)
