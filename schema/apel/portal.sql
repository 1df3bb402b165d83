-- The portal's own tables beside APEL's (exported by accounting/source/exporter.py from
-- the main database, ACCOUNTING_DB_URL): the same columns as the topology Parquet
-- contract (accounting/source/contracts.py). Names compare exactly (utf8mb4_bin).
CREATE TABLE IF NOT EXISTS topology_sites (
    Site VARCHAR(255) NOT NULL, NGI VARCHAR(255) NOT NULL, Country VARCHAR(255) NOT NULL,
    Infrastructure VARCHAR(50) NOT NULL,
    Certified BOOLEAN NOT NULL, Production BOOLEAN NOT NULL,
    ValidFrom DATE NOT NULL, ValidTo DATE,
    PRIMARY KEY (Site, ValidFrom)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_vos (
    VO VARCHAR(255) NOT NULL PRIMARY KEY, EGIOfficial BOOLEAN NOT NULL, LHC BOOLEAN NOT NULL,
    Discipline VARCHAR(255)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_disciplines (
    Discipline VARCHAR(255) NOT NULL PRIMARY KEY, Level2 VARCHAR(255) NOT NULL, Level1 VARCHAR(255) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- WLCG membership per site, VO (NULL: all the site's other VOs) and period. NULL cannot be
-- part of a primary key, so the row has a surrogate one and the natural key is UNIQUE
-- (where MariaDB lets NULLs repeat: cubes/stg_wlcg.sql reports such overlaps).
CREATE TABLE IF NOT EXISTS topology_wlcg_sites (
    Id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    Site VARCHAR(255) NOT NULL, VO VARCHAR(255), Tier VARCHAR(20) NOT NULL, Federation VARCHAR(255),
    ValidFrom DATE NOT NULL, ValidTo DATE,
    UNIQUE KEY (Site, VO, ValidFrom)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_pledges (
    Federation VARCHAR(255) NOT NULL, VO VARCHAR(255) NOT NULL, Year INT NOT NULL,
    CpuHS23 DOUBLE NOT NULL, DiskTB DOUBLE NOT NULL, TapeTB DOUBLE NOT NULL,
    PRIMARY KEY (Federation, VO, Year)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE TABLE IF NOT EXISTS topology_gpu_models (
    Model VARCHAR(255) NOT NULL PRIMARY KEY, Vendor VARCHAR(255) NOT NULL, Category VARCHAR(255) NOT NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
