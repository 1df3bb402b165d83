"""The explorer (/explore/): what the browser needs to answer any view with DuckDB-WASM.

The browser runs SQL this module writes into `explore/queries.json` from the project's own
definitions: the query text of cubes/queries/explore.sql, the predicates of the report pages'
query (cubes/queries/report.sql), the macros they call (cubes/macros.sql) and the metrics,
dimensions and sum columns of the catalogue. `view_sql` assembles a view's query from that
file exactly as static/explore.js does, so tests can run the browser's SQL with Python's
DuckDB and compare it with the pages.

DuckDB-WASM is npm's @duckdb/duckdb-wasm 1.28.0 (DuckDB 0.9.1), installed by scripts/setup
into vendor/node_modules: the last release with Parquet built in (later ones fetch the
Parquet extension from extensions.duckdb.org at run time, which a site without a CDN cannot
vendor). Its files are copied under hashed names and referenced only by the explorer page.
"""

from __future__ import annotations

import re
from pathlib import Path

from accounting import duck
from accounting.catalogue import Catalogue
from accounting.errors import SiteError
from accounting.locations import CUBES_SQL, PAGE_QUERIES, vendor_dir
from accounting.site import paths
from accounting.site.writer import SiteWriter

SETUP_COMMAND = "bash scripts/setup"

# Time as rows or columns: the granularity's id (URL parameter value) → its label macro.
PERIODS = {"month": "month_label", "quarter": "quarter_label", "half": "half_label", "year": "year_label"}
PERIOD_LABELS = {"month": "Month", "quarter": "Quarter", "half": "Half-year", "year": "Year"}
# The job type (URL `jobs`) → the old portal's infrastructure filter id (catalogue infra_filters).
JOBS = {"both": "localinfrajobs", "grid": "onlyinfrajobs", "local": "onlylocaljobs"}
VO_SELECTIONS = ("all", "egi", "lhc", "top", "custom")
FILTER = "{column} IN ({values})"
# A filter (or custom VO list) that includes the absent value (NULL: 'no VO', 'unknown NGI').
FILTER_ABSENT = "({column} IN ({values}) OR {column} IS NULL)"
# The URL value that selects the absent value of a dimension: no published name is "~-"
# (the mark of the absent value's path segment, accounting/site/paths.py).
ABSENT_VALUE = "~-"
# What the explorer's SQL calls from cubes/macros.sql (all DuckDB 0.9 SQL).
MACROS = ("in_vo_group", "in_infra_filter", *PERIODS.values())
# The Parquet name each cube is registered under in the browser (by URL, read by range requests).
ATTACH = "CREATE VIEW {cube} AS SELECT * FROM read_parquet({file})"


def sql_text(value: str) -> str:
    """A string as an SQL literal (DuckDB strings have no backslash escapes)."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def strip_comments(sql: str) -> str:
    """The query text without its `--` comment lines (a value filled into a comment could
    end it), trailing whitespace or a final semicolon."""
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip().rstrip(";")


def macro_statements(names=MACROS) -> list[str]:
    """The CREATE MACRO statements of `names`, verbatim from cubes/macros.sql."""
    text = duck.sql(CUBES_SQL / "macros.sql")
    out = []
    for name in names:
        m = re.search(rf"^CREATE OR REPLACE MACRO {name}\(.*?;\s*$", text, re.S | re.M)
        if not m:
            raise SiteError(f"macro {name} not found in {CUBES_SQL / 'macros.sql'}")
        out.append(strip_comments(m.group(0)))
    return out


def report_predicates() -> dict[str, str]:
    """The WHERE conjuncts of the report pages' query (cubes/queries/report.sql), keyed by the
    first parameter each takes, with `$name` parameters turned into `{name}` slots. The
    `{where}` slot of a page kind's own filter (the WLCG tiers) is the pages' alone."""
    text = duck.sql(PAGE_QUERIES / "report.sql").replace("{where}", "")
    m = re.search(r"^WHERE (.*?)^GROUP BY", text, re.S | re.M)
    if not m:
        raise SiteError(f"no WHERE clause in {PAGE_QUERIES / 'report.sql'}")
    out = {}
    for part in re.split(r"\n\s+AND ", m.group(1).strip()):
        params = re.findall(r"\$(\w+)", part)
        out[params[0]] = re.sub(r"\$(\w+)", r"{\1}", " ".join(part.split()))
    if set(out) != {"vo_group", "infra_filter", "first"}:
        raise SiteError(f"unexpected predicates in {PAGE_QUERIES / 'report.sql'}: {sorted(out)}")
    return out


def month_periods(con, first: tuple[int, int], last: tuple[int, int]) -> list[dict]:
    """Every month from `first` to `last` with the key of each granularity, from the macros,
    and its length in seconds (what per-period metrics such as the number of GPUs divide by)."""
    exprs = ", ".join(f"{macro}(y, m) AS {pid}" for pid, macro in PERIODS.items())
    rows = con.execute(f"""SELECT {exprs}, datediff('second', make_date(y, m, 1), make_date(y, m, 1)
                               + INTERVAL 1 MONTH) FROM (
        SELECT (i // 12)::INTEGER AS y, (i % 12 + 1)::INTEGER AS m FROM range(?, ?) t(i)) ORDER BY y, m""",
                       [first[0] * 12 + first[1] - 1, last[0] * 12 + last[1]]).fetchall()
    return [{**dict(zip(PERIODS, r)), "seconds": r[-1]} for r in rows]


def units(cat: Catalogue, unit: str, scale: float) -> dict | None:
    """An hour-type metric's choice of units (the old portal's `-day`, `-year` …): {id: {unit,
    scale}}, the unit's label put in place of the final `h` ('HS23 h' → 'HS23 days')."""
    if scale != 3600 or not (unit == "h" or unit.endswith(" h")):
        return None
    return {u: {"unit": unit[:-1] + spec["label"], "scale": 3600 * spec["hours"]}
            for u, spec in cat.explore_units.items()}


def family_metrics(cat: Catalogue, data: str) -> list[dict]:
    """The metrics a data type offers, as explore.js reads them. Storage's are the monthly
    time-weighted averages (<measure>_avg) of the cube, as on the static storage pages."""
    if cat.explore[data].get("stock"):
        return [{"id": k, "name": m["name"], "unit": m["unit"], "numerator": f"{m['column']}_avg",
                 "denominator": None, "scale": m["scale"], "multiplier": 1, "per_period": False,
                 "period_unit": None, "units": None} for k, m in cat.storage_metrics.items()]
    return [{"id": k, "name": m.name, "unit": m.unit, "numerator": m.numerator, "denominator": m.denominator,
             "scale": m.scale, "multiplier": m.multiplier, "per_period": m.per_period,
             "period_unit": m.period_unit if m.per_period else None,
             "units": None if m.per_period or m.denominator else units(cat, m.unit, m.scale)}
            for k, m in cat.metrics.items() if k in cat.families[cat.explore[data].get("family", data)].metrics]


def queries(cat: Catalogue, con, frame, data_root: str = "../data/") -> dict:
    """Everything explore.js needs to build and run a view's query, and its choices."""
    predicates = report_predicates()
    families = {}
    for data, spec in cat.explore.items():
        cube = spec["cube"]
        first = con.execute(f"SELECT min(Year * 100 + Month) FROM {ident(cube)}").fetchone()[0] or frame.last
        values, absent = {}, []
        for dim in spec["dimensions"]:
            rows = con.execute(f"SELECT DISTINCT {ident(dim)} FROM {ident(cube)} ORDER BY 1 NULLS LAST").fetchall()
            values[dim] = [v for (v,) in rows if v is not None]
            if len(values[dim]) < len(rows):
                absent.append(dim)
        metrics = family_metrics(cat, data)
        family = cat.families.get(spec.get("family", data))
        sums = [m["numerator"] for m in metrics] if spec.get("stock") else list(family.sums)
        sums = list(dict.fromkeys(sums))
        families[data] = {
            "label": spec["label"], "cube": cube, "file": f"{cube}.parquet", "url": f"{data_root}{cube}.parquet",
            "attach": ATTACH.format(cube=cube, file=sql_text(f"{cube}.parquet")),
            "sums": sums,
            "sums_sql": ", ".join(f"sum({ident(c)})::DOUBLE AS {ident(c)}" for c in sums),
            # A stock's roll-up over months, by statistic (stock only; see explore_storage.sql).
            "rollups": {stat: ", ".join(f"{fn}({ident(c)}) AS {ident(c)}" for c in sums)
                        for stat, fn in spec.get("stats", {}).items()},
            "stock": bool(spec.get("stock")),
            "rank": spec["rank"], "jobs": spec["jobs"], "vo_groups": spec["vo_groups"],
            "default": family.default if family else metrics[0]["id"],
            # Whether a VO list (top N, custom) applies: only where the cube has the VO.
            "vo_lists": "VO" in spec["dimensions"],
            "metrics": metrics,
            "dimensions": spec["dimensions"],
            "values": values,
            "absent": absent,
            "months": month_periods(con, divmod(first, 100), (frame.last_year, frame.last_month)),
        }
    y, m = frame.recent_months()[0]
    return {
        "setup": macro_statements(),
        "query": strip_comments(duck.sql(PAGE_QUERIES / "explore.sql")),
        "stock_query": strip_comments(duck.sql(PAGE_QUERIES / "explore_storage.sql")),
        "top_vos": strip_comments(duck.sql(PAGE_QUERIES / "explore_top_vos.sql")),
        "parquet": strip_comments(duck.sql(PAGE_QUERIES / "explore_parquet.sql")),
        "predicates": predicates,
        "filter": FILTER,
        "filter_absent": FILTER_ABSENT,
        "absent_value": ABSENT_VALUE,
        "units": {u: spec["label"] for u, spec in cat.explore_units.items()},
        "periods": {p: {"label": PERIOD_LABELS[p], "sql": f"{macro}(Year, Month)"} for p, macro in PERIODS.items()},
        "jobs": {k: {"id": v, "label": cat.infra_filters[v]["label"]} for k, v in JOBS.items()},
        "vo_groups": {g: v["label"] for g, v in cat.vo_groups.items()},
        "dimensions": {d: {"label": cat.dimensions[d]["label"], "absent": cat.absent.get(d)}
                       for spec in cat.explore.values() for d in spec["dimensions"]},
        "families": families,
        "defaults": {"data": "htc", "metric": [families["htc"]["default"]], "rows": "NGI", "cols": "month",
                     "from": f"{y:04d}-{m:02d}", "to": f"{frame.last_year:04d}-{frame.last_month:02d}",
                     "vos": "all", "top": 10, "jobs": "both", "unit": "hour", "stat": "average",
                     "metrics": {k: [f["default"]] for k, f in families.items()}},
    }


def page_view(cat: Catalogue, frame, kind, name, metric: str, vo_group: str,
              infra: str) -> list[tuple[str, str]] | None:
    """The explorer's address (its parameters, README "Explorer") of a report page's state: its
    data type, metric, VO group, job type, entity as a filter, its first table's rows, by month
    over the last 12 months. None where the explorer cannot show it (a data type or metric it
    lacks, a name the source left absent). The one definition of every "change this view" link."""
    spec = cat.explore.get(kind.family)
    if spec is None or metric not in cat.families[kind.family].metrics:
        return None
    dims = spec["dimensions"]
    if any(col not in dims for col, _ in kind.where):
        return None
    row = {"Experiment": "VO"}.get(kind.tables[0].row, kind.tables[0].row)  # (the explorer names VOs)
    (fy, fm), (ly, lm) = frame.recent_months()[0], (frame.last_year, frame.last_month)
    params = [("data", kind.family), ("metric", metric), ("rows", row if row in dims else "NGI"), ("cols", "month"),
              ("from", f"{fy:04d}-{fm:02d}"), ("to", f"{ly:04d}-{lm:02d}"),
              ("vos", vo_group if vo_group in spec["vo_groups"] else "all")]
    if spec["jobs"]:  # (HTC only: the other data types have no job type)
        params.append(("jobs", {v: k for k, v in JOBS.items()}[infra]))
    if kind.scope:
        if kind.scope not in dims or isinstance(name, paths.Absent):
            return None
        params.append((kind.scope, name))
    params += [(col, v) for col, values in kind.where for v in values]
    return params


def _expr(q: dict, dim: str) -> str:
    return q["periods"][dim]["sql"] if dim in q["periods"] else ident(dim)


def _filter(q: dict, column: str, values: list[str]) -> str:
    """`column` is one of `values`; the absent value's token selects NULL too."""
    named = [v for v in values if v != q["absent_value"]]
    text = ", ".join(map(sql_text, named)) or "NULL"
    return (q["filter_absent"] if len(named) < len(values) else q["filter"]).format(column=ident(column),
                                                                                   values=text)


def view_sql(q: dict, view: dict) -> str:
    """A view's query, assembled from queries.json as static/explore.js assembles it (`fill` is
    str.format there: one pass, no re-reading of what was filled in). `view` holds data,
    metric (a list), rows, cols ('metric' for several metrics), from, to (YYYY-MM), vos, top,
    vo (the custom list), jobs, filters ({dimension: [values]}) and, for a stock, stat.
    The job type and the EGI/LHC VO groups apply where the data type has them (HTC)."""
    fam = q["families"][view["data"]]
    p = q["predicates"]
    first, last = (int(view[k].replace("-", "")) for k in ("from", "to"))
    base = [p["first"].format(first=first, last=last)]
    if fam["jobs"]:
        base.append(p["infra_filter"].format(infra_filter=sql_text(q["jobs"][view["jobs"]]["id"])))
    where = list(base)
    vos = view["vos"]
    if vos in fam["vo_groups"]:
        if fam["vo_groups"] != ["all"]:  # (a cube without the groups' flags offers only "all")
            where.append(p["vo_group"].format(vo_group=sql_text(vos)))
    elif vos == "top":
        where.append(q["top_vos"].format(cube=fam["cube"], where=" AND ".join(base), n=int(view["top"]),
                                         rank=ident(fam["rank"])))
    else:
        where.append(_filter(q, "VO", view["vo"]))
    for dim, values in sorted(view.get("filters", {}).items()):
        if values:
            where.append(_filter(q, dim, values))
    column = "'all'" if view["cols"] == "metric" else _expr(q, view["cols"])
    fields = dict(row=_expr(q, view["rows"]), column=column, cube=fam["cube"],
                  where="\n    AND ".join(where), sums=fam["sums_sql"])
    if fam["stock"]:
        return q["stock_query"].format(rollup=fam["rollups"][view.get("stat", "average")], **fields)
    return q["query"].format(**fields)


def vendor_files() -> dict[str, Path]:
    """The files of the pinned DuckDB-WASM (and Arrow) the explorer serves, by role."""
    dist = vendor_dir() / "@duckdb" / "duckdb-wasm" / "dist"
    files = {"duckdb": dist / "duckdb-browser.mjs",
             "eh_worker": dist / "duckdb-browser-eh.worker.js",
             "mvp_worker": dist / "duckdb-browser-mvp.worker.js",
             "eh_wasm": dist / "duckdb-eh.wasm",
             "mvp_wasm": dist / "duckdb-mvp.wasm",
             "arrow": vendor_dir() / "apache-arrow" / "Arrow.es2015.min.js"}
    missing = [p for p in files.values() if not p.is_file()]
    if missing:
        raise SiteError(f"the explorer's DuckDB-WASM is not installed ({missing[0]} is missing): "
                        f"run `{SETUP_COMMAND}`")
    return files


SOURCE_MAP = re.compile(r"//# sourceMappingURL=\S+\s*$")
ARROW_IMPORT = re.compile(r"""from\s*["']apache-arrow["']""")


def write_vendor(writer: SiteWriter) -> dict[str, str]:
    """Copy DuckDB-WASM under hashed names; return {role: site path}. The ES module imports
    `apache-arrow` by its bare name, which a browser cannot resolve without an import map
    (inline, so refused by the CSP): it is pointed at a two-line module that re-exports the
    Arrow UMD build, which the explorer page loads first as a classic script."""
    files = vendor_files()
    out = {}
    for role in ("eh_worker", "mvp_worker", "arrow"):  # (their source maps are not copied)
        text = SOURCE_MAP.sub("", files[role].read_text(encoding="utf-8"))
        out[role] = writer.write_hashed(f"static/{files[role].stem.replace('.', '-')}", ".js", text)
    for role in ("eh_wasm", "mvp_wasm"):
        out[role] = writer.write_hashed(f"static/{files[role].stem}", ".wasm", files[role].read_bytes())
    module = files["duckdb"].read_text(encoding="utf-8")
    aliases = re.findall(r"""import\s*\*\s*as\s*([A-Za-z_$][\w$]*)\s*from\s*["']apache-arrow["']""", module)
    used = sorted({name for a in aliases
                   for name in re.findall(rf"(?<![\w$.]){re.escape(a)}\.([A-Za-z_$][\w$]*)", module)})
    shim = "const A = globalThis.Arrow;\n" + "".join(f"export const {n} = A.{n};\n" for n in used)
    out["arrow_shim"] = writer.write_hashed("static/arrow-shim", ".js", shim)
    if not ARROW_IMPORT.search(module):
        raise SiteError(f"{files['duckdb']} no longer imports apache-arrow: update accounting/site/explore.py")
    module = ARROW_IMPORT.sub(f'from"./{Path(out["arrow_shim"]).name}"', module)
    module = SOURCE_MAP.sub("", module)
    out["duckdb"] = writer.write_hashed("static/duckdb-browser", ".js", module)
    return out
