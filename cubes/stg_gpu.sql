-- Staging (a view): every accelerator summary row with the site's topology of its month,
-- the VO taken from the FQAN's first component (with its discipline) and the model's
-- category. APEL's accelerator shape without FQAN leaves it NULL: such rows have the absent
-- VO (NULL), as have FQANs whose first component looks like a person's identity
-- (`/CN=<person>/...`: no VO, the name withheld). Models missing from the model table are
-- kept with no category (NULL, 'unknown category' on the pages, reported by gpu_findings).
-- The published names go through published_name (`withheld` lists the withheld ones).
-- GPU time is Count × duration: Count may be fractional (a shared GPU), so the products
-- are exact DECIMALs, not floats.
SELECT
    g.Year,
    g.Month,
    published_name(g.SiteName) AS Site,
    s.NGI,
    s.Country,
    vo_name(g.fqan_vo) AS VO,
    d.Level1 AS Discipline1,
    d.Level2 AS Discipline2,
    d.Discipline AS Discipline3,
    published_name(g.Type) AS Type,
    published_name(g.Model) AS Model,
    m.Model IS NOT NULL AS model_known,
    m.Category,
    withheld_names(['site', 'VO', 'type', 'model'], [g.SiteName, g.fqan_vo, g.Type, g.Model]) AS withheld,
    lower(g.AssociatedRecordType) AS RecordType,
    g.Benchmark IS NOT NULL AND g.Benchmark > 0 AS has_benchmark,
    g.Count::DECIMAL(10, 3) * g.AvailableDuration AS gpu_available_s,
    g.Count::DECIMAL(10, 3) * g.ActiveDuration AS gpu_active_s,
    coalesce(g.Count::DECIMAL(10, 3) * g.ActiveDuration * g.Benchmark::DECIMAL(10, 3), 0) AS gpu_normalised_s,
    g.NumberOfRecords::DECIMAL(38, 0) AS gpu_records,
    g.ActiveDuration > g.AvailableDuration AS active_over_available
FROM (SELECT *, split_part(ltrim(apel_value(FQAN), '/'), '/', 1) AS fqan_vo FROM src_gpu) AS g
LEFT JOIN src_sites AS s
    ON s.Site = g.SiteName
    AND valid_in_month(s.ValidFrom, s.ValidTo, g.Year, g.Month)
LEFT JOIN src_gpu_models AS m ON m.Model = g.Model
LEFT JOIN src_vos AS v ON v.VO = vo_name(g.fqan_vo)
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
