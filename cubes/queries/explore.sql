-- The explorer's one query (/explore/): the sums of a view's metric family by row and column,
-- with every total, over the published cube {cube}. The site stage writes this text, the
-- fragments below and the macros it uses (cubes/macros.sql) into explore/queries.json; the
-- browser's DuckDB-WASM (DuckDB 0.9: no `lambda` syntax, no named parameters) and the tests'
-- Python DuckDB run it alike, so the explorer cannot compute a figure differently from them.
-- {row} and {column} are period macros (month_label …) or cube columns, chosen from the
-- lists in queries.json; {where} is the conjunction of the fragments of the view (period,
-- job type, VO selection, filters) with their values as quoted SQL literals; {sums} is
-- `sum(<column>)::DOUBLE AS <column>` for each sum column of the family (catalogue.toml).
-- GROUPING SETS give the cells, the row totals, the column totals and the grand total in one
-- pass, each from the exact integer sums (the cube's DECIMAL(38, 0)), divided in the browser
-- only for display, as accounting/site/report.py does.
WITH picked AS (
    SELECT {row} AS row_key, {column} AS column_key, *
    FROM {cube}
    WHERE {where}
)
SELECT
    row_key,
    column_key,
    grouping(row_key)::INTEGER AS all_rows,
    grouping(column_key)::INTEGER AS all_columns,
    {sums}
FROM picked
GROUP BY GROUPING SETS ((row_key, column_key), (row_key), (column_key), ())
ORDER BY all_rows, all_columns, row_key NULLS LAST, column_key NULLS LAST
