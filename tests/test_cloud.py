"""Cloud reports: every cell, total and percentage of a sample of cloud pages of every kind
and metric, and their downloads, equal an independent recomputation in plain SQL over the
source cloud summaries (not the cube SQL); CPU efficiency comes from the sums at the level
shown; discipline pages carry cloud core hours beside HTC."""

from __future__ import annotations

import duckdb
import pytest

from accounting.site.paths import encode
from family_tables import check, expected, months_window

# (numerator, denominator or None, how, divisor), restated from the help page.
METRICS = {
    "cloud_vms": ("NumberOfVMs", None, "per month", 1),  # a count of things: averaged over months
    "cloud_wall": ("WallDuration", None, "sum", 3600),
    "cloud_cpu": ("CpuDuration", None, "sum", 3600),
    "cloud_core_hours": ("WallDuration::HUGEINT * CpuCount", None, "sum", 3600),
    "cloud_normalised": ("coalesce(WallDuration::HUGEINT * CpuCount * Benchmark, 0)", None, "sum", 3600),
    "cloud_cpueff": ("CpuDuration", "WallDuration::HUGEINT * CpuCount", "percent", 1),
    "cloud_memory": ("Memory", None, "sum", 1000),
    "cloud_disk": ("Disk", None, "sum", 1),
    "cloud_net_in": ("NetworkInbound", None, "sum", 1),
    "cloud_net_out": ("NetworkOutbound", None, "sum", 1),
}


@pytest.fixture(scope="module")
def db(built):
    src = built["source"]
    con = duckdb.connect()
    con.execute(f"""
        CREATE VIEW c AS
        SELECT r.*, printf('%04d-%02d', r.Year, r.Month) AS ym, r.Year * 100 + r.Month AS yyyymm,
               coalesce(s.NGI, 'unknown NGI') AS ngi, coalesce(s.Country, 'unknown country') AS country,
               lower(r.Status) AS status, coalesce(d.Level1, 'unknown discipline') AS d1
        FROM read_parquet('{src}/cloud/*/*/*.parquet', hive_partitioning = false) AS r
        LEFT JOIN read_parquet('{src}/topology/sites.parquet') AS s
          ON s.Site = r.SiteName AND s.ValidFrom <= make_date(r.Year, r.Month, 1)
         AND coalesce(s.ValidTo, DATE '9999-12-31') > make_date(r.Year, r.Month, 1)
        LEFT JOIN read_parquet('{src}/topology/vos.parquet') AS v ON v.VO = r.VO
        LEFT JOIN read_parquet('{src}/topology/disciplines.parquet') AS d ON d.Discipline = v.Discipline
    """)
    return con, months_window(con, src)


def _names(db):
    con, _ = db
    site, ngi, country, vo = con.execute("""
        SELECT SiteName, ngi, country, VO FROM c GROUP BY ALL
        ORDER BY sum(WallDuration::HUGEINT * CpuCount) DESC LIMIT 1""").fetchone()
    return {"site": site, "ngi": ngi, "country": country, "vo": vo}


CASES = [
    # (page, table, metric, row expression, column, scope template)
    ("cloud/", "table", "cloud_core_hours", "ngi", "month", "true"),
    ("cloud/", "yearly", "cloud_core_hours", "ngi", "year", "true"),
    ("cloud/cloud_vms/", "status", "cloud_vms", "status", "month", "true"),
    ("cloud/cloud_vms/", "yearly", "cloud_vms", "ngi", "year", "true"),
    ("cloud/site/{site}/cloud_vms/", "yearly", "cloud_vms", "VO", "year", "SiteName = '{site}'"),
    ("cloud/cloud_cpueff/", "table", "cloud_cpueff", "ngi", "month", "true"),
    ("cloud/countries/cloud_memory/", "table", "cloud_memory", "country", "month", "true"),
    ("cloud/ngi/{ngi}/cloud_wall/", "yearly", "cloud_wall", "SiteName", "year", "ngi = '{ngi}'"),
    ("cloud/country/{country}/cloud_net_in/", "table", "cloud_net_in", "SiteName", "month", "country = '{country}'"),
    ("cloud/site/{site}/", "table", "cloud_core_hours", "VO", "month", "SiteName = '{site}'"),
    ("cloud/site/{site}/cloud_cpu/", "cloudcomputeservice", "cloud_cpu", "CloudComputeService", "month",
     "SiteName = '{site}'"),
    ("cloud/site/{site}/cloud_normalised/", "imageid", "cloud_normalised", "ImageId", "month", "SiteName = '{site}'"),
    ("cloud/site/{site}/cloud_cpueff/", "yearly", "cloud_cpueff", "VO", "year", "SiteName = '{site}'"),
    ("cloud/vo/{vo}/cloud_disk/", "table", "cloud_disk", "SiteName", "month", "VO = '{vo}'"),
    ("cloud/vo/{vo}/cloud_net_out/", "imageid", "cloud_net_out", "ImageId", "month", "VO = '{vo}'"),
    ("disciplines/", "cloud", "cloud_core_hours", "d1", "month", "true"),
    ("disciplines/", "cloud_yearly", "cloud_core_hours", "d1", "year", "true"),
]


@pytest.mark.parametrize("path,table,metric,row,column,scope", CASES)
def test_cloud_table_equals_recomputation(built, db, path, table, metric, row, column, scope):
    names = _names(db)
    page = built["output"] / path.format(**{k: encode(v) for k, v in names.items()})
    cells = expected(db[0], "c", db[1], *METRICS[metric][:2], row, column, scope.format(**names))
    assert cells
    _, _, how, divisor = METRICS[metric]
    check(page, table, how, cells, db[1], divisor)


def test_cloud_pages_link_to_the_other_views_and_home_has_cloud_figures(built, db):
    site = _names(db)["site"]
    cloud_page = (built["output"] / "cloud" / "site" / encode(site) / "index.html").read_text()
    assert f'href="../../../egi/site/{encode(site)}/"' in cloud_page
    htc_page = (built["output"] / "egi" / "site" / encode(site) / "index.html").read_text()
    assert f'href="../../../cloud/site/{encode(site)}/"' in htc_page
    home = (built["output"] / "index.html").read_text()
    assert "Number of VMs" in home and "Wall time × vCPUs" in home
    help_page = (built["output"] / "help" / "index.html").read_text()
    for metric in METRICS:
        assert f'id="{metric}"' in help_page
