-- Staging (a view): StAR snapshots with one record per period. APEL keeps every record a
-- site sends; a republished record (same storage key and period, later CreateTime)
-- restates the earlier one, so only the latest counts. The site's topology of the
-- snapshot's month is attached as for HTC; the user identity is never carried on.
SELECT
    r.Year,
    r.Month,
    r.Site,
    coalesce(s.NGI, 'unknown NGI') AS NGI,
    coalesce(s.Country, 'unknown country') AS Country,
    r.StorageSystem,
    coalesce(r.StorageShare, '(no share)') AS StorageShare,
    lower(r.StorageMedia) AS StorageMedia,
    coalesce(r.StorageClass, '(no class)') AS StorageClass,
    r."Group" AS VO,
    coalesce(r.SubGroup, '(none)') AS SubGroup,
    coalesce(r.Role, '(none)') AS Role,
    r.EndTime,
    r.ResourceCapacityUsed::HUGEINT AS used_b,
    r.LogicalCapacityUsed::HUGEINT AS logical_b,
    r.ResourceCapacityAllocated::HUGEINT AS allocated_b,
    r.FileCount::HUGEINT AS files
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY Site, StorageSystem, StorageShare, StorageMedia, StorageClass, "Group", SubGroup, Role,
                     StartTime, EndTime
        ORDER BY CreateTime DESC, RecordId DESC) AS version
    FROM src_storage
) AS r
LEFT JOIN src_sites AS s
    ON s.Site = r.Site
    AND valid_in_month(s.ValidFrom, s.ValidTo, r.Year, r.Month)
WHERE r.version = 1
