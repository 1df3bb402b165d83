"""The explorer in real headless Chromium (Debian's, through Playwright) over the shared small
demo build, served with the Content-Security-Policy the generated Apache configuration sends
(the explorer's own under /explore/ and for the DuckDB-WASM workers, the strict one
elsewhere): for a few views given by their address, every cell, Total and Percent of the
table DuckDB-WASM computes equals an independent recomputation in SQL over the SOURCE
Parquet (the exported summaries and topology, not the cubes); no request leaves the site, the
console stays clean, back and forward restore the view, and the CSV download is the view."""

from __future__ import annotations

import csv
import io
import math
import re
from urllib.parse import parse_qs, urlparse

import pytest

from accounting.publish import apache
from static_server import serving

READY = ("() => { const r = document.getElementById('explore-result');"
         " return r && (r.dataset.ready === location.search || r.dataset.ready === 'error'); }")


def apache_csp():
    """(default policy, explorer path pattern, explorer policy) as the generated config sets them."""
    text = apache.config("/srv/portal/current")
    default = re.search(r'^Header always set Content-Security-Policy "(.*)"$', text, re.M).group(1)
    m = re.search(r'<LocationMatch "(.*)">\n\s+Header always set Content-Security-Policy "(.*)"', text)
    return default, re.compile(m.group(1)), m.group(2)


def serving_as_apache(root):
    """`root` served by the preview server with the Content-Security-Policy the generated
    Apache configuration sends for each path (the explorer's under /explore/)."""
    default, pattern, explore = apache_csp()
    return serving(root, lambda path: {"Content-Security-Policy": explore if pattern.match(path) else default})


@pytest.fixture(scope="module")
def server(built):
    with serving_as_apache(built["output"]) as url:
        yield url


@pytest.fixture(scope="module")
def source(built):
    """The independent recomputation of the build's views from its source (tests/source_truth.py)."""
    import source_truth
    return source_truth.Truth(built)


def expected(truth, params: dict) -> dict:
    """{row: {column header: value}} with Total (and Percent for additive metrics) of the
    explorer address `params` ({name: [values]}), recomputed from the source."""
    return truth.of(params)


def shown(page) -> dict:
    """The explorer's table as {row: {column header: full-precision value}}."""
    return page.evaluate("""() => {
        const t = document.getElementById('explore-table');
        const heads = Array.from(t.querySelectorAll('thead th')).map(th => th.textContent);
        const out = {};
        t.querySelectorAll('tbody tr').forEach(tr => {
            const cells = {};
            tr.querySelectorAll('td').forEach((td, j) => {
                cells[heads[j + 1]] = td.dataset.value === '' ? null : Number(td.dataset.value); });
            out[tr.querySelector('th').textContent] = cells;
        });
        return out; }""")


def totals_named(table: dict) -> dict:
    """A table with its Total column under that one key: a stock's or a per-period metric's
    is named for the statistic it shows (Average, Peak)."""
    return {r: {("Total" if c in ("Average", "Peak") else c): x for c, x in cells.items()}
            for r, cells in table.items()}


def assert_table(got: dict, want: dict, what: str) -> None:
    assert set(got) == set(want), f"{what}: rows differ: {sorted(set(got) ^ set(want))}"
    for row, cells in got.items():
        for col, g in cells.items():
            w = want[row].get(col, 0 if g is not None and row != "Percent" else None)
            if w is None or g is None:
                assert g == w or (w is None and g == 0), f"{what} [{row}][{col}]: {g} != {w}"
            else:
                assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9), f"{what} [{row}][{col}]: {g} != {w}"
        assert not set(want[row]) - set(cells), f"{what} [{row}]: columns {set(want[row]) - set(cells)} missing"


@pytest.fixture
def page(browser, server):
    """A page that records console errors and every request."""
    p = browser.new_page(accept_downloads=True)
    p.errors, p.requests = [], []
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("request", lambda r: p.requests.append(r.url))
    yield p
    origin = urlparse(server).netloc
    outside = [u for u in p.requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).netloc != origin]
    p.close()
    assert not p.errors, p.errors
    assert not outside, outside


def open_view(page, server, query: str) -> dict:
    page.goto(server + "explore/" + query)
    page.wait_for_function(READY, timeout=30_000)
    assert page.locator("#explore-result").get_attribute("data-ready") != "error", \
        page.locator("#explore-status").inner_text()
    return parse_qs(urlparse(page.url).query)


def months(built) -> tuple[str, str]:
    import json
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    ms = q["families"]["htc"]["months"]
    return ms[0]["month"], ms[-1]["month"]


VIEWS = [
    "?metric=njobs&rows=NGI&cols=year&from={first}&to={last}",
    "?metric=normcpu&rows=NGI&cols=year&from={first}&to={last}&jobs=grid",
    "?metric=sumcpu&rows=VO&cols=quarter&from=2024-01&to=2025-06&vos=custom&vo=atlas&vo=cms&vo=biomed",
    "?metric=sumcpu&rows=VO&cols=Country&from=2025-01&to={last}&vos=top&top=5",
    "?metric=cpueff&rows=Country&cols=half&from=2023-07&to={last}&vos=lhc&jobs=local",
    "?metric=njobs,normcpu,cpueff&rows=Country&from=2025-01&to={last}&vos=egi",
]


def test_views_equal_the_source(built, page, server, source):
    first, last = months(built)
    for query in VIEWS:
        params = open_view(page, server, query.format(first=first, last=last))
        assert_table(shown(page), expected(source, params), query)


def test_back_and_forward_restore_the_view(built, page, server, source):
    first, last = months(built)
    start = open_view(page, server, f"?metric=njobs&rows=NGI&cols=year&from={first}&to={last}")
    before = shown(page)
    page.select_option("#x-metric", ["sumcpu"])
    page.select_option("#x-rows", ["Country"])
    page.click("#explore-form button[type=submit]")
    page.wait_for_function(READY, timeout=30_000)
    changed = parse_qs(urlparse(page.url).query)
    assert changed["metric"] == ["sumcpu"] and changed["rows"] == ["Country"]
    after = shown(page)
    assert_table(after, expected(source, changed), "after the change")
    page.go_back()
    page.wait_for_function(READY, timeout=30_000)
    assert parse_qs(urlparse(page.url).query) == start
    assert shown(page) == before
    assert page.locator("#x-metric").evaluate("s => Array.from(s.selectedOptions).map(o => o.value)") == ["njobs"]
    page.go_forward()
    page.wait_for_function(READY, timeout=30_000)
    assert shown(page) == after


def test_the_csv_download_is_the_view(built, page, server):
    first, last = months(built)
    params = open_view(page, server, f"?metric=normcpu&rows=NGI&cols=quarter&from=2025-01&to={last}&jobs=grid")
    with page.expect_download() as info:
        page.click("#explore-csv")
    download = info.value
    text = open(download.path(), encoding="utf-8", newline="").read()
    assert download.suggested_filename.endswith(".csv") and "normcpu" in download.suggested_filename
    head, *lines = text.split("\r\n")
    assert head.startswith("# scope: EGI htc; metric: normcpu (HS23 h);") and f"period: 2025-01 to {last}" in head
    assert "jobs: grid" in head and "filters: none" in head
    rows = list(csv.reader(io.StringIO("\r\n".join(lines))))
    table = shown(page)
    assert rows[0][0] == "Operations centre (NGI)" and rows[0][-1] == "row_kind"
    assert [r[0] for r in rows[1:] if r] == list(table)
    for r in rows[1:]:
        if r:
            values = [None if x == "" else float(x) for x in r[1:-1]]
            assert values == [table[r[0]][h] for h in rows[0][1:-1]], r[0]
    assert params["jobs"] == ["grid"]


def test_without_javascript_the_page_says_so(browser, server):
    context = browser.new_context(java_script_enabled=False)
    p = context.new_page()
    p.goto(server + "explore/")
    text = p.locator("main").inner_text()
    assert "needs JavaScript and WebAssembly" in text
    assert p.locator("noscript a[href='../egi/']").count() == 1 or "HTC" in text
    context.close()


# ---- cloud, GPU and storage: DuckDB-WASM against the source -----------------------------

TYPE_VIEWS = [
    "?data=cloud&metric=cloud_core_hours&rows=NGI&cols=quarter&from={cloud}&to={last}",
    "?data=cloud&metric=cloud_core_hours,cloud_cpueff,cloud_vms&rows=NGI&from=2025-01&to={last}",
    "?data=gpu&metric=gpu_count&rows=Model&cols=year&from={gpu}&to={last}",
    "?data=gpu&metric=gpu_active&rows=NGI&cols=half&from=2023-03&to={last}&unit=day",
    "?data=storage&metric=used&rows=NGI&cols=quarter&from=2023-02&to={last}",
    "?data=storage&metric=files&rows=Site&cols=year&from={storage}&to={last}&stat=peak",
    "?data=storage&metric=used,files&rows=NGI&from=2025-02&to={last}",
    "?data=htc_ce&metric=normcpu&rows=SubmitHost&cols=year&from=2024-01&to={last}&vos=egi&jobs=grid",
]


def test_cloud_gpu_and_storage_views_equal_the_source(built, page, server, source):
    import json
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    first = {d: f["months"][0]["month"] for d, f in q["families"].items()}
    for query in TYPE_VIEWS:
        params = open_view(page, server, query.format(last=q["defaults"]["to"], **first))
        assert_table(totals_named(shown(page)), expected(source, params), query)
        if "unit=day" in query:
            assert "GPU days" in page.locator("#explore-table caption").inner_text()


def test_switching_the_data_type_drops_what_does_not_apply(built, page, server):
    params = open_view(page, server, "?data=gpu&metric=normcpu&jobs=grid&vos=lhc&Tier=x&unit=day&stat=peak")
    assert params["data"] == ["gpu"] and params["metric"] == ["gpu_available"] and params["vos"] == ["all"]
    assert "jobs" not in params and "Tier" not in params and "stat" not in params and params["unit"] == ["day"]
    open_view(page, server, "?data=htc&metric=cpueff&jobs=grid&vos=egi&NGI=NGI_UK")
    page.select_option("#x-data", ["storage"])
    assert page.locator("#x-jobs-label").is_hidden() and page.locator("#x-stat-label").is_visible()
    page.click("#explore-form button[type=submit]")
    page.wait_for_function(READY, timeout=30_000)
    now = parse_qs(urlparse(page.url).query)
    assert now["data"] == ["storage"] and now["metric"] == ["used"] and now["stat"] == ["average"]
    # HTC by compute element has no VO column: neither top N nor a custom list is offered
    page.select_option("#x-data", ["htc_ce"])
    assert page.locator("#x-top-label").is_hidden() and page.locator("#x-vo-label").is_hidden()
    assert "custom" not in page.locator("#x-vos option").evaluate_all("os => os.map(o => o.value)")
    assert now["vos"] == ["all"] and "jobs" not in now and "unit" not in now
    assert shown(page)["Total"]["Average"] is not None
