"""/wlcg/pledges/: WLCG usage against the pledges, a page per year (CPU per federation and
experiment, CPU month by month, disk, tape) and an overview of the years by tier. The
figures come from the wlcg_pledges cube, shaped by accounting/site/pledges.py; every table
is also a CSV and a Parquet download with the same figures at full precision."""

from __future__ import annotations

import calendar

from accounting.site import paths, pledges
from accounting.site.generators import Build
from accounting.site.report import fmt, records_arrow, records_csv

PLEDGES = "wlcg/pledges/"
CRUMBS = [("WLCG", "wlcg/"), ("Pledges", PLEDGES)]


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


def year_page(b: Build, y: pledges.Year) -> dict[str, float | None]:
    """A year's page; returns each tier's (and the total's) % of the CPU pledge so far."""
    f = b.ctx.frame
    page_dir = f"{PLEDGES}{y.year}/"
    last_label = f"{calendar.month_abbr[y.last]} {y.year}"
    so_far = f"Jan–{calendar.month_abbr[y.last]}" if y.last < 12 else "the whole year"
    kinds = [pledges.kind(g) for g in y.groups]
    tables = [
        _table(b, page_dir, "cpu", f"CPU: wall-clock work delivered against pledge, {y.year} ({so_far})",
               pledges.CPU_HEADER, [pledges.cpu_row(g, y) for g in y.groups], kinds, pledges.CPU_PERCENT, 3)]
    feds = [g for g in y.groups if g.experiment == pledges.ALL]
    tables.append(_table(b, page_dir, "cpu_monthly", f"CPU: % of each month's pledge delivered, {y.year}",
                         ["Tier", "Federation", *(calendar.month_abbr[m] for m in y.done), f"{so_far}",
                          "Whole year"],
                         [pledges.monthly_row(g, y) for g in feds], [pledges.kind(g) for g in feds],
                         tuple(range(2, len(y.done) + 4)), 2))
    for media in ("disk", "tape"):
        groups = [g for g in y.groups if pledges.has_storage(g, media)]
        tables.append(_table(b, page_dir, media, f"{media.capitalize()} used against pledge, {y.year}",
                             pledges.storage_header(media, last_label), [pledges.storage_row(g, y, media)
                                                                         for g in groups],
                             [pledges.kind(g) for g in groups], pledges.STORAGE_PERCENT, 3))
    years = b.reader.pledge_years(f.last)
    b.render("pledges.html", page_dir, title=f"WLCG pledges {y.year}",
             heading=f"WLCG: usage against pledge, {y.year}",
             crumbs=[(label, paths.relative(page_dir, p)) for label, p in CRUMBS] + [(str(y.year), "./")],
             tables=tables, year=y.year, so_far=so_far, partial=y.last < 12,
             years=[(yy, paths.relative(page_dir, f"{PLEDGES}{yy}/"), yy == y.year) for yy in years])
    return {(g.tier if g.tier != pledges.ALL else "Total"): pledges.cpu_row(g, y)[7]
            for g in y.groups if g.federation == pledges.ALL}


def generate(b: Build) -> None:
    f = b.ctx.frame
    years = b.reader.pledge_years(f.last)
    if not years or "htc" not in b.ctx.with_data:
        return
    overview = {}
    for year in years:
        y = pledges.shape(year, b.reader.pledges(year), f.last_month if year == f.last_year else 12)
        overview[year] = year_page(b, y)
    tiers = sorted({t for by_tier in overview.values() for t in by_tier}, key=lambda t: (t == "Total", t))
    header = ["Tier", *(f.year_label(y) for y in years)]
    rows = [[t, *(overview[y].get(t) for y in years)] for t in tiers]
    table = _table(b, PLEDGES, "overview", "CPU: % of the pledge delivered, by tier and year", header, rows,
                   ["total" if t == "Total" else "entity" for t in tiers], tuple(range(1, len(years) + 1)), 1)
    b.render("pledges.html", PLEDGES, title="WLCG pledges", heading="WLCG: usage against pledge",
             crumbs=[(label, paths.relative(PLEDGES, p)) for label, p in CRUMBS], tables=[table], year=None,
             partial=False,
             years=[(y, f"{y}/", False) for y in years])
