-- The figures behind one month's WLCG reports, kept when they are frozen and compared with
-- later builds' (restatements): the LHC experiments' wallclock work per tier, federation,
-- site and experiment.
SELECT Tier, Federation, Site, Experiment, sum(normwall_proc_s)::DOUBLE AS work_s
FROM wlcg_monthly
WHERE Year = $year AND Month = $month AND Federation IS NOT NULL AND Experiment <> getvariable('wlcg_other')
GROUP BY ALL
ORDER BY ALL
