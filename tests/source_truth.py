"""What the explorer should show for a view, recomputed in SQL over the SOURCE Parquet of a
build (the exported summaries, StAR snapshots and topology: never the cubes, explore.sql or
the macros): every dimension joined and labelled here again from the source's own columns,
the VO groups, job types, top N, units, per-period lengths and storage's stock rules written
again from their documentation (README, "Explorer", "Cloud", "GPU", "Storage").

`connect(source)` → a DuckDB with one table per data type (htc, cloud, gpu, storage), each a
row per source summary (storage: per storage key and month, its time-weighted average) with
the explorer's dimension names and the cube's sum names. `expected(con, view, q)` →
{row label: {column header: value}} with Total and Percent, as test_explore_random reads
the table of the page (q, queries.json, gives only the metric column headers)."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import fmean

import duckdb

from accounting.catalogue import load
from accounting.source.contracts import BENCHMARK_SPELLINGS, BENCHMARK_UNRECORDED
from explore_views import length

PERIODS = {"month": "printf('%04d-%02d', Year, Month)", "quarter": "printf('%04d-Q%d', Year, (Month + 2) // 3)",
           "half": "printf('%04d-H%d', Year, (Month + 5) // 6)", "year": "printf('%04d', Year)"}
_ABSENT = "CASE WHEN trim({c}) IN ('', 'None') THEN NULL ELSE {c} END"


def _text_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _benchmark(column: str) -> str:
    cat = load()
    spell = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BENCHMARK_SPELLINGS.items())
    return f"""CASE WHEN lower(trim(coalesce({column}, ''))) IN ({_text_list(BENCHMARK_UNRECORDED)})
                 THEN '{cat.labels["unknown_benchmark"]}'
                 ELSE CASE lower(trim({column})) {spell} ELSE {column} END END"""


def _joins(source: Path, site: str, vo: str, year: str = "x.Year", month: str = "x.Month") -> str:
    """The site's topology valid in the row's month, the VO's flags and discipline."""
    first = f"make_date({year}, {month}::INTEGER, 1)"
    return f"""LEFT JOIN read_parquet('{source}/topology/sites.parquet') s ON s.Site = {site}
            AND s.ValidFrom <= {first} AND (s.ValidTo IS NULL OR {first} < s.ValidTo)
        LEFT JOIN read_parquet('{source}/topology/vos.parquet') v ON v.VO = {vo}
        LEFT JOIN read_parquet('{source}/topology/disciplines.parquet') d ON d.Discipline = v.Discipline"""


def _wlcg(source: Path, site: str, vo: str, year: str = "x.Year", month: str = "x.Month") -> str:
    """The site's WLCG rows valid in the row's month: wv the VO's own, wa the all-VO one."""
    first = f"make_date({year}, {month}::INTEGER, 1)"
    return " ".join(f"""LEFT JOIN read_parquet('{source}/topology/wlcg_sites.parquet') {w} ON {w}.Site = {site}
            AND {match} AND {w}.ValidFrom <= {first} AND ({w}.ValidTo IS NULL OR {first} < {w}.ValidTo)"""
                    for w, match in (("wv", f"wv.VO = {vo}"), ("wa", "wa.VO IS NULL")))


_TIER_FEDERATION = """CASE WHEN wv.Site IS NULL THEN wa.Tier ELSE wv.Tier END AS Tier,
            CASE WHEN wv.Site IS NULL THEN wa.Federation ELSE wv.Federation END AS Federation"""
_COMMON = """s.NGI, s.Country, coalesce(v.EGIOfficial, false) AS egi, coalesce(v.LHC, false) AS lhc,
            d.Level1 AS Discipline1, d.Level2 AS Discipline2, d.Discipline AS Discipline3"""
_STORAGE_KEY = "Site, StorageSystem, StorageShare, StorageMedia, StorageClass, VO, SubGroup, Role"


def connect(source: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB holding the tables htc, cloud, gpu and storage (see the module's text)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    vo = _ABSENT.format(c="x.VO")
    con.execute(f"""CREATE TABLE htc AS SELECT
            x.Year, x.Month, x.Year * 100 + x.Month AS ym, x.Site, {vo} AS VO, {_COMMON},
            {_TIER_FEDERATION}, lower(x.Infrastructure) AS Infrastructure,
            {_benchmark("x.ServiceLevelType")} AS BenchmarkType, x.SubmitHost,
            x.NumberOfJobs::HUGEINT AS njobs, x.CpuDuration::HUGEINT AS cpu_s,
            x.NormalisedCpuDuration::HUGEINT AS normcpu_s, x.WallDuration::HUGEINT AS wall_s,
            x.NormalisedWallDuration::HUGEINT AS normwall_s,
            (x.WallDuration * x.Processors)::HUGEINT AS wall_proc_s,
            (x.NormalisedWallDuration * x.Processors)::HUGEINT AS normwall_proc_s
        FROM read_parquet('{source}/htc/*/*/*.parquet', hive_partitioning = false) x
        {_joins(source, "x.Site", vo)}
        {_wlcg(source, "x.Site", vo)}""")
    con.execute("CREATE VIEW htc_ce AS SELECT * FROM htc")  # (HTC by compute element: the same rows)
    # Core time: wall time × vCPUs (fractional, an exact DECIMAL product); normalised: × the
    # benchmark where the record has one.
    core = "x.WallDuration::DECIMAL(38, 0) * x.CpuCount::DECIMAL(10, 3)"
    con.execute(f"""CREATE TABLE cloud AS SELECT
            x.Year, x.Month::INTEGER AS Month, x.Year * 100 + x.Month::INTEGER AS ym, x.SiteName AS Site,
            {vo} AS VO, {_COMMON}, x.CloudComputeService, lower(x.Status) AS Status, x.ImageId,
            {_benchmark("x.BenchmarkType")} AS BenchmarkType,
            x.NumberOfVMs::HUGEINT AS cloud_vms, x.WallDuration::HUGEINT AS cloud_wall_s,
            x.CpuDuration::HUGEINT AS cloud_cpu_s, {core} AS cloud_core_s,
            coalesce({core} * x.Benchmark::DECIMAL(10, 3), 0) AS cloud_normalised_s,
            x.Memory::HUGEINT AS cloud_memory_mb, x.Disk::HUGEINT AS cloud_disk_gb,
            x.NetworkInbound::HUGEINT AS cloud_net_in_gb, x.NetworkOutbound::HUGEINT AS cloud_net_out_gb
        FROM read_parquet('{source}/cloud/*/*/*.parquet', hive_partitioning = false) x
        {_joins(source, "x.SiteName", vo)}""")
    # The VO of an accelerator record is its FQAN's first component.
    fqan_vo = _ABSENT.format(c="split_part(ltrim(" + _ABSENT.format(c="x.FQAN") + ", '/'), '/', 1)")
    con.execute(f"""CREATE TABLE gpu AS SELECT
            x.Year, x.Month::INTEGER AS Month, x.Year * 100 + x.Month::INTEGER AS ym, x.SiteName AS Site,
            {fqan_vo} AS VO, {_COMMON}, x.Type, x.Model, gm.Category, lower(x.AssociatedRecordType) AS RecordType,
            x.Count::DECIMAL(38, 6) * x.AvailableDuration AS gpu_available_s,
            x.Count::DECIMAL(38, 6) * x.ActiveDuration AS gpu_active_s,
            coalesce(x.Count::DECIMAL(38, 6) * x.ActiveDuration * x.Benchmark::DECIMAL(10, 3), 0) AS gpu_normalised_s,
            x.NumberOfRecords::HUGEINT AS gpu_records
        FROM read_parquet('{source}/gpu/*/*/*.parquet', hive_partitioning = false) x
        LEFT JOIN read_parquet('{source}/topology/gpu_models.parquet') gm ON gm.Model = x.Model
        {_joins(source, "x.SiteName", fqan_vo)}""")
    # Storage: the latest version of each snapshot; each held until the key's next snapshot
    # of the month, the last until the month ends; per key and month the time-weighted
    # average of each measure (to a thousandth, as documented for the cube), then per row.
    measures = {"used_avg": "ResourceCapacityUsed", "logical_avg": "LogicalCapacityUsed",
                "allocated_avg": "ResourceCapacityAllocated", "files_avg": "FileCount"}
    averages = ", ".join(f"round(sum({c}::DOUBLE * held_s) / sum(CASE WHEN {c} IS NULL THEN NULL ELSE held_s END), 3)"
                         f" AS {m}" for m, c in measures.items())
    con.execute(f"""CREATE TABLE storage AS
        WITH named AS (
            SELECT * REPLACE ({_ABSENT.format(c="StorageShare")} AS StorageShare,
                              lower({_ABSENT.format(c="StorageMedia")}) AS StorageMedia,
                              {_ABSENT.format(c="StorageClass")} AS StorageClass,
                              {_ABSENT.format(c="SubGroup")} AS SubGroup, {_ABSENT.format(c="Role")} AS Role),
                {_ABSENT.format(c='"Group"')} AS VO, year(EndTime) AS y, month(EndTime) AS m
            FROM read_parquet('{source}/storage/*/*/*.parquet', hive_partitioning = false)
        ), latest AS (
            SELECT * FROM named
            QUALIFY row_number() OVER (PARTITION BY {_STORAGE_KEY}, StartTime, EndTime
                                       ORDER BY CreateTime DESC, RecordId DESC) = 1
        ), held AS (
            SELECT *, epoch(coalesce(lead(EndTime) OVER (PARTITION BY {_STORAGE_KEY}, y, m ORDER BY EndTime),
                                     make_timestamptz(y, m, 1, 0, 0, 0, 'UTC') + INTERVAL 1 MONTH))
                      - epoch(EndTime) AS held_s
            FROM latest
        ), per_key AS (
            SELECT {_STORAGE_KEY}, y, m, {averages} FROM held GROUP BY {_STORAGE_KEY}, y, m
        )
        SELECT x.y AS Year, x.m AS Month, x.y * 100 + x.m AS ym, x.Site, x.VO, {_COMMON},
            x.StorageSystem, x.StorageShare, x.StorageMedia, x.StorageClass, x.SubGroup, x.Role,
            {", ".join(f"x.{m}" for m in measures)}, {_TIER_FEDERATION}
        FROM per_key x
        {_joins(source, "x.Site", "x.VO", "x.y", "x.m")}
        {_wlcg(source, "x.Site", "x.VO", "x.y", "x.m")}""")
    return con


def _where(con, v: dict, spec: dict) -> tuple[str, list]:
    """The view's rows: period, job type (HTC), VO selection (the groups where the data type
    has them; top N by the data type's ranking sum, work without a VO not ranked), filters."""
    table = v["data"]
    first, last = (int(v[k].replace("-", "")) for k in ("from", "to"))
    base = [f"ym BETWEEN {first} AND {last}"]
    if spec["jobs"]:
        base.append({"both": "true", "grid": "Infrastructure = 'grid'", "local": "Infrastructure = 'local'"}[v["jobs"]])
    where, args = list(base), []
    if v["vos"] in ("egi", "lhc"):
        where.append(v["vos"])
    elif v["vos"] == "top":
        top = [r for (r,) in con.execute(
            f"SELECT VO FROM {table} WHERE VO IS NOT NULL AND {' AND '.join(base)} "
            f"GROUP BY VO ORDER BY sum({spec['rank']}) DESC, VO LIMIT {int(v['top'])}").fetchall()]
        where.append("list_contains(?, VO)")
        args.append(top)
    elif v["vos"] == "custom":
        where.append("list_contains(?, VO)")
        args.append(list(v["vo"]))
    for dim, values in sorted(v["filters"].items()):
        where.append(f"list_contains(?, {dim})")
        args.append(list(values))
    return " AND ".join(where), args


class _Flow:
    """A flow metric's value from its sums: a ratio from the two sums, a per-period metric
    over the length of the cell's period within the view (months, or seconds), an hour-type
    metric in the view's unit (README, "Explorer": a month is 730.5 h, a year 8766 h)."""

    def __init__(self, mid: str, v: dict):
        cat = load()
        self.m, self.v = cat.metrics[mid], v
        self.hours = cat.explore_units[v.get("unit") or "hour"]["hours"]

    def __call__(self, s: dict, keys: dict):
        m = self.m
        if m.per_period:
            n = length(self.v, m.period_unit, keys)
            return m.multiplier * s[m.numerator] / n if n else None
        if m.denominator:
            return m.multiplier * s[m.numerator] / s[m.denominator] if s[m.denominator] else None
        hours = self.hours if m.scale == 3600 else 1
        return s[m.numerator] / m.scale / hours


def expected(con, v: dict, q: dict) -> dict:
    cat = load()
    spec = cat.explore[v["data"]]
    fam = q["families"][v["data"]]
    stock = bool(spec.get("stock"))
    key = lambda axis: PERIODS.get(axis, axis)  # noqa: E731
    col = "'all'" if v["cols"] == "metric" else key(v["cols"])
    where, args = _where(con, v, spec)
    if stock:
        names = [f"{cat.storage_metrics[m]['column']}_avg" for m in v["metric"]]
    else:
        names = list(cat.families[spec.get("family", v["data"])].sums)
    rows = con.execute(f"SELECT {key(v['rows'])} AS r, {col} AS c, Year, Month, "
                       f"{', '.join(f'sum({n})::DOUBLE' for n in names)} "
                       f"FROM {v['data']} WHERE {where} GROUP BY ALL", args).fetchall()
    label = lambda axis, k: (cat.absent.get(axis) or "(none)") if k is None else str(k)  # noqa: E731
    # {(row, column): {month: {sum: value}}}, the totals added up month by month (a view
    # without rows still has its grand total, of nothing: 0 for a flow, none for a stock).
    cells: dict = {("Total", "Total"): {}}
    for r, c, y, mo, *s in rows:
        r, c = label(v["rows"], r), label(v["cols"], c)
        for rr in (r, "Total"):
            for cc in (c, "Total"):
                acc = cells.setdefault((rr, cc), {}).setdefault((y, mo), {})
                for n, x in zip(names, s):
                    if x is not None:
                        acc[n] = acc.get(n, 0.0) + x

    def keys(r, c):
        return {**({v["rows"]: r} if v["rows"] in PERIODS and r != "Total" else {}),
                **({v["cols"]: c} if v["cols"] in PERIODS and c != "Total" else {})}

    def over_period(months: dict) -> dict:
        return {n: sum(s.get(n, 0.0) for s in months.values()) for n in names}

    def value(mid: str, r, c):
        months = cells[(r, c)]
        if stock:  # a stock: the average (peak) of the months that have a value, never their sum
            n = f"{cat.storage_metrics[mid]['column']}_avg"
            got = [s[n] for s in months.values() if n in s]
            stat = {"average": fmean, "peak": max}[v.get("stat") or "average"]
            return stat(got) / float(cat.storage_metrics[mid]["scale"]) if got else None
        return _Flow(mid, v)(over_period(months), keys(r, c))

    out: dict = {}
    if v["cols"] == "metric":
        heads = {m["id"]: m["name"] + " (" + _unit(m, v) + ")" for m in fam["metrics"]}
        for (r, _c) in cells:
            out[r] = {heads[mid]: value(mid, r, "Total") for mid in v["metric"]}
        return out
    mid = v["metric"][0]
    for (r, c) in cells:
        out.setdefault(r, {})[c] = value(mid, r, c)
    additive = not stock and not cat.metrics[mid].denominator
    if additive:  # the page's Percent row and column; no share of nothing
        num = cat.metrics[mid].numerator
        g = over_period(cells[("Total", "Total")])[num]
        for (r, c), months in cells.items():
            share = 100 * over_period(months)[num] / g if g else None
            if c == "Total":
                out[r]["Percent"] = share
            if r == "Total":
                out.setdefault("Percent", {})[c] = share
    return out


def _unit(m: dict, v: dict) -> str:
    """A metric's unit as its column header names it (queries.json's own labels)."""
    return m["units"][v["unit"]]["unit"] if m.get("units") and v.get("unit") in m["units"] else m["unit"]


class Truth:
    """The recomputation of a build's views: `Truth(built)` (conftest's build: source and
    output), `.of(params)` the table of an explorer address ({name: [values]}, as parse_qs
    gives it), `.expected(view)` that of a view (tests/explore_views.py)."""

    def __init__(self, built: dict):
        self.con = connect(built["source"])
        self.q = json.loads((built["output"] / "explore" / "queries.json").read_text())

    def view(self, params: dict) -> dict:
        q, d = self.q, self.q["defaults"]
        one = lambda k, default: params.get(k, [default])[0]  # noqa: E731
        top = one("top", d["top"])
        data = one("data", d["data"])
        fam = q["families"][data]
        return {"data": data, "metric": one("metric", fam["default"]).split(","), "rows": one("rows", d["rows"]),
                "cols": one("cols", "metric"), "from": one("from", d["from"]), "to": one("to", d["to"]),
                "vos": one("vos", d["vos"]), "top": int(top) if top not in (None, "None") else d["top"],
                "vo": list(params.get("vo", [])),
                "jobs": one("jobs", d["jobs"]), "unit": one("unit", d["unit"]), "stat": one("stat", d["stat"]),
                "filters": {dim: list(params[dim]) for dim in fam["dimensions"] if dim in params}}

    def of(self, params: dict) -> dict:
        return expected(self.con, self.view(params), self.q)

    def expected(self, v: dict) -> dict:
        return expected(self.con, v, self.q)
