"""The explorer's views as the tests state them, and the table a view gives when its SQL
(explore/queries.json, assembled by accounting.site.explore.view_sql as explore.js does) runs
in Python's DuckDB over the published cubes: {row: {column: value}} with Total and Percent,
derived from the sums by the catalogue's Metric.value, as the pages derive theirs."""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import duckdb

from accounting.catalogue import load
from accounting.site.explore import view_sql


def view(q: dict, **choices) -> dict:
    """A complete view: the build's defaults (last 12 months, all VOs, grid and local jobs,
    NGI × month of the default metric), changed by `choices` (`from_`/`to` for the period)."""
    d = q["defaults"]
    v = {"data": d["data"], "metric": list(d["metric"]), "rows": d["rows"], "cols": d["cols"], "from": d["from"],
         "to": d["to"], "vos": d["vos"], "top": d["top"], "vo": [], "jobs": d["jobs"], "filters": {}}
    if "from_" in choices:
        choices["from"] = choices.pop("from_")
    v.update(choices)
    return v


def connect(output: Path) -> tuple[dict, duckdb.DuckDBPyConnection]:
    """queries.json and a fresh DuckDB with only what it sets up (its macros) and the cubes
    attached as the browser attaches them: the SQL must need nothing of the project's."""
    q = json.loads((output / "explore" / "queries.json").read_text())
    con = duckdb.connect()
    for statement in q["setup"]:
        con.execute(statement)
    for fam in q["families"].values():
        con.read_parquet(str(output / "data" / fam["file"])).create_view(fam["cube"])
    return q, con


def period_key(kind: str, y: int, m: int) -> str:
    return {"month": f"{y:04d}-{m:02d}", "quarter": f"{y:04d}-Q{(m + 2) // 3}",
            "half": f"{y:04d}-H{(m + 5) // 6}", "year": f"{y:04d}"}[kind]


def months_between(first: str, last: str) -> list[tuple[int, int]]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while (y, m) <= (int(last[:4]), int(last[5:])):
        out.append((y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def length(v: dict, unit: str, keys: dict) -> int:
    """A per-period metric's divisor: the view's months within `keys` ({granularity: key}),
    counted (unit "month") or in seconds, from the calendar."""
    n = 0
    for y, m in months_between(v["from"], v["to"]):
        if all(period_key(g, y, m) == k for g, k in keys.items()):
            n += 1 if unit == "month" else calendar.monthrange(y, m)[1] * 86400
    return n


def table(q: dict, con, v: dict) -> dict[str, dict[str, float | None]]:
    """{row label: {column key: value}}: data rows (absent keys by their label), Total, Percent
    (the Total column of a stock or per-period metric is its average, under the key "Total")."""
    fam = q["families"][v["data"]]
    cur = con.execute(view_sql(q, v))
    names = [d[0] for d in cur.description]
    cat = load()
    mid = v["metric"][0]
    unit_hours = cat.explore_units[v.get("unit", "hour")]["hours"]
    if fam["stock"]:
        spec = cat.storage_metrics[mid]
        numerator, ratio = f"{spec['column']}_avg", False
        value = lambda s, keys: None if s[numerator] is None else s[numerator] / float(spec["scale"])  # noqa: E731
    else:
        metric = cat.metrics[mid]
        numerator, ratio = metric.numerator, metric.is_ratio

        def value(s, keys):
            if metric.per_period:
                return metric.value(s[numerator], length(v, metric.period_unit, keys))
            got = metric.value(s[numerator], s[metric.denominator] if metric.denominator else None)
            if metric.scale == 3600 and not ratio and got is not None:
                got = got / unit_hours
            return got
    sums = fam["sums"]
    periods = ("month", "quarter", "half", "year")
    label = lambda dim, k: ((q["dimensions"].get(dim) or {}).get("absent") or "(none)") if k is None else k  # noqa: E731
    out: dict = {}
    grand = None
    for rec in cur.fetchall():
        r = dict(zip(names, rec))
        s = {c: r[c] if fam["stock"] else (r[c] or 0) for c in sums}
        keys = {}
        if v["rows"] in periods and not r["all_rows"]:
            keys[v["rows"]] = r["row_key"]
        if v["cols"] in periods and not r["all_columns"]:
            keys[v["cols"]] = r["column_key"]
        val = value(s, keys)
        row = "Total" if r["all_rows"] else label(v["rows"], r["row_key"])
        col = "Total" if r["all_columns"] else label(v["cols"], r["column_key"])
        out.setdefault(row, {})[col] = val
        if r["all_rows"] and r["all_columns"]:
            grand = s[numerator]
        out.setdefault("_num", {})[(row, col)] = s[numerator]
    nums = out.pop("_num", {})
    if not out:  # no month at all (a stock's query has no grand total then): the page's Total row
        out["Total"] = {"Total": None}
    if not ratio and not fam["stock"] and grand:
        for (row, col), num in nums.items():
            if row == "Total":
                out.setdefault("Percent", {})[col] = 100 * num / grand
            if col == "Total":
                out[row]["Percent"] = 100 * num / grand
        out["Percent"]["Total"] = 100.0
    return out


def random_view(q: dict, rng) -> dict:
    """A view drawn by `rng` (random.Random) from what queries.json offers: any data type, one
    metric or several, rows and columns from its dimensions and the four granularities, any
    period, every VO selection (the data type's groups, top N, a custom list), job type, unit
    (hour-type metrics), roll-up (a stock) and 0 to 2 filters.
    Drawn only from queries.json, so a data type added there is drawn too."""
    data = rng.choice(sorted(q["families"]))
    fam = q["families"][data]
    ids = [m["id"] for m in fam["metrics"]]
    metric = rng.sample(ids, rng.choice((1, 1, 1, 2, 3)) if len(ids) > 1 else 1)
    axes = list(q["periods"]) + list(fam["dimensions"])
    rows = rng.choice(axes)
    cols = "metric" if len(metric) > 1 else rng.choice([a for a in axes if a != rows])
    months = [m["month"] for m in fam["months"]]
    # Mostly within the last three years, where the data is (the demo's first months are sparse).
    pool = range(max(0, len(months) - 36) if rng.random() < 0.8 else 0, len(months))
    first, last = sorted(rng.sample(pool, 2) if len(pool) > 1 else (0, 0))
    vos = rng.choice([*fam["vo_groups"], *(("top", "custom") if fam["vo_lists"] else ())])
    vo_names = fam["values"].get("VO", [])
    vo = sorted(rng.sample(vo_names, min(len(vo_names), rng.randint(1, 4)))) if vos == "custom" else []
    filters = {}
    for dim in rng.sample(fam["dimensions"], rng.choice((0, 0, 1, 1, 2))):
        values = fam["values"][dim]
        if values:
            filters[dim] = sorted(rng.sample(values, min(len(values), rng.randint(1, 3))))
    v = {"data": data, "metric": metric, "rows": rows, "cols": cols, "from": months[first], "to": months[last],
         "vos": vos, "top": rng.randint(1, 15), "vo": vo, "jobs": rng.choice(sorted(q["jobs"])), "filters": filters}
    if any(m["units"] for m in fam["metrics"] if m["id"] in metric):
        v["unit"] = rng.choice(["hour", "hour", *sorted(q["units"])])
    if fam["stock"]:
        v["stat"] = rng.choice(sorted(fam["rollups"]))
    return v


def view_search(v: dict, q: dict) -> str:
    """The address of a view in the explorer's one spelling (explore.js viewSearch): the job
    type, unit and roll-up where the data type has them, the chart's choice last."""
    from urllib.parse import urlencode

    fam = q["families"][v["data"]]
    p = [("data", v["data"]), ("metric", ",".join(v["metric"])), ("rows", v["rows"])]
    if v["cols"] != "metric":
        p.append(("cols", v["cols"]))
    p += [("from", v["from"]), ("to", v["to"]), ("vos", v["vos"])]
    if v["vos"] == "top":
        p.append(("top", str(v["top"])))
    if v["vos"] == "custom":
        p += [("vo", x) for x in v["vo"]]
    if fam["jobs"]:
        p.append(("jobs", v["jobs"]))
    if any(m["units"] for m in fam["metrics"] if m["id"] in v["metric"]):
        p.append(("unit", v.get("unit", q["defaults"]["unit"])))
    if fam["stock"]:
        p.append(("stat", v.get("stat", q["defaults"]["stat"])))
    p += [(dim, x) for dim in sorted(v["filters"]) for x in v["filters"][dim]]
    p += [("chart", v.get("chart", "bar")), ("chartn", str(v.get("chartn", 9)))]
    return "?" + urlencode(p)
