-- Staging (a view): every accelerator summary row with the site's topology of its month,
-- the VO taken from the FQAN's first component (with its discipline) and the model's
-- category. APEL's accelerator shape without FQAN leaves it NULL: such rows are under
-- 'no VO'. Models missing from the model table are kept under 'unknown category' (and
-- reported by gpu_findings).
-- GPU time is Count × duration: Count may be fractional (a shared GPU), so the products
-- are exact DECIMALs, not floats.
SELECT
    g.Year,
    g.Month,
    g.SiteName AS Site,
    s.NGI,
    s.Country,
    g.VO,
    coalesce(d.Level1, 'unknown discipline') AS Discipline1,
    coalesce(d.Level2, 'unknown discipline') AS Discipline2,
    coalesce(d.Discipline, 'unknown discipline') AS Discipline3,
    g.Type,
    g.Model,
    m.Model IS NOT NULL AS model_known,
    coalesce(m.Category, 'unknown category') AS Category,
    lower(g.AssociatedRecordType) AS RecordType,
    g.Benchmark IS NOT NULL AND g.Benchmark > 0 AS has_benchmark,
    g.Count::DECIMAL(10, 3) * g.AvailableDuration AS gpu_available_s,
    g.Count::DECIMAL(10, 3) * g.ActiveDuration AS gpu_active_s,
    coalesce(g.Count::DECIMAL(10, 3) * g.ActiveDuration * g.Benchmark::DECIMAL(10, 3), 0) AS gpu_normalised_s,
    g.NumberOfRecords::DECIMAL(38, 0) AS gpu_records,
    g.ActiveDuration > g.AvailableDuration AS active_over_available
FROM (SELECT *, vo_name(split_part(ltrim(apel_value(FQAN), '/'), '/', 1)) AS VO FROM src_gpu) AS g
LEFT JOIN src_sites AS s
    ON s.Site = g.SiteName
    AND valid_in_month(s.ValidFrom, s.ValidTo, g.Year, g.Month)
LEFT JOIN src_gpu_models AS m ON m.Model = g.Model
LEFT JOIN src_vos AS v ON v.VO = g.VO
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
