-- Monthly values behind one kind of storage table, for every scope at once: {scope} is the
-- page's entity column (a constant on infrastructure-wide pages), {row} the table's rows,
-- {measure} a monthly statistic of storage_monthly. Adding keys within a month is right
-- for a stock; months are never added here (accounting/stock.py rolls them up).
SELECT
    {scope} AS scope,
    {row} AS row_key,
    month_label(Year, Month) AS month,
    sum({measure})::DOUBLE AS value
FROM storage_monthly
WHERE {measure} IS NOT NULL
GROUP BY ALL
ORDER BY ALL
