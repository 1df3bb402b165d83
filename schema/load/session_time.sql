-- The session's clock (seconds since 1970, or DEFAULT for the real one): the procedures
-- stamp the rows they write with CURRENT_TIMESTAMP, and the demo's are stamped "today".
SET timestamp = {value}
