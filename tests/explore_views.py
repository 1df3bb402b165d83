"""The explorer's views as the tests state them, and the table a view gives when its SQL
(explore/queries.json, assembled by accounting.site.explore.view_sql as explore.js does) runs
in Python's DuckDB over the published cubes: {row: {column: value}} with Total and Percent,
derived from the sums by the catalogue's Metric.value, as the pages derive theirs."""

from __future__ import annotations

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


def table(q: dict, con, v: dict) -> dict[str, dict[str, float | None]]:
    """{row label: {column key: value}}: data rows (absent keys by their label), Total, Percent."""
    fam = q["families"][v["data"]]
    cur = con.execute(view_sql(q, v))
    names = [d[0] for d in cur.description]
    cat = load()
    metric = cat.metrics[v["metric"][0]]
    sums = fam["sums"]
    label = lambda dim, k: (q["dimensions"].get(dim) or {}).get("absent") if k is None else k  # noqa: E731
    out: dict = {}
    grand = None
    for rec in cur.fetchall():
        r = dict(zip(names, rec))
        s = {c: r[c] or 0 for c in sums}
        val = metric.value(s[metric.numerator], s[metric.denominator] if metric.denominator else None)
        row = "Total" if r["all_rows"] else label(v["rows"], r["row_key"])
        col = "Total" if r["all_columns"] else label(v["cols"], r["column_key"])
        out.setdefault(row, {})[col] = val
        if r["all_rows"] and r["all_columns"]:
            grand = s[metric.numerator]
        out.setdefault("_num", {})[(row, col)] = s[metric.numerator]
    nums = out.pop("_num", {})
    if not metric.is_ratio and grand:
        for (row, col), num in nums.items():
            if row == "Total":
                out.setdefault("Percent", {})[col] = 100 * num / grand
            if col == "Total":
                out[row]["Percent"] = 100 * num / grand
        out["Percent"]["Total"] = 100.0
    return out
