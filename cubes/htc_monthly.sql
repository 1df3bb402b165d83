-- The main HTC cube: every metric's sums by month, site (with its NGI, country, tier and
-- federation of that month), VO (with its flags and discipline), infrastructure and
-- benchmark type. Sums stay in integer seconds so every roll-up is exact; pages divide.
SELECT
    Year, Month, Site, NGI, Country, Tier, Federation,
    VO, VOEGI, VOLHC, Discipline1, Discipline2, Discipline3,
    Infrastructure, BenchmarkType,
    sum(COLUMNS(lambda c: htc_sum_column(c)))::BIGINT,
    count(*)::BIGINT AS summary_rows
FROM stg_htc
GROUP BY ALL
ORDER BY ALL
