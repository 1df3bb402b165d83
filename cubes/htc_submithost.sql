-- HTC sums by month, site and submit host (compute element) for the site pages.
SELECT
    Year, Month, Site, NGI, Country, SubmitHost, Infrastructure, VOEGI, VOLHC,
    sum(COLUMNS(lambda c: htc_sum_column(c)))::DECIMAL(38, 0),
    count(*)::BIGINT AS summary_rows
FROM stg_htc
GROUP BY ALL
ORDER BY ALL
