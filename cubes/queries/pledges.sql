-- One year of WLCG usage against pledge (the /wlcg/pledges/ pages, accounting/site/pledges.py):
-- every tier, federation, experiment and month of the year, the months to come too (their
-- pledge makes the whole year's).
SELECT Tier, Country, Federation, Experiment, Month,
    work_grid_s, work_local_s, work_s, cpu_s, wall_proc_s, pledge_work_s,
    disk_b, pledge_disk_b, tape_b, pledge_tape_b
FROM wlcg_pledges
WHERE Year = $year
ORDER BY Tier, Federation, Experiment, Month
