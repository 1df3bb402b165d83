-- Sums behind one kind of report table, for every scope at once: {scope} is the page's
-- entity column (a constant for infrastructure-wide pages), {row} the table's rows and
-- {column} its columns (a month, a year or a category such as BenchmarkType).
-- Months $first..$last (YYYYMM) bound the table; filters use the shared macros; {where}
-- adds a page kind's own (CubeReader.sums: columns checked, values as parameters). The bounds
-- on Year alone change no result: they let DuckDB skip the cube's row groups of other years
-- by their statistics (the explorer reads the cube over HTTP ranges; README, "Explorer").
SELECT
    {scope} AS scope,
    {row} AS row_key,
    {column} AS column_key,
    -- HUGEINT: exact integers in Python whatever their size (a BIGINT cast overflowed on
    -- sums above 2^63-1); the pages divide them into floats only for display.
    sum(COLUMNS(lambda c: htc_sum_column(c)))::HUGEINT
FROM {cube}
WHERE in_vo_group($vo_group, VOEGI, VOLHC)
    AND in_infra_filter($infra_filter, Infrastructure){where}
    AND Year >= $first // 100 AND Year <= $last // 100 AND Year * 100 + Month BETWEEN $first AND $last
GROUP BY ALL
ORDER BY ALL
