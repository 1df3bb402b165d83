-- Each site's NGI and country in the latest month it reported (for breadcrumbs): NULL
-- where the site was missing from topology then (arg_max would skip to an older month).
SELECT Site, arg_max_null(NGI, Year * 100 + Month) AS NGI, arg_max_null(Country, Year * 100 + Month) AS Country
FROM htc_monthly
GROUP BY Site
ORDER BY Site
