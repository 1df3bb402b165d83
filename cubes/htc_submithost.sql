-- HTC sums by month, site and submit host (compute element) for the site pages.
SELECT
    Year, Month, Site, NGI, Country, SubmitHost, Infrastructure, VOEGI, VOLHC,
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
