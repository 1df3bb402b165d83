"""Every figure of a sample of pages of every kind equals an independent recomputation.

The expected values come from plain SQL over the *source* Parquet written here, not from
the cube SQL or the site code; the topology join, filters and metric formulas are
restated from DESIGN §3-4. Then the page's HTML table, its CSV and its Parquet must hold
the same numbers to the last digit.
"""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pyarrow.parquet as pq
import pytest

from family_tables import table_csv
from htmltables import parse

# DESIGN §4, restated: (numerator, denominator or None, divisor).
METRICS = {
    "njobs": ("NumberOfJobs", None, 1),
    "sumcpu": ("CpuDuration", None, 3600),
    "normcpu": ("NormalisedCpuDuration", None, 3600),
    "sumelap": ("WallDuration", None, 3600),
    "normelap": ("NormalisedWallDuration", None, 3600),
    "elap_processors": ("WallDuration::HUGEINT * Processors", None, 3600),
    "normelap_processors": ("NormalisedWallDuration::HUGEINT * Processors", None, 3600),
    "cpueff": ("CpuDuration", "WallDuration::HUGEINT * Processors", None),
}
VO_GROUP_SQL = {"all": "true", "egi": "vo_egi", "lhc": "vo_lhc"}
INFRA_SQL = {"localinfrajobs": "true", "onlyinfrajobs": "lower(Infrastructure) = 'grid'",
             "onlylocaljobs": "lower(Infrastructure) = 'local'"}


@pytest.fixture(scope="module")
def db(built):
    src = built["source"]
    con = duckdb.connect()
    con.execute(f"""
        CREATE VIEW facts AS
        SELECT h.* REPLACE (
                   -- APEL's 'None' (and a blank) is absent: one 'no VO', no user (help: absent)
                   CASE WHEN h.VO IS NULL OR trim(h.VO) IN ('', 'None') THEN 'no VO' ELSE h.VO END AS VO,
                   CASE WHEN trim(h.GlobalUserName) IN ('', 'None') THEN NULL ELSE h.GlobalUserName END
                       AS GlobalUserName),
               printf('%04d-%02d', h.Year, h.Month) AS ym,
               h.Year * 100 + h.Month AS yyyymm,
               CASE WHEN s.Site IS NULL THEN 'unknown NGI' ELSE s.NGI END AS ngi,
               CASE WHEN s.Site IS NULL THEN 'unknown country' ELSE s.Country END AS country,
               v.VO IS NOT NULL AND v.EGIOfficial AS vo_egi,
               v.VO IS NOT NULL AND v.LHC AS vo_lhc,
               CASE WHEN d.Level1 IS NULL THEN 'unknown discipline' ELSE d.Level1 END AS d1,
               CASE WHEN d.Level2 IS NULL THEN 'unknown discipline' ELSE d.Level2 END AS d2,
               CASE WHEN d.Discipline IS NULL THEN 'unknown discipline' ELSE d.Discipline END AS d3,
               CASE lower(trim(h.ServiceLevelType)) WHEN 'si2k' THEN 'si2k' WHEN 'hepspec' THEN 'HEPSPEC'
                    WHEN 'hepspec06' THEN 'HEPSPEC' WHEN 'hepscore23' THEN 'HEPscore23'
                    WHEN 'none' THEN 'unknown benchmark' WHEN 'custom' THEN 'unknown benchmark'
                    WHEN '' THEN 'unknown benchmark' ELSE coalesce(h.ServiceLevelType, 'unknown benchmark') END AS bench
        FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false) AS h
        LEFT JOIN read_parquet('{src}/topology/sites.parquet') AS s
          ON s.Site = h.Site
         AND s.ValidFrom <= make_date(h.Year, h.Month, 1)
         AND coalesce(s.ValidTo, DATE '9999-12-31') > make_date(h.Year, h.Month, 1)
        LEFT JOIN read_parquet('{src}/topology/vos.parquet') AS v ON v.VO = h.VO
        LEFT JOIN read_parquet('{src}/topology/disciplines.parquet') AS d ON d.Discipline = v.Discipline
    """)
    as_of = con.execute("SELECT max(UpdateTime) FROM facts").fetchone()[0]
    y, m = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    months, yy, mm = [], y, m
    for _ in range(12):
        months.append(yy * 100 + mm)
        yy, mm = (yy, mm - 1) if mm > 1 else (yy - 1, 12)
    return SimpleNamespace(execute=con.execute, last=y * 100 + m, first=min(months),
                           months=[f"{v // 100:04d}-{v % 100:02d}" for v in sorted(months)])


def expected(db, *, metric, row, column, scope="true", vo_group="all", infra="localinfrajobs"):
    num, den, _ = METRICS[metric]
    col_expr = {"month": "ym", "year": "printf('%04d', Year)"}.get(column, column)
    first = db.first if column in ("month", "bench") else 0
    sql = f"""
        SELECT {row}, {col_expr}, sum({num}), {f'sum({den})' if den else '0'}
        FROM facts
        WHERE {scope} AND {VO_GROUP_SQL[vo_group]} AND {INFRA_SQL[infra]}
          AND yyyymm BETWEEN {first} AND {db.last}
        GROUP BY ALL
    """
    out: dict = {}
    for r, c, n, d in db.execute(sql).fetchall():
        out.setdefault(r, {})[c] = (int(n), int(d))
    return out


def value(metric, n, d):
    _, den, divisor = METRICS[metric]
    if den:
        return None if d == 0 else 100 * n / d
    return n if divisor == 1 else n / divisor


def rounded(text: str, metric: str, percent: bool) -> str:
    """The display rule (README): zero as 0, percentages 2 decimals, CPU efficiency 1,
    counts whole, hours whole from 100 up and 2 decimals below."""
    if text == "":
        return "–"
    if float(text) == 0:
        return "0"
    if percent:
        return f"{float(text):.2f}"
    if metric == "cpueff":
        return f"{float(text):,.1f}"
    if metric == "njobs":
        return f"{int(text):,}"
    v = float(text)
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def check_table(page_dir, table_id, metric, cells, columns_expected=None):
    """The page's table, CSV and Parquet all equal the recomputed `cells`."""
    html = (page_dir / "index.html").read_text()
    table = parse(html).tables[table_id]
    header, body = table_csv(page_dir / f"{table_id}.csv")
    columns = header[1:-2] if metric != "cpueff" else header[1:-1]
    if columns_expected is not None:
        assert columns == columns_expected
    # HTML == CSV, cell by cell: the page shows each full-precision value rounded.
    assert [r["label"] for r in table["rows"]] == [r[0] for r in body]
    pct_col = len(header) - 2 if metric != "cpueff" else -1
    for hrow, crow in zip(table["rows"], body, strict=True):
        shown = [rounded(v, metric, percent=(crow[0] == "Percent" or j == pct_col))
                 for j, v in enumerate(crow[1:])]
        assert hrow["texts"] == shown, crow[0]
    # Parquet == CSV.
    pt = pq.read_table(page_dir / f"{table_id}.parquet").to_pylist()
    for prow, crow in zip(pt, body, strict=True):
        assert [prow[h] for h in header] == [crow[0]] + [None if v == "" else type(prow[h])(v)
                                                         for h, v in zip(header[1:], crow[1:], strict=True)]
    # CSV == independent recomputation: cells, totals, percentages, and row order.
    data_rows = body[:-2] if metric != "cpueff" else body[:-1]
    assert {r[0] for r in data_rows} == set(cells), "rows differ from the recomputation"
    grand_n = sum(n for by_col in cells.values() for n, _ in by_col.values())
    grand_d = sum(d for by_col in cells.values() for _, d in by_col.values())
    totals = []
    for r in data_rows:
        by_col = cells[r[0]]
        exp = [value(metric, *by_col.get(c, (0, 0))) for c in columns]
        rn, rd = sum(n for n, _ in by_col.values()), sum(d for _, d in by_col.values())
        exp.append(value(metric, rn, rd))
        if metric != "cpueff":
            exp.append(100 * rn / grand_n)
        got = [None if v == "" else float(v) for v in r[1:]]
        assert got == exp, f"row {r[0]}"
        totals.append(rd if metric == "cpueff" else rn)
    assert totals == sorted(totals, reverse=True)
    total_row = body[len(data_rows)]
    assert total_row[0] == "Total"
    col_tot = [(sum(cells[k].get(c, (0, 0))[0] for k in cells), sum(cells[k].get(c, (0, 0))[1] for k in cells))
               for c in columns]
    exp_total = [value(metric, n, d) for n, d in col_tot] + [value(metric, grand_n, grand_d)]
    if metric != "cpueff":
        exp_total.append(100.0)
        pct_row = body[-1]
        assert pct_row[0] == "Percent"
        assert [float(v) for v in pct_row[1:-1]] == [100 * n / grand_n for n, _ in col_tot] + [100.0]
    assert [None if v == "" else float(v) for v in total_row[1:]] == exp_total


def _pages(built, db):
    out = built["output"]
    src = built["source"]
    con = duckdb.connect()
    top_site, top_ngi, top_country = con.execute(f"""
        SELECT h.Site, s.NGI, s.Country FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false) h
        JOIN read_parquet('{src}/topology/sites.parquet') s ON s.Site = h.Site AND s.ValidTo IS NULL
        GROUP BY ALL ORDER BY sum(NumberOfJobs) DESC LIMIT 1""").fetchone()
    return out, top_site, top_ngi, top_country


def enc(name):
    from accounting.site.paths import encode
    return encode(name)


CASES = [
    # (page path template, table, metric, row expr, column, scope template, vo group, infra)
    ("egi/", "table", "normcpu", "ngi", "month", "true", "all", "localinfrajobs"),
    ("egi/", "yearly", "normcpu", "ngi", "year", "true", "all", "localinfrajobs"),
    ("egi/njobs/lhc/onlyinfrajobs/", "table", "njobs", "ngi", "month", "true", "lhc", "onlyinfrajobs"),
    ("egi/cpueff/egi/onlylocaljobs/", "table", "cpueff", "ngi", "month", "true", "egi", "onlylocaljobs"),
    ("egi/countries/elap_processors/all/onlyinfrajobs/", "table", "elap_processors", "country", "month",
     "true", "all", "onlyinfrajobs"),
    ("egi/countries/", "yearly", "normcpu", "country", "year", "true", "all", "localinfrajobs"),
    ("egi/ngi/{ngi}/", "table", "normcpu", "Site", "month", "ngi = '{ngi}'", "all", "localinfrajobs"),
    ("egi/ngi/{ngi}/sumelap/", "yearly", "sumelap", "Site", "year", "ngi = '{ngi}'", "all", "localinfrajobs"),
    ("egi/country/{country}/normelap/", "table", "normelap", "Site", "month", "country = '{country}'", "all",
     "localinfrajobs"),
    ("egi/site/{site}/", "table", "normcpu", "VO", "month", "Site = '{site}'", "all", "localinfrajobs"),
    ("egi/site/{site}/cpueff/", "yearly", "cpueff", "VO", "year", "Site = '{site}'", "all", "localinfrajobs"),
    ("egi/site/{site}/njobs/", "submithosts", "njobs", "SubmitHost", "month", "Site = '{site}'", "all",
     "localinfrajobs"),
    ("egi/vo/atlas/normelap_processors/", "table", "normelap_processors", "Site", "month", "VO = 'atlas'",
     "all", "localinfrajobs"),
    ("egi/vo/atlas/sumcpu/", "ngis", "sumcpu", "ngi", "month", "VO = 'atlas'", "all", "localinfrajobs"),
    ("disciplines/", "yearly", "normcpu", "d1", "year", "true", "all", "localinfrajobs"),
    ("benchmarks/", "table", "normelap_processors", "bench", "month", "true", "all", "localinfrajobs"),
    ("benchmarks/", "yearly", "normelap_processors", "bench", "year", "true", "all", "localinfrajobs"),
    ("benchmarks/", "ngis", "normelap_processors", "ngi", "bench", "true", "all", "localinfrajobs"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_table_equals_recomputation(built, db, case):
    path, table_id, metric, row, column, scope, vo_group, infra = case
    out, site, ngi, country = _pages(built, db)
    names = {"site": site, "ngi": ngi, "country": country}
    page_dir = out / path.format(**{k: enc(v) for k, v in names.items()})
    cells = expected(db, metric=metric, row=row, column=column, scope=scope.format(**names),
                     vo_group=vo_group, infra=infra)
    check_table(page_dir, table_id, metric, cells, db.months if column == "month" else None)


def test_discipline_page_lists_vos_of_a_leaf(built, db):
    leaf = db.execute("SELECT d3 FROM facts WHERE vo_lhc GROUP BY d3 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    cells = expected(db, metric="njobs", row="VO", column="month", scope=f"d3 = '{leaf}'")
    check_table(built["output"] / "discipline" / enc(leaf) / "njobs", "table", "njobs", cells, db.months)


def test_headline_figures(built, db):
    """The landing page's last-month job count equals the source rows of that month."""
    y, m = divmod(db.last, 100)
    jobs = db.execute(f"SELECT sum(NumberOfJobs) FROM facts WHERE yyyymm = {db.last}").fetchone()[0]
    html = (built["output"] / "index.html").read_text()
    assert f"{int(jobs):,}" in html


@pytest.mark.parametrize("vo_group", sorted(VO_GROUP_SQL))
@pytest.mark.parametrize("infra", sorted(INFRA_SQL))
def test_distinct_counts_per_period(built, db, vo_group, infra):
    """Active sites, VOs and users are counted per period from the rows, for every filter."""
    y, m = divmod(db.last, 100)
    cube = duckdb.connect().execute(f"""
        SELECT period, active_sites, active_vos, active_users
        FROM read_parquet('{built['output']}/data/htc_activity.parquet')
        WHERE vo_group = '{vo_group}' AND infra_filter = '{infra}' AND period IN ('{y:04d}-{m:02d}', '{y - 1:04d}')
        ORDER BY period""").fetchall()
    expected = db.execute(f"""
        SELECT p, count(DISTINCT Site), count(DISTINCT VO) FILTER (WHERE VO <> 'no VO'), count(DISTINCT GlobalUserName)
        FROM (SELECT *, unnest([ym, printf('%04d', Year)]) AS p FROM facts
              WHERE NumberOfJobs > 0 AND {VO_GROUP_SQL[vo_group]} AND {INFRA_SQL[infra]})
        WHERE p IN ('{y:04d}-{m:02d}', '{y - 1:04d}')
        GROUP BY p ORDER BY p""").fetchall()
    assert cube == expected and len(expected) == 2
