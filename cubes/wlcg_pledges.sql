-- WLCG usage against pledge, per month, federation (with its tier) and LHC experiment.
-- CPU: the work delivered is normalised wall-clock time × processors (HS23 seconds, grid
-- and local jobs apart, with the CPU and wall × processors seconds behind the efficiency);
-- the pledge of the year (HS23, topology/pledges) is a capacity, so a month's pledged work
-- is the pledge × the seconds of that month. Disk and tape: the month's time-weighted
-- average bytes used (storage_monthly, by media), against the pledge in bytes (TB = 10^12).
-- A month is here where there is work, storage or a pledge (every month of a pledge's year,
-- the months to come too: a whole year's pledge is the sum of its months); a pledge of 0,
-- or none, is 0 (the pages show "n/a", never a percentage); disk or tape used is NULL in a
-- month without storage records (missing, not zero).
WITH tiers AS (  -- a federation's tier, its sites' (Tier-0 before Tier-1 before Tier-2), and its
            -- country, that of most of its sites (the countries report adds federations up)
    SELECT w.Federation, min(w.Tier) AS Tier, mode(s.Country ORDER BY s.Country) AS Country
    FROM src_wlcg_sites AS w
    LEFT JOIN src_sites AS s ON s.Site = w.Site
    WHERE w.Federation IS NOT NULL
    GROUP BY w.Federation
),
work AS (
    SELECT Year, Month, Federation, Experiment,
        sum(normwall_proc_s) FILTER (WHERE Infrastructure = 'grid') AS work_grid_s,
        sum(normwall_proc_s) FILTER (WHERE Infrastructure <> 'grid') AS work_local_s,
        sum(normwall_proc_s) AS work_s,
        sum(cpu_s) AS cpu_s,
        sum(wall_proc_s) AS wall_proc_s
    FROM wlcg_monthly
    WHERE Federation IS NOT NULL AND Experiment <> getvariable('wlcg_other')
    GROUP BY ALL
),
stored AS (
    SELECT Year, Month, Federation, experiment(VO) AS Experiment,
        sum(used_avg) FILTER (WHERE StorageMedia = 'disk') AS disk_b,
        sum(used_avg) FILTER (WHERE StorageMedia = 'tape') AS tape_b
    FROM storage_monthly
    WHERE Federation IS NOT NULL AND experiment(VO) <> getvariable('wlcg_other')
    GROUP BY ALL
),
pledged AS (
    SELECT p.Year, m.Month, p.Federation, experiment(p.VO) AS Experiment,
        p.CpuHS23, p.DiskTB, p.TapeTB
    FROM src_pledges AS p, range(1, 13) AS m(Month)
    WHERE experiment(p.VO) <> getvariable('wlcg_other')
),
months AS (
    SELECT Year, Month, Federation, Experiment FROM work
    UNION SELECT Year, Month, Federation, Experiment FROM stored
    UNION SELECT Year, Month::INTEGER, Federation, Experiment FROM pledged
)
SELECT
    k.Year, k.Month::INTEGER AS Month, t.Tier, t.Country, k.Federation, k.Experiment,
    coalesce(w.work_grid_s, 0)::DECIMAL(38, 0) AS work_grid_s,
    coalesce(w.work_local_s, 0)::DECIMAL(38, 0) AS work_local_s,
    coalesce(w.work_s, 0)::DECIMAL(38, 0) AS work_s,
    coalesce(w.cpu_s, 0)::DECIMAL(38, 0) AS cpu_s,
    coalesce(w.wall_proc_s, 0)::DECIMAL(38, 0) AS wall_proc_s,
    -- HS23 × the month's seconds: a DOUBLE, as the pledge is.
    coalesce(p.CpuHS23, 0) * epoch(make_date(k.Year, k.Month::INTEGER, 1) + INTERVAL 1 MONTH
                                   - make_date(k.Year, k.Month::INTEGER, 1)) AS pledge_work_s,
    s.disk_b::DECIMAL(38, 3) AS disk_b,
    coalesce(p.DiskTB, 0) * 1e12 AS pledge_disk_b,
    s.tape_b::DECIMAL(38, 3) AS tape_b,
    coalesce(p.TapeTB, 0) * 1e12 AS pledge_tape_b
FROM months AS k
LEFT JOIN tiers AS t USING (Federation)
LEFT JOIN work AS w USING (Year, Month, Federation, Experiment)
LEFT JOIN stored AS s USING (Year, Month, Federation, Experiment)
LEFT JOIN pledged AS p ON p.Year = k.Year AND p.Month = k.Month AND p.Federation = k.Federation
    AND p.Experiment = k.Experiment
ORDER BY ALL
