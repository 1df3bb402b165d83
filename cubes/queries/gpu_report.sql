-- Sums behind one kind of GPU table, for every scope at once (as queries/report.sql for
-- HTC): exact DECIMAL sums, handed to the page as floating point only at the end.
SELECT
    {scope} AS scope,
    {row} AS row_key,
    {column} AS column_key,
    sum(COLUMNS(lambda c: gpu_sum_column(c)))::DOUBLE
FROM {cube}
WHERE Year * 100 + Month BETWEEN $first AND $last
GROUP BY ALL
ORDER BY ALL
