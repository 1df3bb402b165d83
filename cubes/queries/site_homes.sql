-- Each site's NGI and country in the latest month it reported (for breadcrumbs).
SELECT Site, arg_max(NGI, Year * 100 + Month) AS NGI, arg_max(Country, Year * 100 + Month) AS Country
FROM htc_monthly
GROUP BY Site
ORDER BY Site
