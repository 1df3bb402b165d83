-- StAR storage records of one month (or all: all_months = 1) (the month of EndTime, the snapshot's moment), from
-- APEL's VStarRecords view; the export keeps every record, republished ones included.
SELECT
    RecordId, CreateTime, StorageSystem, Site, StorageShare, StorageMedia, StorageClass, FileCount,
    DirectoryPath, LocalUser, LocalGroup, UserIdentity, `Group`, SubGroup, Role, StartTime, EndTime,
    ResourceCapacityUsed, LogicalCapacityUsed, ResourceCapacityAllocated,
    YEAR(EndTime) AS Year, MONTH(EndTime) AS Month
FROM VStarRecords
WHERE %(all_months)s OR (EndTime >= %(month_start)s AND EndTime < %(month_end)s)
