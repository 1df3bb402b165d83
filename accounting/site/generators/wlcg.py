"""WLCG usage against the pledges, from the wlcg_pledges cube shaped by
accounting/site/pledges.py; every table is also a CSV and a Parquet download with the same
figures at full precision.

- /wlcg/pledges/: by tier and year; /wlcg/pledges/<year>/: CPU per federation and
  experiment, CPU month by month, disk, tape.
- /wlcg/report/<tier1|tier2|countries>/<YYYY-MM>/ and /<YYYY>/: the monthly WLCG reports
  (a month, and the calendar year up to it), laid out for print (A4 landscape).
"""

from __future__ import annotations

import calendar

from accounting.site import charts, frozen, paths, pledges
from accounting.site.generators import Build, restated
from accounting.site.report import fmt, records_arrow, records_csv

PLEDGES = "wlcg/pledges/"
REPORTS = "wlcg/report/"
CRUMBS = [("WLCG", "wlcg/"), ("Pledges", PLEDGES)]
LEVELS = ("Tier", "Federation")
OLD_PATHS = {"tier1/": "wlcg/tier1/", "tier2/": "wlcg/tier2/", "osg/": "wlcg/osg/"}
# The reports: path → (title, the rows' level, the tiers of their federations: None, all)
REPORT_SCOPES = {
    "tier1": ("Tier-0 and Tier-1", ("Federation",), ("Tier-0", "Tier-1")),
    "tier2": ("Tier-2", ("Federation",), ("Tier-2",)),
    "countries": ("countries", ("Country",), None),
}


REPORT_LEADS = {
    "tier1": "The Tier-0 (CERN) and the Tier-1 federations: wall-clock work per experiment against the pledge, "
             "CPU efficiency, disk and tape used against pledge, and each federation's share of every experiment.",
    "tier2": "The Tier-2 federations: wall-clock work per experiment against the pledge, CPU efficiency, disk and "
             "tape used against pledge, and each federation's share of every experiment.",
    "countries": "Every WLCG federation added up by country (a federation counts in the country of most of its "
                 "sites): work per experiment against the pledges, disk and tape, and each country's share.",
    "all": "The monthly WLCG accounting reports, as WLCG circulates them: one per month and one per calendar year "
           "to date, for the Tier-0 and Tier-1 federations, the Tier-2 federations and the countries.",
}


def _cells(row: list, percents: tuple[int, ...], text: int) -> list[dict]:
    """A table row for the page: text cells, figures rounded, percentages of pledge with their colour."""
    out = []
    for i, v in enumerate(row):
        if i < text:
            out.append({"text": v, "cls": "text"})
        elif i in percents:
            out.append({"text": "n/a" if v is None else f"{v:.1f} %", "cls": "pct " + pledges.band(v)})
        else:
            out.append({"text": fmt(v), "cls": "num"})
    return out


def _table(b: Build, page_dir: str, id: str, title: str, header: list[str], rows: list[list], kinds: list[str],
           percents: tuple[int, ...], text: int) -> dict:
    b.writer.write(page_dir + f"{id}.csv", records_csv(header, rows, kinds))
    b.writer.write_parquet(page_dir + f"{id}.parquet", records_arrow(header, rows, kinds))
    return {"id": id, "title": title, "header": header, "text": text,
            "rows": [{"cells": _cells(r, percents, text), "summary": k != "entity"} for r, k in zip(rows, kinds)]}


def _usage_tables(b: Build, page_dir: str, y: pledges.Year, period: str, whole: bool) -> list[dict]:
    """CPU against pledge, then disk and tape, for the groups of a year or month."""
    lv, groups = y.levels, y.groups
    last_label = f"{calendar.month_abbr[y.last]} {y.year}"
    tables = [_table(b, page_dir, "cpu", f"CPU: wall-clock work delivered against pledge, {period}",
                     pledges.cpu_header(lv, whole), [pledges.cpu_row(g, y, whole) for g in groups],
                     [pledges.kind(g) for g in groups], pledges.cpu_percent(lv, whole), len(lv) + 1)]
    for media in ("disk", "tape"):
        stored = [g for g in groups if pledges.has_storage(g, media)]
        tables.append(_table(b, page_dir, media, f"{media.capitalize()} used against pledge, {period}",
                             pledges.storage_header(lv, media, last_label),
                             [pledges.storage_row(g, y, media) for g in stored], [pledges.kind(g) for g in stored],
                             pledges.storage_percent(lv), len(lv) + 1))
    return tables


def year_page(b: Build, y: pledges.Year, years: list[int]) -> dict[str, float | None]:
    """A year's page; returns each tier's (and the total's) % of the CPU pledge so far."""
    page_dir = f"{PLEDGES}{y.year}/"
    so_far = f"Jan–{calendar.month_abbr[y.last]}" if y.last < 12 else "the whole year"
    tables = _usage_tables(b, page_dir, y, f"{y.year} ({so_far})", whole=True)
    feds = [g for g in y.groups if g.experiment == pledges.ALL]
    tables.insert(1, _table(b, page_dir, "cpu_monthly", f"CPU: % of each month's pledge delivered, {y.year}",
                            [*LEVELS, *(calendar.month_abbr[m] for m in y.done), so_far, "Whole year"],
                            [pledges.monthly_row(g, y) for g in feds], [pledges.kind(g) for g in feds],
                            tuple(range(len(LEVELS), len(LEVELS) + len(y.done) + 2)), len(LEVELS)))
    b.render("pledges.html", page_dir, title=f"WLCG pledges {y.year}",
             heading=f"WLCG: usage against pledge, {y.year}",
             crumbs=[(label, paths.relative(page_dir, p)) for label, p in CRUMBS] + [(str(y.year), "./")],
             tables=tables, year=y.year, so_far=so_far, partial=y.last < 12,
             years=[(yy, paths.relative(page_dir, f"{PLEDGES}{yy}/"), yy == y.year) for yy in years])
    at = pledges.cpu_percent(LEVELS)[0]
    return {(g.labels[0] if g.labels[0] != pledges.ALL else "Total"): pledges.cpu_row(g, y)[at]
            for g in y.groups if g.labels[1:] == (pledges.ALL, pledges.ALL)}


def report_page(b: Build, scope: str, rows: list[dict], year: int, months: list[int], key: str,
                years: list[int]) -> bool:
    """One WLCG report: the scope's rows over `months` of `year` (one month, or the year to date)."""
    title, levels, tiers = REPORT_SCOPES[scope]
    page_dir = f"{REPORTS}{scope}/{key}/"
    due = len(months) == 1 and frozen.is_due(year, months[0], b.ctx.frame.as_of)
    if due and b.frozen.has(page_dir):  # kept as it was published, never rendered again
        b.frozen.restore(b.writer, page_dir)
        restated.page(b, scope, title, tiers, year, months[0], page_dir)
        return True
    y = pledges.shape(year, rows, months, levels, lambda r: tiers is None or r["Tier"] in tiers)
    if not y.groups:
        return False
    period = (f"{calendar.month_name[months[0]]} {year}" if len(months) == 1
              else f"{year}, {calendar.month_abbr[months[0]]}–{calendar.month_abbr[months[-1]]}")
    tables = _usage_tables(b, page_dir, y, period, whole=False)
    pdf = f"wlcg-{scope}-{key}.pdf" if b.pdfs and key in _printed(b.ctx.frame) else None
    if pdf:
        b.pdf_pages.append((page_dir, pdf))
    header, share_rows = pledges.shares(y)
    tables.insert(1, _table(b, page_dir, "experiments", f"Experiment summary: each {levels[0].lower()}'s share of "
                            f"the experiment's work, {period} (%)", header, share_rows,
                            ["entity"] * (len(share_rows) - 1) + ["total"], (), 1))
    chart_rows = [[g.labels[0], g.experiment, pledges.cpu_row(g, y, False)[len(levels) + 3],
                   g.flow("pledge_work_s", months) / pledges.HOUR]
                  for g in y.groups if g.labels[0] != pledges.ALL and g.experiment != pledges.ALL]
    chart_header = [levels[0], "Experiment", "Work (HS23 h)", "Pledge (HS23 h)"]
    b.writer.write(page_dir + "chart.csv", records_csv(chart_header, chart_rows, ["entity"] * len(chart_rows)))
    rel = lambda p: paths.relative(page_dir, p)  # noqa: E731
    b.render("wlcg_report.html", page_dir, title=f"WLCG {title} report, {period}",
             heading=f"WLCG {title} report: {period}",
             crumbs=[("WLCG", rel("wlcg/")), ("Reports", rel(REPORTS)), (title.capitalize(), rel(f"{REPORTS}{scope}/")),
                     (key, "./")],
             tables=tables, period=period, chart=charts.pledge_spec("chart.csv", levels[0]), scope=title,
             years=[(yy, rel(f"{REPORTS}{scope}/{yy}/"), str(yy) == key) for yy in years],
             months=[(calendar.month_abbr[m], rel(f"{REPORTS}{scope}/{year}-{m:02d}/"), f"{year}-{m:02d}" == key)
                     for m in range(1, 13) if year * 100 + m <= b.ctx.frame.last],
             lead=REPORT_LEADS[scope], pdf=pdf,
             frozen={"as_of": b.ctx.frame.as_of, "day": frozen.freeze_date(year, months[0])} if due else None)
    if due:  # the first build on or after the 8th of the next month: this is the one kept
        b.to_freeze.append((page_dir, year, months[0]))
        restated.page(b, scope, title, tiers, year, months[0], page_dir)
    return True


def _printed(f) -> set[str]:
    """The reports printed to PDF: the last three complete months and their years to date."""
    months = f.recent_months(3)
    return {f"{y}-{m:02d}" for y, m in months} | {str(y) for y, _ in months}


def generate(b: Build) -> None:
    f = b.ctx.frame
    if "htc" in b.ctx.with_data:
        for old, new in OLD_PATHS.items():  # the old portal's WLCG views without their /wlcg prefix
            b.render("moved.html", old, title=f"Moved to /{new}", moved_to=paths.relative(old, new),
                     new_path=f"/{new}")
    years = b.reader.pledge_years(f.last)
    if not years or "htc" not in b.ctx.with_data:
        return
    overview, periods = {}, []
    for year in years:
        rows = b.reader.pledges(year)
        done = list(range(1, (f.last_month if year == f.last_year else 12) + 1))
        overview[year] = year_page(b, pledges.shape(year, rows, done), years)
        periods.append((year, rows, done))
    for scope, (title, _, _) in REPORT_SCOPES.items():
        made = []
        for year, rows, done in periods:
            months = [m for m in done if report_page(b, scope, rows, year, [m], f"{year}-{m:02d}", years)]
            if report_page(b, scope, rows, year, done, str(year), years):
                made.append((year, months))
        page_dir = f"{REPORTS}{scope}/"
        b.render("wlcg_reports.html", page_dir, title=f"WLCG {title} reports", heading=f"WLCG {title} reports",
                 crumbs=[("WLCG", "../../"), ("Reports", "../"), (title.capitalize(), "./")],
                 made=[(yy, f"{yy}/", [(calendar.month_abbr[m], f"{yy}-{m:02d}/") for m in ms])
                       for yy, ms in reversed(made)], lead=REPORT_LEADS[scope], scopes=None)
    restated.index(b)
    b.render("wlcg_reports.html", REPORTS, title="WLCG reports", heading="WLCG reports",
             crumbs=[("WLCG", "../"), ("Reports", "./")], made=None, lead=REPORT_LEADS["all"],
             scopes=[(title, f"{scope}/", f"{scope}/{f.last_year}-{f.last_month:02d}/")
                     for scope, (title, _, _) in REPORT_SCOPES.items()])
    tiers = sorted({t for by_tier in overview.values() for t in by_tier}, key=lambda t: (t == "Total", t))
    header = ["Tier", *(f.year_label(y) for y in years)]
    rows = [[t, *(overview[y].get(t) for y in years)] for t in tiers]
    table = _table(b, PLEDGES, "overview", "CPU: % of the pledge delivered, by tier and year", header, rows,
                   ["total" if t == "Total" else "entity" for t in tiers], tuple(range(1, len(years) + 1)), 1)
    b.render("pledges.html", PLEDGES, title="WLCG pledges", heading="WLCG: usage against pledge",
             crumbs=[(label, paths.relative(PLEDGES, p)) for label, p in CRUMBS], tables=[table], year=None,
             partial=False, years=[(y, f"{y}/", False) for y in years])
