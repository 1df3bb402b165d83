"""A view of the API (/api/v1/<data>?…): its parameters checked against the release's own
choices, and its table computed from the release's cubes.

The parameters are the explorer's (README "Explorer"): metric (one id, or several separated
by commas: rows × metrics for the period), rows, cols, from, to (YYYY-MM), vos (all, egi,
lhc, top, custom), top (N), vo (the custom list, repeated or comma-separated), jobs (both,
grid, local) and a filter per dimension (`NGI=…`, repeated). The SQL is the explorer's
(accounting/site/explore.view_sql over the release's explore/queries.json) and the table
arithmetic the static pages' (accounting/site/report.py), so an answer equals the page and
the explorer for the same view.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from accounting.catalogue import Metric
from accounting.site import report
from accounting.site.explore import view_sql
from accounting.site.paths import Absent

MAX_LIST = 200  # values in a custom VO list or in one filter
MAX_TOP = 1000
QUERY_SECONDS = 20  # a view's query is interrupted after this long


class BadRequest(Exception):
    """A request that names something the release does not have: 400, or 404 for a data type."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _one(params, name: str, default: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times")
    return values[0] if values else default


def _list(params, name: str) -> list[str]:
    out = [v for raw in params.getlist(name) for v in raw.split(",") if v != ""]
    if len(out) > MAX_LIST:
        raise BadRequest(f"{name} lists {len(out)} values, at most {MAX_LIST}")
    return out


def _month(value: str, name: str, months: list[str]) -> str:
    if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit() or not 1 <= int(value[5:]) <= 12:
        raise BadRequest(f"{name}={value!r} is not a month (YYYY-MM)")
    if not months[0] <= value <= months[-1]:
        raise BadRequest(f"{name}={value} is outside the data ({months[0]} to {months[-1]})")
    return value


def parse(q: dict, data: str, params) -> dict:
    """The canonical view of a request, or BadRequest naming the part not understood."""
    if data not in q["families"]:
        raise BadRequest(f"unknown data type {data!r} (known: {', '.join(q['families'])})", 404)
    fam, d = q["families"][data], q["defaults"]
    known = {"metric", "rows", "cols", "from", "to", "vos", "top", "vo", "jobs", "format", *fam["dimensions"]}
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}")
    metric_ids = {m["id"] for m in fam["metrics"]}
    metrics = _list(params, "metric") or [fam["default"]]
    for m in metrics:
        if m not in metric_ids:
            raise BadRequest(f"unknown metric {m!r} for {data}")
    axes = set(fam["dimensions"]) | set(q["periods"])
    rows = _one(params, "rows", d["rows"])
    default_cols = "metric" if len(metrics) > 1 else d["cols"]
    if rows == default_cols:  # rows given as the default columns: the explorer's other axis
        default_cols = "NGI" if rows == "month" else "month"
    cols = _one(params, "cols", default_cols)
    if rows not in axes:
        raise BadRequest(f"unknown rows {rows!r}")
    if cols not in axes | {"metric"}:
        raise BadRequest(f"unknown cols {cols!r}")
    if rows == cols:
        raise BadRequest(f"rows and cols are both {rows!r}")
    if len(metrics) > 1 and cols != "metric":
        raise BadRequest("several metrics need cols=metric")
    months = [m["month"] for m in fam["months"]]
    first, last = (_month(_one(params, k, d[k]), k, months) for k in ("from", "to"))
    if first > last:
        raise BadRequest(f"from={first} is after to={last}")
    vos = _one(params, "vos", d["vos"])
    if vos not in q["vo_groups"] and vos not in ("top", "custom"):
        raise BadRequest(f"unknown vos {vos!r}")
    top = _one(params, "top", str(d["top"]))
    if not top.isdigit() or not 1 <= int(top) <= MAX_TOP:
        raise BadRequest(f"top={top!r} is not a number from 1 to {MAX_TOP}")
    custom = _list(params, "vo")
    if vos == "custom" and not custom:
        raise BadRequest("vos=custom needs vo=…")
    jobs = _one(params, "jobs", d["jobs"])
    if jobs not in q["jobs"]:
        raise BadRequest(f"unknown jobs {jobs!r} (known: {', '.join(q['jobs'])})")
    filters = {}
    for dim in fam["dimensions"]:
        values = _list(params, dim)
        unknown_values = [v for v in values if v not in set(fam["values"][dim])]
        if unknown_values:
            raise BadRequest(f"unknown {dim} {unknown_values[0]!r}", 404)
        if values:
            filters[dim] = sorted(set(values))
    return {"data": data, "metric": metrics, "rows": rows, "cols": cols, "from": first, "to": last,
            "vos": vos, "top": int(top) if vos == "top" else None, "vo": sorted(set(custom)) if vos == "custom" else [],
            "jobs": jobs, "filters": filters}


def canonical(view: dict) -> str:
    """One text per distinct view (the cache key and the ETag's content)."""
    parts = [f"{k}={view[k]}" for k in ("data", "rows", "cols", "from", "to", "vos", "top", "jobs")]
    parts += [f"metric={','.join(view['metric'])}", f"vo={','.join(view['vo'])}"]
    parts += [f"{dim}={','.join(v)}" for dim, v in sorted(view["filters"].items())]
    return "&".join(parts)


def file_name(view: dict) -> str:
    """A download's name: what it holds (data type, metrics, rows by columns, period)."""
    name = f"{view['data']}-{'+'.join(view['metric'])}-{view['rows']}-by-{view['cols']}-{view['from']}-{view['to']}"
    return "".join(c if c.isalnum() or c in "-+" else "_" for c in name)


@dataclass
class Answer:
    header: list[str]
    records: list[list]
    kinds: list[str]


def _metric(m: dict, data: str) -> Metric:
    return Metric(id=m["id"], name=m["name"], unit=m["unit"], numerator=m["numerator"], scale=m["scale"],
                  description="", denominator=m["denominator"], multiplier=m["multiplier"], family=data)


def _label(q: dict, dim: str, key) -> str:
    """A row or column label; what the source left absent is an `Absent` label, never equal
    to a real name of the same text (its row is of kind "absent")."""
    if key is None:
        return Absent((q["dimensions"].get(dim) or {}).get("absent") or "(none)")
    return str(key)


def _axis_label(q: dict, axis: str) -> str:
    return q["periods"][axis]["label"] if axis in q["periods"] else q["dimensions"][axis]["label"]


def compute(release, view: dict) -> Answer:
    """The view's table, as the explorer shows it: data rows, then Total (and Percent)."""
    q = release.queries
    fam = q["families"][view["data"]]
    sql_view = {**view, "top": view["top"] or 1}
    cur = release.cursor()
    timer = threading.Timer(QUERY_SECONDS, cur.interrupt)  # a view that runs too long fails alone
    timer.start()
    try:
        result = cur.execute(view_sql(q, sql_view)).fetchall()
    finally:
        timer.cancel()
        cur.close()
    n = len(fam["sums"])
    cells: dict[str, dict[str, tuple]] = {}
    for row_key, column_key, all_rows, all_columns, *sums in result:
        if not all_rows and not all_columns:
            exact = tuple(int(s) if float(s).is_integer() else s for s in sums[:n])
            cells.setdefault(_label(q, view["rows"], row_key), {})[_label(q, view["cols"], column_key)] = exact
    metrics = [_metric(next(m for m in fam["metrics"] if m["id"] == mid), view["data"]) for mid in view["metric"]]
    if view["cols"] in q["periods"]:
        columns = list(dict.fromkeys(m[view["cols"]] for m in fam["months"]
                                     if view["from"] <= m["month"] <= view["to"]))
    elif view["cols"] == "metric":
        columns = ["all"]
    else:
        columns = sorted({c for by_col in cells.values() for c in by_col})
    tables = [report.build_table(id="api", title=m.title, row_dim=_axis_label(q, view["rows"]),
                                 row_label=_axis_label(q, view["rows"]), columns=columns, column_labels=columns,
                                 metric=m, sums=cells) for m in metrics]
    if view["rows"] in q["periods"]:  # time as rows runs in time order, as in the explorer
        for t in tables:
            t.rows.sort(key=lambda r: r.key)
    if view["cols"] != "metric":
        t = tables[0]
        return Answer(t.header, t.records, t.kinds)
    # rows × metrics for the period, in the first metric's order (each table sorts by its own)
    first = tables[0]
    totals = [{r.key: r.total for r in t.rows} for t in tables]
    header = [first.row_dim, *(m.title for m in metrics)]
    records = [[r.key, *(m.value(tt[r.key].num, tt[r.key].den) for m, tt in zip(metrics, totals))]
               for r in first.rows]
    records.append(["Total", *(t.metric.value(t.grand_total.num, t.grand_total.den) for t in tables)])
    return Answer(header, records, [report.row_kind(r.key) for r in first.rows] + [report.TOTAL])
