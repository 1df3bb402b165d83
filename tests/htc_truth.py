"""What the explorer should show for a view, recomputed in SQL over the SOURCE Parquet of a
build (the exported summaries and topology: never the cubes, explore.sql or the macros):
every dimension joined and labelled here again from the source's own columns, the VO groups,
job types and top N written again from their documentation (README, "Explorer").

`expected(con, view)` → {row label: {column header: value}} with Total and Percent, as
test_explore_random reads the table of the page."""

from __future__ import annotations

from pathlib import Path

import duckdb

from accounting.catalogue import load
from accounting.source.contracts import BENCHMARK_SPELLINGS, BENCHMARK_UNRECORDED

# The source's sums of the HTC family (integers, HUGEINT so no sum can overflow).
SUMS = {"njobs": "NumberOfJobs", "cpu_s": "CpuDuration", "normcpu_s": "NormalisedCpuDuration",
        "wall_s": "WallDuration", "normwall_s": "NormalisedWallDuration",
        "wall_proc_s": "WallDuration * Processors", "normwall_proc_s": "NormalisedWallDuration * Processors"}
PERIODS = {"month": "printf('%04d-%02d', Year, Month)", "quarter": "printf('%04d-Q%d', Year, (Month + 2) // 3)",
           "half": "printf('%04d-H%d', Year, (Month + 5) // 6)", "year": "printf('%04d', Year)"}


def _text_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def connect(source: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB holding `h`: each HTC summary with the topology valid in its month."""
    cat = load()
    spell = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BENCHMARK_SPELLINGS.items())
    sums = ", ".join(f"({expr})::HUGEINT AS {name}" for name, expr in SUMS.items())
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE h AS SELECT
            x.Year, x.Month, x.Year * 100 + x.Month AS ym, x.Site,
            CASE WHEN trim(x.VO) IN ('', 'None') THEN NULL ELSE x.VO END AS VO,
            s.NGI, s.Country, s.Tier, s.Federation,
            coalesce(v.EGIOfficial, false) AS egi, coalesce(v.LHC, false) AS lhc,
            d.Level1 AS Discipline1, d.Level2 AS Discipline2, d.Discipline AS Discipline3,
            lower(x.Infrastructure) AS Infrastructure,
            CASE WHEN lower(trim(coalesce(x.ServiceLevelType, ''))) IN ({_text_list(BENCHMARK_UNRECORDED)})
                 THEN '{cat.labels["unknown_benchmark"]}'
                 ELSE CASE lower(trim(x.ServiceLevelType)) {spell} ELSE x.ServiceLevelType END END AS BenchmarkType,
            {sums}
        FROM read_parquet('{source}/htc/*/*/*.parquet', hive_partitioning = false) x
        LEFT JOIN read_parquet('{source}/topology/sites.parquet') s ON s.Site = x.Site
            AND s.ValidFrom <= make_date(x.Year, x.Month, 1)
            AND (s.ValidTo IS NULL OR make_date(x.Year, x.Month, 1) < s.ValidTo)
        LEFT JOIN read_parquet('{source}/topology/vos.parquet') v
            ON v.VO = CASE WHEN trim(x.VO) IN ('', 'None') THEN NULL ELSE x.VO END
        LEFT JOIN read_parquet('{source}/topology/disciplines.parquet') d ON d.Discipline = v.Discipline""")
    return con


def _where(con, v: dict) -> tuple[str, list]:
    first, last = (int(v[k].replace("-", "")) for k in ("from", "to"))
    base = [f"ym BETWEEN {first} AND {last}",
            {"both": "true", "grid": "Infrastructure = 'grid'", "local": "Infrastructure = 'local'"}[v["jobs"]]]
    where, args = list(base), []
    if v["vos"] in ("egi", "lhc"):
        where.append(v["vos"])
    elif v["vos"] == "top":
        top = [r for (r,) in con.execute(f"SELECT VO FROM h WHERE VO IS NOT NULL AND {' AND '.join(base)} "
                                         f"GROUP BY VO ORDER BY sum(cpu_s) DESC, VO LIMIT {int(v['top'])}").fetchall()]
        where.append("list_contains(?, VO)")
        args.append(top)
    elif v["vos"] == "custom":
        where.append("list_contains(?, VO)")
        args.append(list(v["vo"]))
    for dim, values in sorted(v["filters"].items()):
        where.append(f"list_contains(?, {dim})")
        args.append(list(values))
    return " AND ".join(where), args


def expected(con, v: dict) -> dict:
    cat = load()
    if v["data"] != "htc":
        raise NotImplementedError(f"no source recomputation for data type {v['data']!r} yet: add it here")
    metrics = [cat.metrics[m] for m in v["metric"]]
    key = lambda axis: PERIODS.get(axis, axis)  # noqa: E731
    col = "'all'" if v["cols"] == "metric" else key(v["cols"])
    where, args = _where(con, v)
    names = list(SUMS)
    rows = con.execute(f"SELECT {key(v['rows'])} AS r, {col} AS c, {', '.join(f'sum({n})' for n in names)} "
                       f"FROM h WHERE {where} GROUP BY ALL", args).fetchall()
    label = lambda axis, k: (cat.absent.get(axis) or "(none)") if k is None else str(k)  # noqa: E731
    cells: dict = {}
    for r, c, *s in rows:
        cells[(label(v["rows"], r), label(v["cols"], c))] = dict(zip(names, (int(x) for x in s)))

    def add(*parts):
        return {n: sum(p[n] for p in parts) for n in names}

    def value(m, s):
        return m.value(s[m.numerator], s[m.denominator] if m.denominator else None)

    row_keys = sorted({r for r, _ in cells})
    col_keys = sorted({c for _, c in cells})
    row_tot = {r: add(*(s for (rr, _), s in cells.items() if rr == r)) for r in row_keys}
    col_tot = {c: add(*(s for (_, cc), s in cells.items() if cc == c)) for c in col_keys}
    grand = add(*cells.values())
    out: dict = {}
    if v["cols"] == "metric":
        for r in row_keys:
            out[r] = {m.title: value(m, row_tot[r]) for m in metrics}
        out["Total"] = {m.title: value(m, grand) for m in metrics}
        return out
    m = metrics[0]
    for r in row_keys:
        out[r] = {c: value(m, s) for (rr, c), s in cells.items() if rr == r}
        out[r]["Total"] = value(m, row_tot[r])
    out["Total"] = {c: value(m, s) for c, s in col_tot.items()}
    out["Total"]["Total"] = value(m, grand)
    g = grand[m.numerator]
    if not m.denominator:  # the page's Percent row and column; no share of nothing
        for r in row_keys:
            out[r]["Percent"] = 100 * row_tot[r][m.numerator] / g if g else None
        out["Total"]["Percent"] = 100.0 if g else None
        out["Percent"] = {c: 100 * s[m.numerator] / g if g else None for c, s in col_tot.items()}
        out["Percent"]["Total"] = 100.0 if g else None
    return out
