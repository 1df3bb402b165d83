"""/report/: the old portal's Reports menu (WLCG reports, resource centres, disciplines) and
its VO metrics: active VOs, sites and users per month and per year (htc_activity, distinct
counts per period), for all VOs and for the EGI official VOs' grid jobs."""

from __future__ import annotations

from accounting.site import paths
from accounting.site.generators import Build
from accounting.site.report import fmt, records_arrow, records_csv

MENU = "report/"
COUNTS = ("Active VOs", "Active sites", "Active users")
SELECTIONS = (("all", "localinfrajobs", "All VOs, grid and local jobs"),
              ("egi", "onlyinfrajobs", "EGI official VOs, grid jobs"))


def generate(b: Build) -> None:
    if "htc" not in b.ctx.with_data:
        return
    f = b.ctx.frame
    months = [(f.month_key(y, m), f.month_label(y, m)) for y, m in f.recent_months()]
    tables = []
    for vo_group, infra, label in SELECTIONS:
        activity = b.reader.activity(vo_group, infra)  # (period kind, period) -> (sites, VOs, users)
        years = sorted(p for k, p in activity if k == "year")
        for kind, periods, title in (("month", months, "by month, the last 12 complete months"),
                                     ("year", [(y, f.year_label(int(y))) for y in years], "by year")):
            records = []
            for key, shown in periods:
                sites, vos, users = activity.get((kind, key), (None, None, None))
                records.append([shown, vos, sites, users])
            id = f"vomet_{vo_group}_{kind}"
            header = ["Month" if kind == "month" else "Year", *COUNTS]
            b.writer.write(MENU + f"{id}.csv", records_csv(header, records, ["period"] * len(records)))
            b.writer.write_parquet(MENU + f"{id}.parquet", records_arrow(header, records, ["period"] * len(records)))
            tables.append({"id": id, "title": f"{label}, {title}", "header": header,
                           "rows": [[r[0], *(fmt(v) for v in r[1:])] for r in records]})
    disciplines(b)
    b.render("reports_menu.html", MENU, title="Reports", crumbs=[("Reports", "./")], activity=tables,
             with_data=b.ctx.with_data)


def disciplines(b: Build) -> None:
    """/report/disciplines/: a form of the disciplines (level 3 under their parents) that opens
    the explorer with the chosen ones as a filter, HTC and cloud (the metrics of the old
    report: jobs, normalised CPU and normalised wall time; VMs and normalised core hours)."""
    tree: dict[str, dict[str, set[str]]] = {}
    for d1, d2, d3, _vo in b.reader.disciplines():
        if not any(isinstance(d, paths.Absent) for d in (d1, d2, d3)):
            tree.setdefault(d1, {}).setdefault(d2, set()).add(d3)
    forms = [{"title": "HTC", "data": "htc", "metrics": "njobs,normcpu,normelap"}]
    if "cloud" in b.ctx.with_data:
        forms.append({"title": "Cloud", "data": "cloud", "metrics": "cloud_vms,cloud_normalised"})
    default = {leaf for l2 in tree.get("Natural Sciences", {}).values() for leaf in l2}
    b.render("report_disciplines.html", MENU + "disciplines/", title="Disciplines report",
             crumbs=[("Reports", "../"), ("Disciplines", "./")], forms=forms, default=default,
             tree=[(d1, [(d2, sorted(leaves)) for d2, leaves in sorted(l2s.items())])
                   for d1, l2s in sorted(tree.items())])
