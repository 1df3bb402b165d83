-- Normalised work per benchmark type and month, whole history (the benchmark transitions).
SELECT month_label(Year, Month) AS month, BenchmarkType,
    sum(normwall_proc_s) AS normwall_proc_s
FROM htc_monthly
WHERE Year * 100 + Month <= $last
GROUP BY ALL
ORDER BY ALL
