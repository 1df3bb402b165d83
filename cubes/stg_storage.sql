-- Staging (a view): StAR snapshots with one record per period. APEL keeps every record a
-- site sends; a republished record (same storage key and period, later CreateTime)
-- restates the earlier one, so only the latest counts. APEL writes 'None' for what a
-- record lacks: an absent share stays NULL (the pages label it, catalogue [absent]), an
-- absent class, subgroup or role gets its "absent" name, and keys are compared so (a
-- 'None' and a NULL are the same key: NULLs partition together); an absent VO is 'no VO'. The site's topology of the snapshot's month and the VO's discipline are
-- attached as for HTC; the user identity is never carried on.
SELECT
    r.Year,
    r.Month,
    r.Site,
    s.NGI,
    s.Country,
    r.StorageSystem,
    r.StorageShare,
    r.StorageMedia,
    r.StorageClass,
    r.VO,
    coalesce(d.Level1, 'unknown discipline') AS Discipline1,
    coalesce(d.Level2, 'unknown discipline') AS Discipline2,
    coalesce(d.Discipline, 'unknown discipline') AS Discipline3,
    r.SubGroup,
    r.Role,
    r.EndTime,
    r.ResourceCapacityUsed::HUGEINT AS used_b,
    r.LogicalCapacityUsed::HUGEINT AS logical_b,
    r.ResourceCapacityAllocated::HUGEINT AS allocated_b,
    r.FileCount::HUGEINT AS files
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY Site, StorageSystem, StorageShare, StorageMedia, StorageClass, VO, SubGroup, Role,
                     StartTime, EndTime
        ORDER BY CreateTime DESC, RecordId DESC) AS version
    FROM (
        SELECT * REPLACE (
            apel_value(StorageShare) AS StorageShare,
            coalesce(lower(apel_value(StorageMedia)), '(no media)') AS StorageMedia,
            coalesce(apel_value(StorageClass), '(no class)') AS StorageClass,
            coalesce(apel_value(SubGroup), '(none)') AS SubGroup,
            coalesce(apel_value(Role), '(none)') AS Role),
            vo_name("Group") AS VO
        FROM src_storage
    )
) AS r
LEFT JOIN src_sites AS s
    ON s.Site = r.Site
    AND valid_in_month(s.ValidFrom, s.ValidTo, r.Year, r.Month)
LEFT JOIN src_vos AS v ON v.VO = r.VO
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
WHERE r.version = 1
