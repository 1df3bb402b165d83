-- Active sites, VOs and users per period for one VO group and infrastructure filter.
SELECT period_kind, period, active_sites, active_vos, active_users
FROM htc_activity
WHERE vo_group = $vo_group AND infra_filter = $infra_filter
