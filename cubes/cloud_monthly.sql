-- The cloud cube: VMs, wall, CPU and core time, normalised core time, memory, disk and
-- network by month, site (with its NGI and country of that month), cloud compute service,
-- VO (with its discipline), status and image. CPU efficiency is a ratio the pages take
-- from the sums at the level shown.
SELECT
    Year, Month, Site, NGI, Country, CloudComputeService, VO, Discipline1, Discipline2, Discipline3,
    Status, ImageId,
    sum(COLUMNS(lambda c: cloud_sum_column(c)))::DECIMAL(38, 3),
    count(*)::BIGINT AS summary_rows
FROM stg_cloud
GROUP BY ALL
ORDER BY ALL
