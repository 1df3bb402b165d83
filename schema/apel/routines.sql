-- The functions and procedures every APEL database holds, whichever accounting it keeps:
-- the name lookups of its lookup tables and UpdateTimestamp. Written for this project,
-- as APEL's schemas define them (each of APEL's files repeats them; here they are loaded
-- once into each database, accounting/source/db_load.py FAMILY_SCHEMA). A function whose
-- table a database lacks is never called there: MariaDB resolves tables when it runs.

DELIMITER //

-- A name's id, the name added on first sight. `name = wanted` compares in the table's
-- collation: a name that differs only in case (or accent) gets the first spelling's id.
CREATE OR REPLACE FUNCTION SiteLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM Sites WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO Sites (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION DNLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM DNs WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO DNs (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION SubmitHostLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM SubmitHosts WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO SubmitHosts (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION MachineNameLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM MachineNames WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO MachineNames (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION QueueLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM Queues WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO Queues (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION VOLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM VOs WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO VOs (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION VOGroupLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM VOGroups WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO VOGroups (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION VORoleLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM VORoles WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO VORoles (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //
CREATE OR REPLACE FUNCTION CloudComputeServiceLookup(wanted VARCHAR(255)) RETURNS INT DETERMINISTIC
BEGIN
    DECLARE found INT DEFAULT (SELECT MIN(id) FROM CloudComputeServices WHERE name = wanted);
    IF found IS NULL THEN INSERT INTO CloudComputeServices (name) VALUES (wanted); SET found = LAST_INSERT_ID(); END IF;
    RETURN found;
END //

CREATE OR REPLACE PROCEDURE UpdateTimestamp(kind VARCHAR(255))
BEGIN
    REPLACE INTO LastUpdated (Type) VALUES (kind);
END //

DELIMITER ;
