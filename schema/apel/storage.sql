-- APEL 2.5's storage accounting tables (apel/apel schemas/storage.sql: StAR records),
-- written for this project. Every name column is a lookup id, NOT NULL: the loader looks
-- up the text 'None' where a record has no value, and VStarRecords joins them all.

CREATE TABLE IF NOT EXISTS StorageSystems (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS Sites (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL, INDEX (name));
CREATE TABLE IF NOT EXISTS StorageShares (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS StorageMedia (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS StorageClasses (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS UserIdentities (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS `Groups` (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS SubGroups (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));
CREATE TABLE IF NOT EXISTS Roles (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), INDEX (name));

-- Capacity snapshots; a record published again under its RecordId replaces the earlier one.
CREATE TABLE IF NOT EXISTS StarRecords (
    RecordId VARCHAR(255) NOT NULL PRIMARY KEY,
    CreateTime DATETIME NOT NULL,
    StorageSystemID INT NOT NULL,
    SiteID INT NOT NULL,
    StorageShareID INT NOT NULL,
    StorageMediaID INT NOT NULL,
    StorageClassID INT NOT NULL,
    FileCount INTEGER,
    DirectoryPath VARCHAR(255),
    LocalUser VARCHAR(255),
    LocalGroup VARCHAR(255),
    UserIdentityID INT NOT NULL,
    GroupID INT NOT NULL,
    SubGroupID INT NOT NULL,
    RoleID INT NOT NULL,
    StartTime DATETIME NOT NULL,
    EndTime DATETIME NOT NULL,
    ResourceCapacityUsed BIGINT NOT NULL,
    LogicalCapacityUsed BIGINT,
    ResourceCapacityAllocated BIGINT,
    INDEX (StorageSystemID),
    INDEX (StorageShareID),
    INDEX (StorageMediaID),
    INDEX (StorageClassID),
    INDEX (UserIdentityID),
    INDEX (GroupID)
);

CREATE OR REPLACE VIEW VStarRecords AS
SELECT r.CreateTime, r.RecordId, systems.name AS StorageSystem, sites.name AS Site, shares.name AS StorageShare,
       media.name AS StorageMedia, classes.name AS StorageClass, r.FileCount, r.DirectoryPath, r.LocalUser,
       r.LocalGroup, identities.name AS UserIdentity, vo_groups.name AS `Group`, roles.name AS `Role`,
       subgroups.name AS SubGroup, r.StartTime, r.EndTime, r.ResourceCapacityUsed, r.LogicalCapacityUsed,
       r.ResourceCapacityAllocated
FROM StarRecords AS r
JOIN StorageSystems AS systems ON systems.id = r.StorageSystemID
JOIN Sites AS sites ON sites.id = r.SiteID
JOIN StorageShares AS shares ON shares.id = r.StorageShareID
JOIN StorageMedia AS media ON media.id = r.StorageMediaID
JOIN StorageClasses AS classes ON classes.id = r.StorageClassID
JOIN UserIdentities AS identities ON identities.id = r.UserIdentityID
JOIN `Groups` AS vo_groups ON vo_groups.id = r.GroupID
JOIN SubGroups AS subgroups ON subgroups.id = r.SubGroupID
JOIN Roles AS roles ON roles.id = r.RoleID;
