-- Staging (a view): StAR snapshots with one record per period. APEL keeps every record a
-- site sends; a republished record (same storage key and period, later CreateTime)
-- restates the earlier one, so only the latest counts. APEL writes 'None' for what a
-- record lacks: an absent share, media, class, VO, subgroup or role is NULL (the pages
-- show the catalogue's [absent] labels), so a 'None' and a NULL are the same key (NULLs
-- partition together) and a real subgroup called '(none)' is another key. The site's
-- topology of the snapshot's month (its WLCG tier and federation for the VO too) and the
-- VO's discipline are attached as for HTC.
-- Records are told apart by the names as the source has them; the published names then go
-- through published_name, which withholds one that looks like a person's identity (a
-- SubGroup `CN=<person>`), listed in `withheld`. `withheld_key` keeps the records of keys
-- that differ only in withheld names apart (each is a stock of its own in storage_monthly);
-- it is a hash, so the names themselves are not carried on, nor is the user identity.
WITH named AS (
    SELECT Site, StorageSystem, StartTime, EndTime, CreateTime, RecordId, Year, Month,
        ResourceCapacityUsed, LogicalCapacityUsed, ResourceCapacityAllocated, FileCount,
        apel_value(StorageShare) AS StorageShare,
        lower(apel_value(StorageMedia)) AS StorageMedia,
        apel_value(StorageClass) AS StorageClass,
        apel_value("Group") AS VO,
        apel_value(SubGroup) AS SubGroup,
        apel_value(Role) AS Role
    FROM src_storage
),
latest AS (
    SELECT *,
        withheld_names(['site', 'storage system', 'share', 'media', 'class', 'VO', 'subgroup', 'role'],
                       [Site, StorageSystem, StorageShare, StorageMedia, StorageClass, VO, SubGroup, Role])
            AS withheld
    FROM named
    QUALIFY row_number() OVER (
        PARTITION BY Site, StorageSystem, StorageShare, StorageMedia, StorageClass, VO, SubGroup, Role,
                     StartTime, EndTime
        ORDER BY CreateTime DESC, RecordId DESC) = 1
)
SELECT
    r.Year,
    r.Month,
    published_name(r.Site) AS Site,
    s.NGI,
    s.Country,
    CASE WHEN wv.Site IS NOT NULL THEN wv.Tier ELSE wa.Tier END AS Tier,
    CASE WHEN wv.Site IS NOT NULL THEN wv.Federation ELSE wa.Federation END AS Federation,
    published_name(r.StorageSystem) AS StorageSystem,
    published_name(r.StorageShare) AS StorageShare,
    published_name(r.StorageMedia) AS StorageMedia,
    published_name(r.StorageClass) AS StorageClass,
    vo_name(r.VO) AS VO,
    d.Level1 AS Discipline1,
    d.Level2 AS Discipline2,
    d.Discipline AS Discipline3,
    published_name(r.SubGroup) AS SubGroup,
    published_name(r.Role) AS Role,
    r.withheld,
    CASE WHEN r.withheld IS NOT NULL
        THEN hash(r.Site, r.StorageSystem, r.StorageShare, r.StorageMedia, r.StorageClass, r.VO, r.SubGroup, r.Role)
    END AS withheld_key,
    r.EndTime,
    r.ResourceCapacityUsed::HUGEINT AS used_b,
    r.LogicalCapacityUsed::HUGEINT AS logical_b,
    r.ResourceCapacityAllocated::HUGEINT AS allocated_b,
    r.FileCount::HUGEINT AS files
FROM latest AS r
LEFT JOIN src_sites AS s
    ON s.Site = r.Site
    AND valid_in_month(s.ValidFrom, s.ValidTo, r.Year, r.Month)
LEFT JOIN stg_wlcg AS wv
    ON wv.Site = r.Site AND wv.VO = vo_name(r.VO) AND wv.Year = r.Year AND wv.Month = r.Month
LEFT JOIN stg_wlcg AS wa
    ON wa.Site = r.Site AND wa.VO IS NULL AND wa.Year = r.Year AND wa.Month = r.Month
LEFT JOIN src_vos AS v ON v.VO = vo_name(r.VO)
LEFT JOIN src_disciplines AS d ON d.Discipline = v.Discipline
