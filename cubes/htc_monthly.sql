-- The main HTC cube: every metric's sums by month, site (with its NGI, country, tier and
-- federation of that month), VO (with its flags and discipline), infrastructure and
-- benchmark type. Sums stay in integer seconds so every roll-up is exact; pages divide.
-- DECIMAL(38, 0), not BIGINT: a summary may hold up to 2^63-1 (validation.MAX_VALUE), so
-- two of them, or one wall time × processors, can exceed BIGINT; 38 digits hold any sum of
-- such values (Parquet keeps it an exact integer, where DuckDB would write a HUGEINT as a
-- double). htc_processors and htc_submithost sum the same way.
SELECT
    Year, Month, Site, NGI, Country, Tier, Federation,
    VO, VOEGI, VOLHC, Discipline1, Discipline2, Discipline3,
    Infrastructure, BenchmarkType,
    sum(COLUMNS(lambda c: htc_sum_column(c)))::DECIMAL(38, 0),
    count(*)::BIGINT AS summary_rows
FROM stg_htc
GROUP BY ALL
ORDER BY ALL
