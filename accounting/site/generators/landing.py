"""The home page: headline figures of the last complete month and year against the
previous ones, and the whole history of normalised work by infrastructure (grid, local)."""

from __future__ import annotations

from accounting.catalogue import Metric, sum_columns
from accounting.site import charts, summary
from accounting.site.generators import Build
from accounting.site.generators.reports import make_table, sums
from accounting.site.kinds import DEFAULT_INFRA, DEFAULT_VO_GROUP, KIND, TableSpec
from accounting.site.timeframe import TimeFrame

# The headline tiles: metrics of the HTC table, then of each other family's.
TILES = (("htc", ("njobs", "normcpu", "normelap_processors", "sumcpu")),
         ("gpu", ("gpu_available", "gpu_utilisation", "gpu_count")),
         ("cloud", ("cloud_vms", "cloud_core_hours")))
ACTIVITY = (("Active sites", "sites"), ("Active VOs", "VOs"), ("Active users", "users"))


def generate(b: Build) -> None:
    f, cat, egi = b.ctx.frame, b.ctx.cat, KIND["egi"]
    history = TableSpec("trend", "Infrastructure", "history")
    years = TableSpec("trend_yearly", "Infrastructure", "year")
    by_period = {"history": sums(b.reader, b.ctx, egi, history, DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {}),
                 "year": sums(b.reader, b.ctx, egi, years, DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {})}
    family_sums = {("htc", period): s for period, s in by_period.items()}
    for family in ("gpu", "cloud"):
        if family not in b.ctx.with_data:
            continue
        for period in ("history", "year"):
            family_sums[family, period] = sums(b.reader, b.ctx, KIND[family],
                                               TableSpec(family, "Site", period, f"{family}_monthly"),
                                               DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {})
    activity = b.reader.activity(DEFAULT_VO_GROUP, DEFAULT_INFRA)

    (py, pm), (ly, lm) = f.recent_months(2)
    full_year = ly if lm == 12 else ly - 1
    blocks = [("month", "history", f.month_key(ly, lm), f.month_key(py, pm), f.last_month_label,
               f.month_label(py, pm)),
              ("year", "year", str(full_year), str(full_year - 1), str(full_year), str(full_year - 1))]
    tiles = []
    for period_kind, period, cur, prev, cur_label, prev_label in blocks:
        figures = []
        for family, metric_ids in TILES:
            if family not in b.ctx.with_data:  # no tiles of "–" for a data type the source lacks
                continue
            for metric_id in metric_ids:
                m, s = cat.metrics[metric_id], family_sums[family, period]
                figures.append(_tile(m.name, m.unit, _metric_at(m, s, cur, f), _metric_at(m, s, prev, f),
                                     average=m.per_period and period_kind == "year"))
        for j, (label, unit) in enumerate(ACTIVITY):
            a, p = activity.get((period_kind, cur)), activity.get((period_kind, prev))
            figures.append(_tile(label, unit, a[j] if a else None, p[j] if p else None))
        tiles.append({"period": cur_label, "previous": prev_label, "figures": figures})

    tables = {}
    for spec, period in ((history, "history"), (years, "year")):
        table = make_table(b.ctx, egi, spec, "normelap_processors", by_period[period], "")
        b.writer.write(f"{spec.id}.csv", table.csv())
        b.writer.write_parquet(f"{spec.id}.parquet", table.arrow())
        tables[spec.id] = table
    trend, yearly = tables["trend"], tables["trend_yearly"]
    chart = charts.spec("stacked", trend.metric.title, "trend.csv", trend.row_dim, trend.columns,
                        x_title="month")
    shown = summary.write(b.writer, "", cat, f, by_period["history"])
    b.render("index.html", "", title="EGI accounting", tiles=tiles, chart=chart,
             summary={**shown, "download": "summary"},
             yearly={"id": yearly.id, "display": yearly.display(), "title": yearly.title},
             with_data=b.ctx.with_data)


def _column_total(table_sums: dict, column: str, i: int) -> int:
    return sum(by_col[column][i] for by_col in table_sums.values() if column in by_col)


def _metric_at(m: Metric, table_sums: dict, column: str, frame: TimeFrame) -> float | None:
    """A metric over all rows of one column (a month or a year) of a table's sums."""
    cols = sum_columns(m.family)
    if not any(column in by_col for by_col in table_sums.values()):
        return None
    num = _column_total(table_sums, column, cols.index(m.numerator))
    if m.per_period:
        return m.value(num, frame.length(column, m.period_unit))
    return m.value(num, _column_total(table_sums, column, cols.index(m.denominator)) if m.denominator else None)


def _tile(label: str, unit: str, value, previous, average: bool = False) -> dict:
    """`average`: a count of things over a year, shown as its monthly average."""
    change = None
    if value is not None and previous:
        change = 100 * (value - previous) / previous
    return {"label": label, "unit": unit, "value": value, "previous": previous, "change": change,
            "average": average}
