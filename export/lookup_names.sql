-- A lookup table's names as two checksums, so the nightly export notices a renamed (or deleted) name without
-- reading the summaries: one over the rows up to the highest id of the last export (names added since, which
-- APEL adds every night for new users, leave it alone), one over all rows for the next run to compare with.
-- The table's name comes from the exporter's declarations, never from input.
SELECT MAX(id) AS max_id,
       COALESCE(SUM(IF(id <= %(max_id)s, CRC32(CONCAT_WS(':', id, name)), 0)), 0) AS known_sum,
       COALESCE(SUM(CRC32(CONCAT_WS(':', id, name))), 0) AS all_sum
FROM {table}
