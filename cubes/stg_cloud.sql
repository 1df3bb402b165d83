-- Staging (a view): every cloud summary row with the site's topology of its month and the
-- VO's discipline (a summary without a VO has the absent VO, NULL, and no discipline).
-- The published names go through published_name (`withheld` lists the withheld ones). Core time is wall time ×
-- virtual CPUs; APEL keeps CpuCount as DECIMAL(10,3) (fractional vCPUs), so core time is
-- an exact DECIMAL product, and normalised core time multiplies it by the benchmark per
-- vCPU where the record has one. A benchmark type APEL did not record is 'unknown benchmark'.
SELECT
    c.Year,
    c.Month,
    published_name(c.SiteName) AS Site,
    s.NGI,
    s.Country,
    published_name(c.CloudComputeService) AS CloudComputeService,
    vo_name(c.VO) AS VO,
    d.Level1 AS Discipline1,
    d.Level2 AS Discipline2,
    d.Discipline AS Discipline3,
    lower(c.Status) AS Status,
    c.CloudType,
    published_name(c.ImageId) AS ImageId,
    withheld_names(['site', 'cloud compute service', 'VO', 'image'],
                   [c.SiteName, c.CloudComputeService, apel_value(c.VO), c.ImageId]) AS withheld,
    canonical_benchmark(c.BenchmarkType) AS BenchmarkType,
    c.CpuCount::DECIMAL(10, 3) AS CpuCount,
    c.NumberOfVMs::HUGEINT AS cloud_vms,
    c.WallDuration::HUGEINT AS cloud_wall_s,
    c.CpuDuration::HUGEINT AS cloud_cpu_s,
    c.WallDuration::DECIMAL(38, 0) * c.CpuCount::DECIMAL(10, 3) AS cloud_core_s,
    coalesce(c.WallDuration::DECIMAL(38, 0) * c.CpuCount::DECIMAL(10, 3) * c.Benchmark::DECIMAL(10, 3), 0)
        AS cloud_normalised_s,
    c.Memory::HUGEINT AS cloud_memory_mb,
    c.Disk::HUGEINT AS cloud_disk_gb,
    c.NetworkInbound::HUGEINT AS cloud_net_in_gb,
    c.NetworkOutbound::HUGEINT AS cloud_net_out_gb
FROM src_cloud AS c
LEFT JOIN src_sites AS s
    ON s.Site = c.SiteName
    AND valid_in_month(s.ValidFrom, s.ValidTo, c.Year, c.Month)
LEFT JOIN src_vos AS v ON v.VO = vo_name(c.VO)
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
