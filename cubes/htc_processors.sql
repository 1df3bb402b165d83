-- HTC sums by month, site, processors per job and node count (job shapes over time).
SELECT
    Year, Month, Site, NGI, Country, Infrastructure, Processors, NodeCount,
    sum(COLUMNS(lambda c: htc_sum_column(c)))::DECIMAL(38, 0),
    count(*)::BIGINT AS summary_rows
FROM stg_htc
GROUP BY ALL
ORDER BY ALL
