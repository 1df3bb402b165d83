-- Sums behind one kind of GPU or cloud table, for every scope at once (as queries/report.sql
-- for HTC, without its filters): {family}_sum_column picks the family's measures, summed
-- exactly (a measure no record reported counts 0) and handed to the page as floating point
-- only at the end.
SELECT
    {scope} AS scope,
    {row} AS row_key,
    {column} AS column_key,
    coalesce(sum(COLUMNS(lambda c: {family}_sum_column(c))), 0)::DOUBLE
FROM {cube}
WHERE Year * 100 + Month BETWEEN $first AND $last
GROUP BY ALL
ORDER BY ALL
