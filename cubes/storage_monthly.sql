-- The storage cube: one row per month and storage key (site, system, share, media, class,
-- VO (with its discipline), subgroup, role) that has at least one snapshot in the month; a month without one
-- has no row (missing, not zero). Storage is a stock: for each measure the month's
-- minimum, maximum, time-weighted average and end-of-month value. Each snapshot holds
-- from its EndTime until the next snapshot of the same key in the month, the last one
-- until the month ends; time before the month's first snapshot is not covered.
-- Averages come from exact integer sums (byte-seconds), divided exactly (thousandths in
-- cubes/macros.sql) and kept to a thousandth as DECIMAL, so adding them up is exact too
-- and every build gives the same bytes.
-- These values add up across keys within one month; across months they must be
-- averaged or maximised, never summed (accounting/stock.py does that for every page).
WITH held AS (
    SELECT *,
        (epoch(coalesce(
            lead(EndTime) OVER (PARTITION BY Site, StorageSystem, StorageShare, StorageMedia, StorageClass,
                                             VO, SubGroup, Role, withheld_key, Year, Month ORDER BY EndTime),
            make_timestamptz(Year + Month // 12, Month % 12 + 1, 1, 0, 0, 0, 'UTC'))) - epoch(EndTime))::BIGINT AS held_s
    FROM stg_storage
)
SELECT
    Year, Month, Site, NGI, Country, Tier, Federation, StorageSystem, StorageShare, StorageMedia, StorageClass,
    VO, Discipline1, Discipline2, Discipline3, SubGroup, Role,
    count(*)::BIGINT AS snapshots,
    max(EndTime) AS last_snapshot,
    count(*) FILTER (WHERE used_b > allocated_b)::BIGINT AS over_allocated,
    min(used_b)::BIGINT AS used_min,
    max(used_b)::BIGINT AS used_max,
    thousandths(sum(used_b * held_s), sum(held_s))::DECIMAL(38, 3) AS used_avg,
    last(used_b ORDER BY EndTime, used_b)::BIGINT AS used_end,
    min(logical_b)::BIGINT AS logical_min,
    max(logical_b)::BIGINT AS logical_max,
    thousandths(sum(logical_b * held_s), sum(held_s) FILTER (WHERE logical_b IS NOT NULL))::DECIMAL(38, 3) AS logical_avg,
    last(logical_b ORDER BY EndTime, logical_b)::BIGINT AS logical_end,
    min(allocated_b)::BIGINT AS allocated_min,
    max(allocated_b)::BIGINT AS allocated_max,
    thousandths(sum(allocated_b * held_s), sum(held_s) FILTER (WHERE allocated_b IS NOT NULL))::DECIMAL(38, 3) AS allocated_avg,
    last(allocated_b ORDER BY EndTime, allocated_b)::BIGINT AS allocated_end,
    min(files)::BIGINT AS files_min,
    max(files)::BIGINT AS files_max,
    thousandths(sum(files * held_s), sum(held_s) FILTER (WHERE files IS NOT NULL))::DECIMAL(38, 3) AS files_avg,
    last(files ORDER BY EndTime, files)::BIGINT AS files_end
FROM held
-- withheld_key (not published) keeps apart the keys that differ only in withheld names.
GROUP BY Year, Month, Site, NGI, Country, Tier, Federation, StorageSystem, StorageShare, StorageMedia, StorageClass,
    VO, Discipline1, Discipline2, Discipline3, SubGroup, Role, withheld_key
ORDER BY ALL
