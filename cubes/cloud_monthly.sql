-- The cloud cube: VMs, wall, CPU and core time, normalised core time, memory, disk and
-- network by month, site (with its NGI and country of that month), cloud compute service,
-- VO (with its discipline), status, image and benchmark type. Sums are exact DECIMALs
-- (fractional vCPUs × seconds × benchmark). CPU efficiency is a ratio the pages take from
-- the sums at the level shown; the number of VMs is a count per month, never added over
-- months (the pages average it).
SELECT
    Year, Month, Site, NGI, Country, CloudComputeService, VO, Discipline1, Discipline2, Discipline3,
    Status, ImageId, BenchmarkType,
    sum(COLUMNS(lambda c: cloud_sum_column(c)))::DECIMAL(38, 6),
    count(*)::BIGINT AS summary_rows
FROM stg_cloud
GROUP BY ALL
ORDER BY ALL
