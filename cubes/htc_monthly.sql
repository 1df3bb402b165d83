-- The main HTC cube: every metric's sums by month, site (with its NGI, country, tier and
-- federation of that month), VO (with its flags and discipline), infrastructure and
-- benchmark type. Sums stay in integer seconds so every roll-up is exact; pages divide.
SELECT
    Year, Month, Site, NGI, Country, Tier, Federation,
    VO, VOEGI, VOLHC, Discipline1, Discipline2, Discipline3,
    Infrastructure, BenchmarkType,
    sum(njobs)::BIGINT AS njobs,
    sum(cpu_s)::BIGINT AS cpu_s,
    sum(normcpu_s)::BIGINT AS normcpu_s,
    sum(wall_s)::BIGINT AS wall_s,
    sum(normwall_s)::BIGINT AS normwall_s,
    sum(wall_proc_s)::BIGINT AS wall_proc_s,
    sum(normwall_proc_s)::BIGINT AS normwall_proc_s,
    count(*)::BIGINT AS summary_rows
FROM stg_htc
GROUP BY ALL
ORDER BY ALL
