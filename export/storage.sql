-- StAR storage records of one month (or all: all_months = 1) (the month of EndTime, the snapshot's moment), with
-- names. StarRecords is read with LEFT joins rather than through APEL's VStarRecords view, whose inner joins
-- would drop a record with a dangling id unseen; the export keeps every record, republished ones included.
SELECT
    r.RecordId, r.CreateTime, sy.name AS StorageSystem, s.name AS Site, sh.name AS StorageShare,
    m.name AS StorageMedia, c.name AS StorageClass, r.FileCount, r.DirectoryPath, r.LocalUser, r.LocalGroup,
    u.name AS UserIdentity, g.name AS `Group`, sg.name AS SubGroup, ro.name AS Role, r.StartTime, r.EndTime,
    r.ResourceCapacityUsed, r.LogicalCapacityUsed, r.ResourceCapacityAllocated,
    YEAR(r.EndTime) AS Year, MONTH(r.EndTime) AS Month
FROM StarRecords AS r
LEFT JOIN StorageSystems AS sy ON sy.id = r.StorageSystemID
LEFT JOIN Sites AS s ON s.id = r.SiteID
LEFT JOIN StorageShares AS sh ON sh.id = r.StorageShareID
LEFT JOIN StorageMedia AS m ON m.id = r.StorageMediaID
LEFT JOIN StorageClasses AS c ON c.id = r.StorageClassID
LEFT JOIN UserIdentities AS u ON u.id = r.UserIdentityID
LEFT JOIN `Groups` AS g ON g.id = r.GroupID
LEFT JOIN SubGroups AS sg ON sg.id = r.SubGroupID
LEFT JOIN Roles AS ro ON ro.id = r.RoleID
WHERE %(all_months)s OR (r.EndTime >= %(month_start)s AND r.EndTime < %(month_end)s)
