-- Headline figures for a list of periods ('YYYY-MM' or 'YYYY'), all VOs and all jobs,
-- months $first..$last only (so a year in progress counts its complete months).
WITH periods AS (SELECT unnest($periods) AS period)
SELECT
    p.period,
    coalesce(sum(c.njobs), 0) AS njobs,
    coalesce(sum(c.cpu_s), 0) AS cpu_s,
    coalesce(sum(c.normcpu_s), 0) AS normcpu_s,
    coalesce(sum(c.normwall_proc_s), 0) AS normwall_proc_s,
    coalesce(sum(c.wall_proc_s), 0) AS wall_proc_s
FROM periods AS p
LEFT JOIN htc_monthly AS c
    ON p.period IN (month_label(c.Year, c.Month), printf('%04d', c.Year))
    AND c.Year * 100 + c.Month BETWEEN $first AND $last
GROUP BY p.period
ORDER BY p.period
