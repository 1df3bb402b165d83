"""Independent recomputations of explorer views of cloud, GPU and storage from the SOURCE
Parquet (the exported summaries, StAR snapshots and topology), never from the cubes: SQL
written again here from the documented rules (README, "Cloud", "GPU", "Storage"), the
roll-ups over time in Python. Used by tests/test_explore.py (against the browser's SQL run
by Python's DuckDB) and tests/test_explore_browser.py (against DuckDB-WASM in Chromium)."""

from __future__ import annotations

import calendar
from statistics import fmean

import duckdb

from explore_views import months_between, period_key

_ABSENT = "CASE WHEN trim({c}) IN ('', 'None') THEN NULL ELSE {c} END"
_TOPOLOGY = """LEFT JOIN read_parquet('{src}/topology/sites.parquet') s ON s.Site = x.{site}
        AND s.ValidFrom <= make_date(x.Year, x.Month::INTEGER, 1)
        AND (s.ValidTo IS NULL OR make_date(x.Year, x.Month::INTEGER, 1) < s.ValidTo)"""
_KEY = "Site, StorageSystem, share, media, class, grp, sub, role"


def source(src) -> duckdb.DuckDBPyConnection:
    """Views `cloud`, `gpu` (one row per summary) and `storage` (one row per site and month:
    the time-weighted monthly average of each measure per storage key, added over the keys)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""CREATE VIEW cloud AS SELECT x.Year, x.Month::INTEGER AS Month,
            x.Year * 100 + x.Month::INTEGER AS ym, x.SiteName AS Site, s.NGI, {_ABSENT.format(c="x.VO")} AS VO,
            x.NumberOfVMs::HUGEINT AS vms, x.CpuDuration::HUGEINT AS cpu, x.WallDuration::HUGEINT AS wall,
            x.WallDuration::DECIMAL(38, 0) * x.CpuCount::DECIMAL(10, 3) AS core
        FROM read_parquet('{src}/cloud/*/*/*.parquet', hive_partitioning = false) x
        {_TOPOLOGY.format(src=src, site="SiteName")}""")
    con.execute(f"""CREATE VIEW gpu AS SELECT x.Year, x.Month::INTEGER AS Month,
            x.Year * 100 + x.Month::INTEGER AS ym, x.SiteName AS Site, s.NGI, x.Model,
            x.Count::DECIMAL(38, 6) * x.AvailableDuration AS available,
            x.Count::DECIMAL(38, 6) * x.ActiveDuration AS active
        FROM read_parquet('{src}/gpu/*/*/*.parquet', hive_partitioning = false) x
        {_TOPOLOGY.format(src=src, site="SiteName")}""")
    measures = {"used": "ResourceCapacityUsed", "logical": "LogicalCapacityUsed",
                "allocated": "ResourceCapacityAllocated", "files": "FileCount"}
    # (to a thousandth per key, as documented for the cube: README, "Storage")
    averages = ", ".join(f"round(sum({c}::DOUBLE * held_s) / sum(CASE WHEN {c} IS NULL THEN NULL ELSE held_s END), 3)"
                         f" AS {m}" for m, c in measures.items())
    con.execute(f"""CREATE VIEW storage AS
        WITH keyed AS (
            SELECT *, {_ABSENT.format(c="StorageShare")} AS share, lower({_ABSENT.format(c="StorageMedia")}) AS media,
                {_ABSENT.format(c="StorageClass")} AS class, {_ABSENT.format(c='"Group"')} AS grp,
                {_ABSENT.format(c="SubGroup")} AS sub, {_ABSENT.format(c="Role")} AS role,
                year(EndTime) AS y, month(EndTime) AS m
            FROM read_parquet('{src}/storage/*/*/*.parquet', hive_partitioning = false)
        ), latest AS (  -- a republished snapshot (same key and period, later CreateTime) replaces the earlier
            SELECT *, row_number() OVER (PARTITION BY {_KEY}, StartTime, EndTime
                                         ORDER BY CreateTime DESC, RecordId DESC) AS version
            FROM keyed
        ), held AS (  -- each held until the key's next snapshot of the month, the last until the month ends
            SELECT *, epoch(coalesce(lead(EndTime) OVER (PARTITION BY {_KEY}, y, m ORDER BY EndTime),
                                     make_timestamptz(y, m, 1, 0, 0, 0, 'UTC') + INTERVAL 1 MONTH))
                      - epoch(EndTime) AS held_s
            FROM latest WHERE version = 1
        ), per_key AS (
            SELECT Site, y, m, {averages} FROM held GROUP BY {_KEY}, y, m
        )
        SELECT p.Site, s.NGI, p.y AS Year, p.m AS Month, p.y * 100 + p.m AS ym,
            {", ".join(f"sum({m}) AS {m}" for m in measures)}
        FROM per_key p
        LEFT JOIN read_parquet('{src}/topology/sites.parquet') s ON s.Site = p.Site
            AND s.ValidFrom <= make_date(p.y, p.m, 1) AND (s.ValidTo IS NULL OR make_date(p.y, p.m, 1) < s.ValidTo)
        GROUP BY ALL""")
    return con


PERIODS = ("month", "quarter", "half", "year")


def _monthly(con, rel: str, rows: str, cols: str, first: str, last: str, exprs: list[str]):
    """{(row, column key, 'YYYY-MM'): [sums]} of `exprs` over the view's months."""
    col = "NULL" if cols in PERIODS or cols == "metric" else cols
    sql = (f"SELECT {rows}, {col}, Year, Month, {', '.join(f'sum({e})::DOUBLE' for e in exprs)} FROM {rel} "
           f"WHERE ym BETWEEN ? AND ? GROUP BY ALL")
    out = {}
    for row, c, y, m, *s in con.execute(sql, [int(first.replace("-", "")), int(last.replace("-", ""))]).fetchall():
        key = period_key(cols, y, m) if cols in PERIODS else ("all" if cols == "metric" else c)
        out[(row, key, f"{y:04d}-{m:02d}")] = s
    return out


def flow(con, rel: str, rows: str, cols: str, first: str, last: str, num: str, den: str | None = None,
         scale: float = 1, multiplier: float = 1, per: str | None = None, absent=None) -> dict:
    """A flow's table {row: {col: value}} with Total (and Percent unless a ratio). `per`
    ('month' or 'second') makes it an average over the length of each cell's period."""
    absent = absent or {}
    cells: dict = {}
    for (row, col, _month), s in _monthly(con, rel, rows, cols, first, last, [num, den or "0"]).items():
        row = absent.get(rows) if row is None else row
        col = absent.get(cols) if col is None else col
        for r in (row, "Total"):
            for c in (col, "Total"):
                acc = cells.setdefault(r, {}).setdefault(c, [0.0, 0.0])
                acc[0] += s[0]
                acc[1] += s[1]

    def length(row, col):
        n = 0
        for y, m in months_between(first, last):
            if (rows not in PERIODS or row == "Total" or period_key(rows, y, m) == row) and \
                    (cols not in PERIODS or col == "Total" or period_key(cols, y, m) == col):
                n += 1 if per == "month" else calendar.monthrange(y, m)[1] * 86400
        return n

    def value(row, col, s):
        if den:
            return multiplier * s[0] / s[1] if s[1] else None
        if per:
            return s[0] / length(row, col)
        return s[0] / scale

    out = {r: {c: value(r, c, s) for c, s in by.items()} for r, by in cells.items()}
    grand = cells.get("Total", {}).get("Total", [0])[0]
    if not den and grand:
        for r, by in cells.items():
            out[r]["Percent"] = 100 * by["Total"][0] / grand
        out["Percent"] = {c: 100 * s[0] / grand for c, s in cells["Total"].items()}
    return out


STATS = {"average": fmean, "peak": max}


def stock(con, rows: str, cols: str, first: str, last: str, measure: str, scale: float, stat: str,
          absent=None) -> dict:
    """A stock's table: rows add within a month; a cell, a total or the whole period is the
    average (peak) of its months that have a value, never their sum."""
    absent = absent or {}
    by_month: dict = {}  # {(row, col): {month: value}}, the totals added month by month
    for (row, col, month), (v,) in _monthly(con, "storage", rows, cols, first, last, [measure]).items():
        if v is None:
            continue
        row = absent.get(rows) if row is None else row
        col = absent.get(cols) if col is None else col
        for r in (row, "Total"):
            for c in (col, "Total"):
                months = by_month.setdefault((r, c), {})
                months[month] = months.get(month, 0.0) + v
    out: dict = {}
    for (r, c), months in by_month.items():
        out.setdefault(r, {})[c] = STATS[stat](months.values()) / scale
    return out
