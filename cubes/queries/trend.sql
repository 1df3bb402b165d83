-- The infrastructure trend: normalised work per month and infrastructure, whole history.
SELECT month_label(Year, Month) AS month, Infrastructure,
    sum(normwall_proc_s) AS normwall_proc_s
FROM htc_monthly
WHERE Year * 100 + Month <= $last
GROUP BY ALL
ORDER BY ALL
