-- Data-quality findings: what the cubes keep but a reader should know about, and the
-- rows the export quarantined (which are in no report). Nothing here is dropped from the
-- other cubes; this lists it, by finding and site (or VO).
WITH rows AS (
    SELECT *, month_label(Year, Month) AS ym FROM stg_htc
),
findings AS (
    SELECT 'site not in topology' AS finding, Site AS subject,
        'reported under unknown NGI and unknown country' AS detail, ym, njobs, wall_proc_s
    FROM rows WHERE NOT site_registered
    UNION ALL
    SELECT 'site outside its topology validity', Site,
        'months before or after its topology entries: reported under unknown NGI and unknown country',
        ym, njobs, wall_proc_s
    FROM rows WHERE site_registered AND NOT site_known
    UNION ALL
    SELECT 'VO not in topology', VO,
        coalesce('same name as ' || (SELECT string_agg(k.VO, ', ' ORDER BY k.VO) FROM src_vos AS k
                                     WHERE lower(k.VO) = lower(rows.VO) AND k.VO <> rows.VO)
                 || ' ignoring case; kept as a separate VO',
                 'no discipline or VO group; counted under all VOs only'),
        ym, njobs, wall_proc_s
    FROM rows WHERE NOT vo_known AND NOT vo_absent  -- no VO is no misspelling
    UNION ALL
    -- A normalised summary (APEL's CopyNormalisedSummaries) has ServiceLevel 0 but brings
    -- its own normalised time: only where that is missing too is the work not normalised.
    SELECT 'zero benchmark', Site, 'benchmark value 0: the work is not in the normalised metrics',
        ym, njobs, wall_proc_s
    FROM rows WHERE ServiceLevel = 0 AND wall_s > 0 AND coalesce(normwall_s, 0) = 0
    UNION ALL
    SELECT 'unknown benchmark type', Site, 'benchmark type ' || BenchmarkType, ym, njobs, wall_proc_s
    FROM rows WHERE BenchmarkType NOT IN ('si2k', 'HEPSPEC', 'HEPscore23', getvariable('label_unknown_benchmark'))
    UNION ALL
    SELECT 'CPU time above wall time × processors', Site, 'suspicious but kept', ym, njobs, wall_proc_s
    FROM rows WHERE cpu_s > wall_proc_s
    UNION ALL
    SELECT 'WLCG federation unknown', Site,
        Tier || ' site without a federation in topology/wlcg_sites: counted under ' || Tier || ', in no federation',
        ym, njobs, wall_proc_s
    FROM rows WHERE Tier IS NOT NULL AND Federation IS NULL
    UNION ALL
    SELECT 'overlapping WLCG membership', Site,
        coalesce('VO ' || VO, 'all VOs') || ': two rows valid in one month; the one that began last counts',
        month_label(Year, Month), 0, 0
    FROM stg_wlcg
    WHERE valid_rows > 1 AND Year * 100 + Month <= (SELECT max(Year * 100 + Month) FROM src_htc)
    UNION ALL
    SELECT withheld_finding(), Site, withheld_detail(withheld), ym, njobs, wall_proc_s
    FROM rows WHERE withheld IS NOT NULL
    UNION ALL
    SELECT 'quarantined by the export', quarantined_site(Site),
        reason || ': in no report, kept in data/source/quarantine',
        printf('%04d-%02d', Year, Month), NumberOfJobs::HUGEINT, WallDuration::HUGEINT * Processors
    FROM src_quarantine_htc
)
SELECT
    finding, subject, detail,
    min(ym) AS first_period,
    max(ym) AS last_period,
    count(DISTINCT ym)::BIGINT AS months,
    count(*)::BIGINT AS rows,
    -- As htc_monthly's sums: a quarantined value may be above BIGINT's range.
    sum(njobs)::DECIMAL(38, 0) AS njobs,
    sum(wall_proc_s)::DECIMAL(38, 0) AS wall_proc_s
FROM findings
GROUP BY finding, subject, detail
ORDER BY finding, subject, detail
