"""GPU reports: every cell, total and percentage of a sample of GPU pages of every kind,
and their downloads, equal an independent recomputation in plain SQL over the source
accelerator records (not the cube SQL): GPU hours are Count × duration, utilisation is
taken from the sums at the level shown, the number of GPUs is GPU time over the period."""

from __future__ import annotations

import calendar
import csv
import math

import duckdb
import pyarrow.parquet as pq
import pytest

from accounting import demo_gpu
from accounting.paths import encode
from htmltables import parse

# (numerator, denominator or None, how the value is taken), restated from the help page.
METRICS = {
    "gpu_available": ("Count * AvailableDuration", None, "hours"),
    "gpu_active": ("Count * ActiveDuration", None, "hours"),
    "gpu_utilisation": ("Count * ActiveDuration", "Count * AvailableDuration", "percent"),
    "gpu_count": ("Count * AvailableDuration", None, "per period"),
    "gpu_normalised": ("coalesce(Count * ActiveDuration * Benchmark, 0)", None, "hours"),
}


@pytest.fixture(scope="module")
def db(built):
    src = built["source"]
    con = duckdb.connect()
    con.execute(f"""
        CREATE VIEW g AS
        SELECT r.*, printf('%04d-%02d', r.Year, r.Month) AS ym, r.Year * 100 + r.Month AS yyyymm,
               coalesce(s.NGI, 'unknown NGI') AS ngi, coalesce(s.Country, 'unknown country') AS country,
               split_part(substr(r.FQAN, 2), '/', 1) AS vo, coalesce(m.Category, 'unknown category') AS category
        FROM read_parquet('{src}/gpu/*/*/*.parquet', hive_partitioning = false) AS r
        LEFT JOIN read_parquet('{src}/topology/sites.parquet') AS s
          ON s.Site = r.SiteName AND s.ValidFrom <= make_date(r.Year, r.Month, 1)
         AND coalesce(s.ValidTo, DATE '9999-12-31') > make_date(r.Year, r.Month, 1)
        LEFT JOIN read_parquet('{src}/topology/gpu_models.parquet') AS m ON m.Model = r.Model
    """)
    htc_as_of = con.execute(f"SELECT max(UpdateTime) FROM read_parquet('{src}/htc/*/*/*.parquet', "
                            "hive_partitioning = false)").fetchone()[0]
    y, m = (htc_as_of.year, htc_as_of.month - 1) if htc_as_of.month > 1 else (htc_as_of.year - 1, 12)
    months = []
    for _ in range(12):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return con, sorted(months)


def _seconds(period: str, last: str) -> int:
    if len(period) == 7:
        return calendar.monthrange(int(period[:4]), int(period[5:]))[1] * 86400
    y = int(period)
    upto = int(last[5:]) if y == int(last[:4]) else 12
    return sum(calendar.monthrange(y, m)[1] for m in range(1, upto + 1)) * 86400


def _value(metric: str, n: float, d: float, seconds: int):
    how = METRICS[metric][2]
    if how == "percent":
        return None if not d else 100 * n / d
    if how == "per period":
        return n / seconds
    return n / 3600


def _csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _close(got: str, want) -> bool:
    if want is None:
        return got == ""
    return got != "" and math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9)


def check(page, table_id, metric, cells, months, last):
    """Table CSV == recomputed `cells` {row: {column: (num, den)}}; HTML and Parquet == CSV."""
    header, body = _csv(page / f"{table_id}.csv")
    ratio = METRICS[metric][2] == "percent"
    columns = header[1:-1] if ratio else header[1:-2]
    if table_id == "table":
        assert columns == months
    n_data = len(body) - (1 if ratio else 2)
    assert {r[0] for r in body[:n_data]} == set(cells)
    seconds = [_seconds(c, last) for c in columns]
    grand = [sum(n for by in cells.values() for n, _ in by.values()),
             sum(d for by in cells.values() for _, d in by.values())]
    for r in body[:n_data]:
        by = cells[r[0]]
        want = [_value(metric, *by.get(c, (0, 0)), s) for c, s in zip(columns, seconds)]
        rn, rd = sum(n for n, _ in by.values()), sum(d for _, d in by.values())
        want.append(_value(metric, rn, rd, sum(seconds)))
        if not ratio:
            want.append(100 * rn / grand[0] if grand[0] else None)
        assert all(_close(g, w) for g, w in zip(r[1:], want)), (page, table_id, metric, r[0], r[1:], want)
    col_tot = [(sum(cells[k].get(c, (0, 0))[0] for k in cells), sum(cells[k].get(c, (0, 0))[1] for k in cells))
               for c in columns]
    total = body[n_data]
    assert total[0] == "Total"
    want = [_value(metric, n, d, s) for (n, d), s in zip(col_tot, seconds)]
    want.append(_value(metric, *grand, sum(seconds)))
    assert all(_close(g, w) for g, w in zip(total[1:], want)), (page, table_id, metric, "Total")
    # The page shows the same rows, a figure where the CSV has one; Parquet holds the CSV's values.
    shown = parse((page / "index.html").read_text()).tables[table_id]["rows"]
    assert [r["label"] for r in shown] == [r[0] for r in body]
    for h, c in zip(shown, body):
        assert [t == "–" for t in h["texts"]] == [v == "" for v in c[1:]]
    parquet = pq.read_table(page / f"{table_id}.parquet").to_pylist()
    for p, c in zip(parquet, body):
        assert [p[k] for k in header[1:]] == [None if v == "" else float(v) for v in c[1:]]
    return body


def expected(db, metric, row, column, scope="true"):
    con, months = db
    num, den, _ = METRICS[metric]
    col = "ym" if column == "month" else "printf('%04d', Year)"
    first = int(months[0].replace("-", "")) if column == "month" else 0
    last = int(months[-1].replace("-", ""))
    out: dict = {}
    for r, c, n, d in con.execute(f"""
            SELECT {row}, {col}, sum({num})::DOUBLE, {f'sum({den})::DOUBLE' if den else '0'} FROM g
            WHERE {scope} AND yyyymm BETWEEN {first} AND {last} GROUP BY ALL""").fetchall():
        out.setdefault(r, {})[c] = (n, d)
    return out


def _names(db):
    con, _ = db
    site, ngi, country, vo, model = con.execute("""
        SELECT SiteName, ngi, country, vo, Model FROM g GROUP BY ALL
        ORDER BY sum(Count * AvailableDuration) DESC LIMIT 1""").fetchone()
    return {"site": site, "ngi": ngi, "country": country, "vo": vo, "model": model}


CASES = [
    # (page under gpu/, table, metric, row expression, column, scope template)
    ("", "table", "gpu_available", "ngi", "month", "true"),
    ("", "yearly", "gpu_available", "ngi", "year", "true"),
    ("gpu_utilisation/", "table", "gpu_utilisation", "ngi", "month", "true"),
    ("gpu_count/", "yearly", "gpu_count", "ngi", "year", "true"),
    ("", "category", "gpu_available", "category", "month", "true"),
    ("", "recordtype", "gpu_available", "lower(AssociatedRecordType)", "month", "true"),
    ("countries/gpu_active/", "table", "gpu_active", "country", "month", "true"),
    ("models/", "table", "gpu_available", "Model", "month", "true"),
    ("models/gpu_utilisation/", "yearly", "gpu_utilisation", "Model", "year", "true"),
    ("ngi/{ngi}/gpu_count/", "table", "gpu_count", "SiteName", "month", "ngi = '{ngi}'"),
    ("ngi/{ngi}/gpu_utilisation/", "table", "gpu_utilisation", "SiteName", "month", "ngi = '{ngi}'"),
    ("country/{country}/gpu_normalised/", "table", "gpu_normalised", "SiteName", "month", "country = '{country}'"),
    ("site/{site}/", "table", "gpu_available", "vo", "month", "SiteName = '{site}'"),
    ("site/{site}/gpu_utilisation/", "model", "gpu_utilisation", "Model", "month", "SiteName = '{site}'"),
    ("vo/{vo}/gpu_active/", "yearly", "gpu_active", "SiteName", "year", "vo = '{vo}'"),
    ("model/{model}/gpu_count/", "table", "gpu_count", "SiteName", "month", "Model = '{model}'"),
]


@pytest.mark.parametrize("path,table,metric,row,column,scope", CASES)
def test_gpu_table_equals_recomputation(built, db, path, table, metric, row, column, scope):
    names = _names(db)
    page = built["output"] / "gpu" / path.format(**{k: encode(v) for k, v in names.items()})
    cells = expected(db, metric, row, column, scope.format(**names))
    assert cells
    check(page, table, metric, cells, db[1], db[1][-1])


def test_utilisation_is_a_ratio_of_sums_not_an_average_of_ratios(built, db):
    names = _names(db)
    page = built["output"] / "gpu" / "ngi" / encode(names["ngi"]) / "gpu_utilisation"
    header, body = _csv(page / "table_sums.csv")
    assert header[2:] == ["gpu_active_s", "gpu_available_s", "gpu_utilisation"]
    differs = False
    by_period: dict = {}
    for row, period, num, den, value in body:
        assert _close(value, 100 * float(num) / float(den) if float(den) else None)
        by_period.setdefault(period, {})[row] = (float(num), float(den))
    for period, rows in by_period.items():
        sites = [100 * n / d for r, (n, d) in rows.items() if r != "Total" and d]
        n, d = rows["Total"]
        if len(sites) > 1 and not math.isclose(100 * n / d, sum(sites) / len(sites), rel_tol=1e-6):
            differs = True
    assert differs, "no period where the mean of the sites' utilisations differs from the NGI's"


def test_pages_link_cpu_and_gpu_views(built, db):
    site = _names(db)["site"]
    gpu_page = (built["output"] / "gpu" / "site" / encode(site) / "index.html").read_text()
    htc_page = (built["output"] / "egi" / "site" / encode(site) / "index.html").read_text()
    assert f'href="../../../egi/site/{encode(site)}/"' in gpu_page
    assert f'href="../../../gpu/site/{encode(site)}/"' in htc_page
    vo = _names(db)["vo"]
    assert f"gpu/vo/{encode(vo)}/" in (built["output"] / "egi" / "vo" / encode(vo) / "index.html").read_text()


def test_landing_and_quality_pages(built):
    home = (built["output"] / "index.html").read_text()
    assert "GPU hours available" in home and "GPU utilisation" in home
    quality = (built["output"] / "quality" / "index.html").read_text()
    assert "GPU model not in the model table" in quality and "GPU active time above available time" in quality
    for site in (*demo_gpu.UNKNOWN_MODEL_SITES, *demo_gpu.ACTIVE_OVER_AVAILABLE_SITES):
        assert site in quality
