"""A real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) opens the
landing page and one page of each kind from a local server: every chart renders with
marks, the console stays clean, and no request leaves the site."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from static_server import serving

PAGES = ["", "egi/", "egi/njobs/lhc/onlyinfrajobs/", "egi/countries/", "egi/ngi/{ngi}/",
         "egi/country/{country}/cpueff/", "egi/site/{site}/", "egi/vo/atlas/", "disciplines/",
         "benchmarks/", "benchmarks/ngi/{ngi}/", "quality/", "help/", "data/",
         "storage/", "storage/countries/files/", "storage/ngi/NGI_DE/", "storage/site/FZK-LCG2/allocated/",
         "storage/vo/cms/", "gpu/", "gpu/models/gpu_count/", "gpu/site/CESGA/gpu_utilisation/",
         "gpu/ngi/NGI_IBERGRID/", "cloud/", "cloud/site/CESNET-MetaCloud/cloud_cpueff/",
         "discipline/Natural~20Sciences/"]


@pytest.fixture(scope="module")
def server(built):
    with serving(built["output"]) as url:
        yield url


def _names(built):
    import duckdb

    from accounting.site.paths import encode
    src = built["source"]
    site, ngi, country = duckdb.connect().execute(f"""
        SELECT h.Site, s.NGI, s.Country FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false) h
        JOIN read_parquet('{src}/topology/sites.parquet') s ON s.Site = h.Site AND s.ValidTo IS NULL
        GROUP BY ALL ORDER BY sum(NumberOfJobs) DESC LIMIT 1""").fetchone()
    return {"site": encode(site), "ngi": encode(ngi), "country": encode(country)}


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_its_charts_offline(built, server, browser, path):
    url = server + path.format(**_names(built))
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200
    charts = page.locator(".vega")
    n = charts.count()
    if path in ("", "egi/", "egi/ngi/{ngi}/", "benchmarks/") or path.startswith(("storage/", "gpu/", "cloud/")):
        assert n >= 1
    for i in range(n):
        svg = charts.nth(i).locator("svg")
        svg.wait_for(timeout=10_000)
        marks = charts.nth(i).locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path")
        assert marks.count() > 0, f"chart {i} of {url} has no marks"
    page.close()
    assert not errors, errors
    origin = urlparse(server).netloc
    outside = [u for u in requests if urlparse(u).netloc != origin]
    assert not outside, outside


def test_tables_sort_by_a_clicked_column(built, server, browser):
    page = browser.new_page()
    page.goto(server + "egi/", wait_until="networkidle")
    table = page.locator("#t-table")
    labels = lambda: table.locator("tbody tr th").all_inner_texts()  # noqa: E731
    before = labels()
    table.locator("thead th").first.click()  # by name, descending
    by_name = labels()
    data = [x for x in before if x not in ("Total", "Percent")]
    assert by_name[:len(data)] == sorted(data, key=str.lower, reverse=True)
    assert by_name[-2:] == ["Total", "Percent"]
    total_col = table.locator("thead th").nth(13)
    assert total_col.inner_text() == "Total"
    total_col.click()  # by total, descending: the page's own order
    assert labels() == before
    page.close()
