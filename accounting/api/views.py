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

from accounting.api import table
from accounting.api.table import Answer
from accounting.site.explore import view_sql

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


def vo_selections(fam: dict) -> list[str]:
    """The `vos` a data type offers: its VO groups, and top N and custom lists where its cube
    has the VO (a release built before queries.json said so: wherever VO is a dimension)."""
    lists = fam.get("vo_lists", "VO" in fam["dimensions"])
    return [*fam["vo_groups"], *(("top", "custom") if lists else ())]


def parse(q: dict, data: str, params) -> dict:
    """The canonical view of a request, or BadRequest naming the part not understood."""
    if data not in q["families"]:
        raise BadRequest(f"unknown data type {data!r} (known: {', '.join(q['families'])})", 404)
    fam, d = q["families"][data], q["defaults"]
    known = {"metric", "rows", "cols", "from", "to", "vos", "top", "vo", "format", *fam["dimensions"]}
    known |= {"jobs"} if fam["jobs"] else set()
    known |= {"stat"} if fam["stock"] else set()
    by_id = {m["id"]: m for m in fam["metrics"]}
    metrics = _list(params, "metric") or [fam["default"]]
    for m in metrics:
        if m not in by_id:
            raise BadRequest(f"unknown metric {m!r} for {data}")
    if any(by_id[m]["units"] for m in metrics):
        known.add("unit")
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r} for {data}")
    axes = set(fam["dimensions"]) | set(q["periods"])
    rows = _one(params, "rows", d["rows"])
    default_cols = "metric" if len(metrics) > 1 else d["cols"]
    if rows == default_cols:  # rows given as the default columns: the explorer's other axis
        default_cols = "NGI" if rows == "month" else "month"
    cols = _one(params, "cols", default_cols)
    if rows not in axes:
        raise BadRequest(f"unknown rows {rows!r} for {data}")
    if cols not in axes | {"metric"}:
        raise BadRequest(f"unknown cols {cols!r} for {data}")
    if rows == cols:
        raise BadRequest(f"rows and cols are both {rows!r}")
    if len(metrics) > 1 and cols != "metric":
        raise BadRequest("several metrics need cols=metric")
    months = [m["month"] for m in fam["months"]]
    first, last = (_month(_one(params, k, d[k]), k, months) for k in ("from", "to"))
    if first > last:
        raise BadRequest(f"from={first} is after to={last}")
    vos = _one(params, "vos", d["vos"])
    selections = vo_selections(fam)
    if vos not in selections:
        raise BadRequest(f"unknown vos {vos!r} for {data} (known: {', '.join(selections)})")
    top = _one(params, "top", str(d["top"]))
    if not top.isdigit() or not 1 <= int(top) <= MAX_TOP:
        raise BadRequest(f"top={top!r} is not a number from 1 to {MAX_TOP}")
    jobs = _one(params, "jobs", d["jobs"])
    if jobs not in q["jobs"]:
        raise BadRequest(f"unknown jobs {jobs!r} (known: {', '.join(q['jobs'])})")
    unit = _one(params, "unit", d["unit"])
    if unit not in q["units"]:
        raise BadRequest(f"unknown unit {unit!r} (known: {', '.join(q['units'])})")
    stat = _one(params, "stat", d["stat"])
    if fam["stock"] and stat not in fam["rollups"]:
        raise BadRequest(f"unknown stat {stat!r} (known: {', '.join(fam['rollups'])})")
    absent = q["absent_value"]  # the token that selects what the source left absent (NULL)

    def values_of(dim: str, name: str) -> list[str]:
        values = _list(params, name)
        have = set(fam["values"][dim]) | ({absent} if dim in fam["absent"] else set())
        wrong = [v for v in values if v not in have]
        if wrong:
            raise BadRequest(f"unknown {dim} {wrong[0]!r}", 404)
        return sorted(set(values))

    custom = values_of("VO", "vo") if "VO" in fam["dimensions"] else _list(params, "vo")
    if vos == "custom" and not custom:
        raise BadRequest("vos=custom needs vo=…")
    filters = {dim: v for dim in fam["dimensions"] if (v := values_of(dim, dim))}
    return {"data": data, "metric": metrics, "rows": rows, "cols": cols, "from": first, "to": last,
            "vos": vos, "top": int(top) if vos == "top" else None, "vo": custom if vos == "custom" else [],
            "jobs": jobs if fam["jobs"] else None, "unit": unit if "unit" in known else None,
            "stat": stat if fam["stock"] else None, "filters": filters}


def canonical(view: dict) -> str:
    """One text per distinct view (the cache key and the ETag's content)."""
    parts = [f"{k}={view[k]}" for k in ("data", "rows", "cols", "from", "to", "vos", "top", "jobs", "unit", "stat")]
    parts += [f"metric={','.join(view['metric'])}", f"vo={','.join(view['vo'])}"]
    parts += [f"{dim}={','.join(v)}" for dim, v in sorted(view["filters"].items())]
    return "&".join(parts)


def file_name(view: dict) -> str:
    """A download's name: what it holds (data type, metrics, rows by columns, period)."""
    name = f"{view['data']}-{'+'.join(view['metric'])}-{view['rows']}-by-{view['cols']}-{view['from']}-{view['to']}"
    return "".join(c if c.isalnum() or c in "-+" else "_" for c in name)


def compute(release, view: dict) -> Answer:
    """The view's table, as the explorer shows it: data rows, then Total (and Percent)."""
    q = release.queries
    cur = release.cursor()
    timer = threading.Timer(QUERY_SECONDS, cur.interrupt)  # a view that runs too long fails alone
    timer.start()
    try:
        cur.execute(view_sql(q, {**view, "top": view["top"] or 1}))
        names = [d[0] for d in cur.description]
        result = cur.fetchall()
    finally:
        timer.cancel()
        cur.close()
    return table.build(q, view, names, result)
