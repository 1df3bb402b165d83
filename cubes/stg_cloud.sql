-- Staging (a view): every cloud summary row with the site's topology of its month and the
-- VO's discipline. Core time is wall time × virtual CPUs; normalised core time multiplies
-- it by the benchmark per vCPU where the record has one (exact DECIMAL products).
SELECT
    c.Year,
    c.Month,
    c.SiteName AS Site,
    coalesce(s.NGI, 'unknown NGI') AS NGI,
    coalesce(s.Country, 'unknown country') AS Country,
    c.CloudComputeService,
    c.VO,
    coalesce(d.Level1, 'unknown discipline') AS Discipline1,
    coalesce(d.Level2, 'unknown discipline') AS Discipline2,
    coalesce(d.Discipline, 'unknown discipline') AS Discipline3,
    lower(c.Status) AS Status,
    c.CloudType,
    c.ImageId,
    c.CpuCount,
    c.NumberOfVMs::HUGEINT AS cloud_vms,
    c.WallDuration::HUGEINT AS cloud_wall_s,
    c.CpuDuration::HUGEINT AS cloud_cpu_s,
    c.WallDuration::HUGEINT * c.CpuCount AS cloud_core_s,
    coalesce(c.WallDuration::HUGEINT * c.CpuCount * c.Benchmark::DECIMAL(10, 3), 0) AS cloud_normalised_s,
    c.Memory::HUGEINT AS cloud_memory_mb,
    c.Disk::HUGEINT AS cloud_disk_gb,
    c.NetworkInbound::HUGEINT AS cloud_net_in_gb,
    c.NetworkOutbound::HUGEINT AS cloud_net_out_gb
FROM src_cloud AS c
LEFT JOIN src_sites AS s
    ON s.Site = c.SiteName
    AND valid_in_month(s.ValidFrom, s.ValidTo, c.Year, c.Month)
LEFT JOIN src_vos AS v ON v.VO = c.VO
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
