-- The explorer's query for a stock (storage capacity, /explore/?data=storage): a stock adds
-- up across rows within a month but never across months. So the cube's monthly values
-- ({sums}: `sum(<measure>_avg)::DOUBLE AS <measure>_avg`, the time-weighted monthly
-- averages added over the cube's keys, as cubes/queries/storage.sql gives the static
-- storage pages) are first added per month at every level (GROUPING SETS, each with the
-- month), and only then rolled up over the months of a cell, a total or the whole period
-- by {rollup}: `avg(...)` (the static pages' Average column and yearly table) or `max(...)`
-- (their Peak column and yearly peak table), over the months that have a value (a month
-- without one is missing, not zero; sum() of no value is NULL, which avg and max skip).
-- {row}, {column}, {cube} and {where} are filled as in explore.sql.
WITH picked AS (
    SELECT {row} AS row_key, {column} AS column_key, month_label(Year, Month) AS month_key, *
    FROM {cube}
    WHERE {where}
), monthly AS (
    SELECT
        row_key,
        column_key,
        grouping(row_key)::INTEGER AS all_rows,
        grouping(column_key)::INTEGER AS all_columns,
        {sums}
    FROM picked
    GROUP BY GROUPING SETS ((row_key, column_key, month_key), (row_key, month_key), (column_key, month_key),
                            (month_key))
)
SELECT row_key, column_key, all_rows, all_columns, {rollup}
FROM monthly
GROUP BY row_key, column_key, all_rows, all_columns
ORDER BY all_rows, all_columns, row_key NULLS LAST, column_key NULLS LAST
