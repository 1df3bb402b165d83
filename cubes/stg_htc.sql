-- Staging (a view, not published): every HTC summary row with the topology valid in its
-- month attached (the WLCG tier and federation of its site and VO: stg_wlcg.sql) and the benchmark spelling made canonical. Rows whose site or VO is not
-- in topology are kept (and reported by quality_findings): such a site's NGI and country
-- stay NULL, which the pages show as the catalogue's [absent] labels (a real NGI called
-- 'unknown NGI' is another NGI); rows without a VO (APEL's 'None' of local jobs) have VO
-- NULL, the one absent VO (a VO really called 'no VO' is another VO), and so have no
-- discipline (NULL too). The published names (contracts.NAME_COLUMNS) go through
-- published_name: one that looks like a person's identity is withheld (NULL, listed in
-- `withheld` for quality_findings), its work still counted.
-- The user DN is carried only for distinct user counts (absent for local jobs without
-- one); no published cube selects it.
SELECT
    h.Year,
    h.Month,
    published_name(h.Site) AS Site,
    s.Site IS NOT NULL AS site_known,
    h.Site IN (SELECT Site FROM src_sites) AS site_registered,
    s.NGI,
    s.Country,
    -- The site's WLCG row for this VO where it has one, else its row for all VOs.
    CASE WHEN wv.Site IS NOT NULL THEN wv.Tier ELSE wa.Tier END AS Tier,
    CASE WHEN wv.Site IS NOT NULL THEN wv.Federation ELSE wa.Federation END AS Federation,
    vo_name(h.VO) AS VO,
    vo_name(h.VO) IS NULL AS vo_absent,
    v.VO IS NOT NULL AS vo_known,
    coalesce(v.EGIOfficial, false) AS VOEGI,
    coalesce(v.LHC, false) AS VOLHC,
    d.Level1 AS Discipline1,
    d.Level2 AS Discipline2,
    d.Discipline AS Discipline3,
    published_name(h.SubmitHost) AS SubmitHost,
    withheld_names(['site', 'VO', 'submit host'], [h.Site, apel_value(h.VO), h.SubmitHost]) AS withheld,
    lower(h.Infrastructure) AS Infrastructure,
    canonical_benchmark(h.ServiceLevelType) AS BenchmarkType,
    h.ServiceLevel,
    h.Processors,
    h.NodeCount,
    apel_value(h.GlobalUserName) AS GlobalUserName,
    h.NumberOfJobs::HUGEINT AS njobs,
    h.CpuDuration::HUGEINT AS cpu_s,
    h.NormalisedCpuDuration::HUGEINT AS normcpu_s,
    h.WallDuration::HUGEINT AS wall_s,
    h.NormalisedWallDuration::HUGEINT AS normwall_s,
    h.WallDuration::HUGEINT * h.Processors AS wall_proc_s,
    h.NormalisedWallDuration::HUGEINT * h.Processors AS normwall_proc_s
FROM src_htc AS h
LEFT JOIN src_sites AS s
    ON s.Site = h.Site
    AND valid_in_month(s.ValidFrom, s.ValidTo, h.Year, h.Month)
LEFT JOIN stg_wlcg AS wv
    ON wv.Site = h.Site AND wv.VO = vo_name(h.VO) AND wv.Year = h.Year AND wv.Month = h.Month
LEFT JOIN stg_wlcg AS wa
    ON wa.Site = h.Site AND wa.VO IS NULL AND wa.Year = h.Year AND wa.Month = h.Month
LEFT JOIN src_vos AS v ON v.VO = vo_name(h.VO)
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
