"""Restatements of frozen WLCG reports: beside each frozen monthly report,
<report>/restated/ compares the figures it was frozen with (accounting/site/frozen.py)
with this build's, per federation and per site (absolute and %); /wlcg/report/restatements/
lists every frozen report whose figures changed since."""

from __future__ import annotations

import calendar
from collections import defaultdict

from accounting.site import paths
from accounting.site.generators import Build
from accounting.site.pledges import HOUR
from accounting.site.report import fmt, records_arrow, records_csv

RESTATEMENTS = "wlcg/report/restatements/"


def _work(table, tiers, by: tuple[str, ...]) -> dict[tuple, float]:
    """Work (HS23 h) of the figures' rows in `tiers` (None: all), summed by the columns `by`."""
    cols = table.to_pydict()
    out: dict[tuple, float] = defaultdict(float)
    for i in range(table.num_rows):
        if tiers is None or cols["Tier"][i] in tiers:
            out[tuple(cols[c][i] for c in by)] += cols["work_s"][i] / HOUR
    return out


def _diff_rows(frozen: dict, now: dict) -> list[list]:
    """Rows whose work changed: the key's columns, frozen, now, difference and difference %."""
    rows = []
    for key in sorted(set(frozen) | set(now), key=lambda k: tuple(str(x) for x in k)):
        a, b = frozen.get(key, 0.0), now.get(key, 0.0)
        if abs(b - a) > 1e-9 * max(abs(a), abs(b), 1.0):
            rows.append([*key, a, b, b - a, 100 * (b - a) / a if a else None])
    return rows


def page(b: Build, scope: str, title: str, tiers, year: int, month: int, report_dir: str) -> None:
    """The restatement page of one frozen report (at freeze time: no difference yet)."""
    store, page_dir = b.frozen, report_dir + "restated/"
    now = b.report_figures(year, month)
    if store.has(report_dir):
        kept, as_of = store.figures(report_dir), store.meta(report_dir)["as_of"]
    else:  # frozen by this build: its figures are this build's
        kept, as_of = now, b.ctx.frame.as_of.isoformat()
    period = f"{calendar.month_name[month]} {year}"
    tables = []
    for id, by, labels in (("federations", ("Federation",), ["Federation"]),
                           ("sites", ("Federation", "Site"), ["Federation", "Site"])):
        rows = _diff_rows(_work(kept, tiers, by), _work(now, tiers, by))
        header = [*labels, "Frozen (HS23 h)", "Now (HS23 h)", "Difference (HS23 h)", "Difference (%)"]
        b.writer.write(page_dir + f"{id}.csv", records_csv(header, rows, ["entity"] * len(rows)))
        b.writer.write_parquet(page_dir + f"{id}.parquet", records_arrow(header, rows, ["entity"] * len(rows)))
        tables.append({"id": id, "header": header, "text": len(labels),
                       "rows": [[*r[:len(labels)], *(fmt(v) if i < 3 else ("–" if v is None else f"{v:+.2f} %")
                                                     for i, v in enumerate(r[len(labels):]))] for r in rows]})
    total_kept = sum(_work(kept, tiers, ()).values())
    total_now = sum(_work(now, tiers, ()).values())
    if tables[0]["rows"] or tables[1]["rows"]:
        b.restatements.append({"scope": title, "period": period, "href": page_dir, "frozen": total_kept,
                               "now": total_now, "as_of": as_of})
    rel = lambda p: paths.relative(page_dir, p)  # noqa: E731
    b.render("wlcg_restated.html", page_dir, title=f"Restatements of the WLCG {title} report, {period}",
             heading=f"WLCG {title} report, {period}: changes since it was frozen",
             crumbs=[("WLCG", rel("wlcg/")), ("Reports", rel("wlcg/report/")),
                     (title.capitalize(), rel(f"wlcg/report/{scope}/")), (f"{year}-{month:02d}", "../"),
                     ("Restated", "./")],
             tables=tables, as_of=as_of, totals=(fmt(total_kept), fmt(total_now), fmt(total_now - total_kept)),
             restatements=rel(RESTATEMENTS))


def index(b: Build) -> None:
    rows = [{**r, "frozen_text": fmt(r["frozen"]), "now_text": fmt(r["now"]),
             "diff_text": fmt(r["now"] - r["frozen"]),
             "pct_text": "–" if not r["frozen"] else f"{100 * (r['now'] - r['frozen']) / r['frozen']:+.2f} %",
             "href": paths.relative(RESTATEMENTS, r["href"])} for r in b.restatements]
    header = ["Report", "Month", "Frozen (HS23 h)", "Now (HS23 h)", "Difference (HS23 h)", "Frozen with data as of"]
    records = [[r["scope"], r["period"], r["frozen"], r["now"], r["now"] - r["frozen"], r["as_of"]]
               for r in b.restatements]
    b.writer.write(RESTATEMENTS + "restatements.csv", records_csv(header, records, ["entity"] * len(records)))
    b.render("wlcg_restated.html", RESTATEMENTS, title="Restatements of the frozen WLCG reports",
             heading="Restatements of the frozen WLCG reports",
             crumbs=[("WLCG", "../../"), ("Reports", "../"), ("Restatements", "./")], tables=None, index=rows)
