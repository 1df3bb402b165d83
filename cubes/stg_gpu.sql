-- Staging (a view): every accelerator summary row with the site's topology of its month,
-- the VO taken from the FQAN's first component and the model's category. Models missing
-- from the model table are kept under 'unknown category' (and reported by gpu_findings).
-- GPU time is Count × duration: Count may be fractional (a shared GPU), so the products
-- are exact DECIMALs, not floats.
SELECT
    g.Year,
    g.Month,
    g.SiteName AS Site,
    coalesce(s.NGI, 'unknown NGI') AS NGI,
    coalesce(s.Country, 'unknown country') AS Country,
    coalesce(nullif(split_part(ltrim(g.FQAN, '/'), '/', 1), ''), 'unknown VO') AS VO,
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
FROM src_gpu AS g
LEFT JOIN src_sites AS s
    ON s.Site = g.SiteName
    AND valid_in_month(s.ValidFrom, s.ValidTo, g.Year, g.Month)
LEFT JOIN src_gpu_models AS m ON m.Model = g.Model
