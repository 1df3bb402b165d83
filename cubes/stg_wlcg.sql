-- Staging (a view): WLCG membership (topology/wlcg_sites) as one row per site, VO (NULL:
-- every VO of the site without a row of its own) and month, with the tier and federation
-- of that month. A month is in a row's validity when its first day is (valid_in_month, as
-- for the sites' NGI). Two rows of one site and VO valid in the same month would count the
-- month twice: the one that began last holds it (`valid_rows` > 1: quality_findings lists them).
WITH months AS (
    SELECT Site, VO, Tier, Federation, ValidFrom, ValidTo,
        unnest(generate_series(date_trunc('month', ValidFrom)::DATE,
                               coalesce(ValidTo, DATE '2100-01-01'), INTERVAL 1 MONTH))::DATE AS first_day
    FROM src_wlcg_sites
)
SELECT
    Site, VO, year(first_day) AS Year, month(first_day) AS Month, Tier, Federation,
    count(*) OVER (PARTITION BY Site, VO, first_day) AS valid_rows
FROM months
WHERE valid_in_month(ValidFrom, ValidTo, year(first_day), month(first_day))
QUALIFY row_number() OVER (PARTITION BY Site, VO, first_day ORDER BY ValidFrom DESC, Tier, Federation) = 1
