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

import duckdb
import pytest

from accounting.catalogue import load
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
    """The HTC summaries with the topology valid in their month, straight from the source."""
    src = built["source"]
    con = duckdb.connect()
    con.execute(f"""CREATE VIEW h AS SELECT
            x.Year, x.Month, x.Year * 100 + x.Month AS ym,
            CASE WHEN trim(x.VO) IN ('', 'None') THEN NULL ELSE x.VO END AS VO,
            s.NGI, s.Country, coalesce(v.EGIOfficial, false) AS egi, coalesce(v.LHC, false) AS lhc,
            lower(x.Infrastructure) AS infra,
            x.NumberOfJobs::HUGEINT AS njobs, x.CpuDuration::HUGEINT AS cpu,
            x.NormalisedCpuDuration::HUGEINT AS normcpu, x.WallDuration::HUGEINT * x.Processors AS wallproc
        FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false) x
        LEFT JOIN read_parquet('{src}/topology/sites.parquet') s ON s.Site = x.Site
            AND s.ValidFrom <= make_date(x.Year, x.Month, 1)
            AND (s.ValidTo IS NULL OR make_date(x.Year, x.Month, 1) < s.ValidTo)
        LEFT JOIN read_parquet('{src}/topology/vos.parquet') v ON v.VO = x.VO""")
    return con


# Each explorer metric as (numerator, denominator, scale, multiplier) over the view `h` above.
SOURCE_METRICS = {"njobs": ("njobs", None, 1, 1), "sumcpu": ("cpu", None, 3600, 1),
                  "normcpu": ("normcpu", None, 3600, 1), "cpueff": ("cpu", "wallproc", 1, 100)}


def period_key(kind: str, y: int, m: int) -> str:
    return {"month": f"{y:04d}-{m:02d}", "quarter": f"{y:04d}-Q{(m + 2) // 3}",
            "half": f"{y:04d}-H{(m + 5) // 6}", "year": f"{y:04d}"}[kind]


def expected(con, params: dict) -> dict:
    """{row: {column header: value}} with Total (and Percent for additive metrics), from `h`."""
    cat = load()
    p = {k: v[0] for k, v in params.items()}
    metrics = p["metric"].split(",")
    first, last = (int(p[k].replace("-", "")) for k in ("from", "to"))
    where = [f"ym BETWEEN {first} AND {last}"]
    where.append({"both": "true", "grid": "infra = 'grid'", "local": "infra = 'local'"}[p.get("jobs", "both")])
    base = " AND ".join(where)
    vos = p.get("vos", "all")
    if vos == "egi":
        where.append("egi")
    elif vos == "lhc":
        where.append("lhc")
    elif vos == "top":
        top = [v for (v,) in con.execute(f"SELECT VO FROM h WHERE VO IS NOT NULL AND {base} GROUP BY VO "
                                         f"ORDER BY sum(cpu) DESC, VO LIMIT {int(p['top'])}").fetchall()]
        where.append("VO IN ?")
    custom = params.get("vo", [])
    args = [top] if vos == "top" else []
    if vos == "custom":
        where.append("VO IN ?")
        args.append(custom)
    rows_dim, cols = p["rows"], p.get("cols", "metric")
    time_cols = cols in ("month", "quarter", "half", "year")
    sql = (f"SELECT {rows_dim}, Year, Month, {'NULL' if time_cols or cols == 'metric' else cols}, "
           "sum(njobs), sum(cpu), sum(normcpu), sum(wallproc) FROM h WHERE " + " AND ".join(where) +
           " GROUP BY ALL")
    absent = cat.absent
    sums: dict = {}
    for row, y, m, c, *s in con.execute(sql, args).fetchall():
        row = absent.get(rows_dim) if row is None else row
        col = period_key(cols, y, m) if time_cols else ("all" if cols == "metric" else
                                                         (absent.get(cols) if c is None else c))
        acc = sums.setdefault(row, {}).setdefault(col, [0, 0, 0, 0])
        for i, x in enumerate(s):
            acc[i] += x
    names = ["njobs", "cpu", "normcpu", "wallproc"]

    def value(metric_id: str, s) -> float | None:
        num, den, scale, mult = SOURCE_METRICS[metric_id]
        n = s[names.index(num)]
        if den:
            d = s[names.index(den)]
            return mult * n / d if d else None
        return n / scale

    add = lambda a, b: [x + y for x, y in zip(a, b)]  # noqa: E731
    zero = [0, 0, 0, 0]
    out: dict = {}
    if cols == "metric":
        grand = zero
        for row, by_col in sums.items():
            total = by_col["all"]
            grand = add(grand, total)
            out[row] = {cat.metrics[mid].title: value(mid, total) for mid in metrics}
        out["Total"] = {cat.metrics[mid].title: value(mid, grand) for mid in metrics}
        return out
    mid = metrics[0]
    col_totals: dict = {}
    grand = zero
    for row, by_col in sums.items():
        total = zero
        out[row] = {}
        for col, s in by_col.items():
            out[row][col] = value(mid, s)
            col_totals[col] = add(col_totals.get(col, zero), s)
            total = add(total, s)
        out[row]["Total"] = value(mid, total)
        out[row]["_num"] = total
        grand = add(grand, total)
    out["Total"] = {col: value(mid, s) for col, s in col_totals.items()}
    out["Total"]["Total"] = value(mid, grand)
    i = names.index(SOURCE_METRICS[mid][0])
    percent = SOURCE_METRICS[mid][1] is None and grand[i]
    for row in list(out):
        num = out[row].pop("_num", None)
        if percent and num is not None:
            out[row]["Percent"] = 100 * num[i] / grand[i]
    if percent:
        out["Total"]["Percent"] = 100.0
        out["Percent"] = {col: 100 * s[i] / grand[i] for col, s in col_totals.items()}
        out["Percent"]["Total"] = 100.0
    return out


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

@pytest.fixture(scope="module")
def truth(built):
    from explore_truth import source as truth_source
    return truth_source(built["source"])


# view → how the test recomputes it from the source (tests/explore_truth.py), per metric.
FLOW = {"cloud_core_hours": ("cloud", dict(num="core", scale=3600)),
        "cloud_cpueff": ("cloud", dict(num="cpu", den="core", multiplier=100)),
        "cloud_vms": ("cloud", dict(num="vms", per="month")),
        "gpu_active": ("gpu", dict(num="active", scale=3600)),
        "gpu_count": ("gpu", dict(num="available", per="second"))}
TYPE_VIEWS = [
    "?data=cloud&metric=cloud_core_hours&rows=NGI&cols=quarter&from={cloud}&to={last}",
    "?data=cloud&metric=cloud_core_hours,cloud_cpueff,cloud_vms&rows=NGI&from=2025-01&to={last}",
    "?data=gpu&metric=gpu_count&rows=Model&cols=year&from={gpu}&to={last}",
    "?data=gpu&metric=gpu_active&rows=NGI&cols=half&from=2023-03&to={last}&unit=day",
    "?data=storage&metric=used&rows=NGI&cols=quarter&from=2023-02&to={last}",
    "?data=storage&metric=files&rows=Site&cols=year&from={storage}&to={last}&stat=peak",
    "?data=storage&metric=used,files&rows=NGI&from=2025-02&to={last}",
]


def type_expected(truth, params: dict) -> dict:
    from explore_truth import flow, stock
    cat = load()
    p = {k: v[0] for k, v in params.items()}
    metrics, rows, cols = p["metric"].split(","), p["rows"], p.get("cols", "metric")
    absent = cat.absent
    hours = cat.explore_units[p.get("unit", "hour")]["hours"]

    def one(mid: str) -> dict:
        if p["data"] == "storage":
            return stock(truth, rows, cols, p["from"], p["to"], mid, float(cat.storage_metrics[mid]["scale"]),
                         p.get("stat", "average"), absent=absent)
        rel, args = FLOW[mid]
        if "scale" in args:
            args = {**args, "scale": args["scale"] * hours}
        return flow(truth, rel, rows, cols, p["from"], p["to"], absent=absent, **args)

    if cols == "metric":
        out: dict = {}
        for mid in metrics:
            spec = cat.metrics.get(mid)
            name = f"{spec.name} ({spec.unit})" if spec else \
                f"{cat.storage_metrics[mid]['name']} ({cat.storage_metrics[mid]['unit']})"
            for row, cells in one(mid).items():
                if row != "Percent":
                    out.setdefault(row, {})[name] = cells["Total"]
        return out
    return one(metrics[0])


def test_cloud_gpu_and_storage_views_equal_the_source(built, page, server, truth):
    import json
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    first = {d: f["months"][0]["month"] for d, f in q["families"].items()}
    for query in TYPE_VIEWS:
        params = open_view(page, server, query.format(last=q["defaults"]["to"], **first))
        got = {r: {("Total" if c in ("Average", "Peak") else c): v for c, v in cells.items()}
               for r, cells in shown(page).items()}
        assert_table(got, type_expected(truth, params), query)
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
    assert now["vos"] == ["all"] and "jobs" not in now and "unit" not in now
    assert shown(page)["Total"]["Average"] is not None
