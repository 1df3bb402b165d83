-- What the cubes were built from: rows, months covered and the latest update per source
-- dataset. The site's "data as of" stamp and its last complete month come from here, so
-- the same inputs always build the same pages.
SELECT
    'htc' AS dataset,
    count(*)::BIGINT AS rows,
    min(month_label(Year, Month)) AS first_period,
    max(month_label(Year, Month)) AS last_period,
    max(UpdateTime) AS as_of
FROM src_htc
UNION ALL
SELECT
    'storage',
    count(*)::BIGINT,
    min(month_label(Year, Month)),
    max(month_label(Year, Month)),
    max(CreateTime)
FROM src_storage
