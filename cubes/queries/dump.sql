-- The API's whole-dataset dumps (/csv and /json): every month's HTC and cloud usage by the
-- tags the 2026 successor portal (PEAR) publishes, in its field names and units (hours,
-- HEPscore23 hours), from the release's cubes. One row per month and tag set:
--   vo, tier, country, federation, site, infra (Grid: jobs submitted through a CE; Grid-Local:
--   local jobs; Cloud), benchmark, ngi; raw_wc_time (wall-clock × processors, h),
--   raw_wc_work (normalised wall-clock × processors, HS23 h), raw_cpu_time (h), raw_cpu_work
--   (normalised CPU, HS23 h), raw_cpu_eff (raw_cpu_work / raw_wc_work, as PEAR computes it;
--   0 without work), job_count (HTC), and for cloud memory_used (MB), disk_used (GB),
--   vm_count, network_in and network_out (GB).
-- Where the cubes keep no sum PEAR has (cloud's normalised CPU, the sum of vCPU counts) the
-- field is NULL rather than a guess. Names the source left absent are NULL (empty in CSV).
-- {htc} and {cloud} are the cube views; rows come in time, then tag order, so a reader can
-- stream them.
WITH htc AS (
    SELECT Year, Month, VO AS vo, Tier AS tier, Country AS country, Federation AS federation, Site AS site,
        CASE WHEN Infrastructure = 'local' THEN 'Grid-Local' ELSE 'Grid' END AS infra,
        BenchmarkType AS benchmark, NGI AS ngi,
        sum(wall_proc_s) / 3600 AS raw_wc_time, sum(normwall_proc_s) / 3600 AS raw_wc_work,
        sum(cpu_s) / 3600 AS raw_cpu_time, sum(normcpu_s) / 3600 AS raw_cpu_work,
        sum(njobs)::BIGINT AS job_count,
        NULL::DOUBLE AS memory_used, NULL::DOUBLE AS disk_used, NULL::BIGINT AS vm_count,
        NULL::BIGINT AS cpu_core_count, NULL::DOUBLE AS network_in, NULL::DOUBLE AS network_out
    FROM {htc}
    GROUP BY ALL
), cloud AS (
    SELECT Year, Month, VO AS vo, NULL AS tier, Country AS country, NULL AS federation, Site AS site,
        'Cloud' AS infra, BenchmarkType AS benchmark, NGI AS ngi,
        sum(cloud_core_s) / 3600 AS raw_wc_time, sum(cloud_normalised_s) / 3600 AS raw_wc_work,
        sum(cloud_cpu_s) / 3600 AS raw_cpu_time, NULL::DOUBLE AS raw_cpu_work,
        NULL::BIGINT AS job_count,
        sum(cloud_memory_mb)::DOUBLE AS memory_used, sum(cloud_disk_gb)::DOUBLE AS disk_used,
        sum(cloud_vms)::BIGINT AS vm_count, NULL::BIGINT AS cpu_core_count,
        sum(cloud_net_in_gb)::DOUBLE AS network_in, sum(cloud_net_out_gb)::DOUBLE AS network_out
    FROM {cloud}
    GROUP BY ALL
)
SELECT
    strftime(make_timestamp(Year, Month, 1, 0, 0, 0), '%Y-%m-%dT%H:%M:%SZ') AS time,
    vo, tier, country, federation, site, infra, benchmark, ngi,
    raw_wc_time::DOUBLE AS raw_wc_time, raw_wc_work::DOUBLE AS raw_wc_work,
    raw_cpu_time::DOUBLE AS raw_cpu_time, raw_cpu_work::DOUBLE AS raw_cpu_work,
    CASE WHEN raw_wc_work > 0 THEN (raw_cpu_work / raw_wc_work)::DOUBLE ELSE 0 END AS raw_cpu_eff,
    job_count, memory_used, disk_used, vm_count, cpu_core_count, network_in, network_out
FROM (SELECT * FROM htc UNION ALL SELECT * FROM cloud)
ORDER BY Year, Month, infra, site, vo NULLS FIRST, benchmark, tier, country, federation, ngi
