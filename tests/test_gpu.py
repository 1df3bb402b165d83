"""GPU reports: every cell, total and percentage of a sample of GPU pages of every kind,
and their downloads, equal an independent recomputation in plain SQL over the source
accelerator records (not the cube SQL): GPU hours are Count × duration, utilisation is
taken from the sums at the level shown, the number of GPUs is GPU time over the period."""

from __future__ import annotations

import math

import duckdb
import pytest

from accounting.site.paths import encode
from accounting.source.demo import gpu as demo_gpu
from family_tables import check, expected, months_window, table_csv

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
    return con, months_window(con, src)


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
    cells = expected(db[0], "g", db[1], *METRICS[metric][:2], row, column, scope.format(**names))
    assert cells
    check(page, table, METRICS[metric][2], cells, db[1])


def test_utilisation_is_a_ratio_of_sums_not_an_average_of_ratios(built, db):
    # The NGI with the most GPU sites, so that its sites' mean can differ from its own ratio.
    ngi = db[0].execute("""SELECT ngi FROM g GROUP BY ngi
        ORDER BY count(DISTINCT SiteName) DESC, ngi LIMIT 1""").fetchone()[0]
    page = built["output"] / "gpu" / "ngi" / encode(ngi) / "gpu_utilisation"
    header, body = table_csv(page / "table_sums.csv")
    assert header[2:] == ["gpu_active_s", "gpu_available_s", "gpu_utilisation"]
    differs = False
    by_period: dict = {}
    for row, period, num, den, value in body:
        if float(den):
            assert math.isclose(float(value), 100 * float(num) / float(den))
        else:
            assert value == ""
        by_period.setdefault(period, {})[row] = (float(num), float(den))
    for rows in by_period.values():
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
