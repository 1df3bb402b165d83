"""The explorer's chart, sortable table and downloads in real headless Chromium, under the
Content-Security-Policy the generated Apache configuration sends (fixtures of
test_explore_browser): for several views given by their address, the chart's series are the
top N of an independent recomputation over the SOURCE Parquet plus "Other" (the sum of the
rest), its marks are drawn, cumulative and pie values are right; the header buttons sort by
keyboard; CPU efficiency cells carry the old portal's bands; and the CSV, JSON (old portal
shape) and Parquet downloads equal the recomputation cell by cell, totals and percents."""

from __future__ import annotations

import csv
import io
import json
import math
from urllib.parse import parse_qs

import pyarrow.parquet as pq

import test_explore_browser as xb
from accounting.catalogue import load
from test_explore_browser import assert_table, expected, months, open_view, shown

# The fixtures of test_explore_browser: its server with the Apache CSP, its page, the source.
server, page, source = xb.server, xb.page, xb.source

CHART = ("() => { const c = document.getElementById('explore-chart');"
         " return {data: c.chartData, kind: c.dataset.kind}; }")
TIME = ("month", "quarter", "half", "year")


def close(a, b) -> bool:
    return math.isclose(a or 0, b or 0, rel_tol=1e-9, abs_tol=1e-6)


def truth(source, params: dict) -> dict:
    """The recomputation over the source; time as rows by transposing time as columns."""
    rows, cols = params["rows"][0], params.get("cols", ["metric"])[0]
    if rows not in TIME:
        return expected(source, params)
    swapped = expected(source, {**params, "rows": [cols], "cols": [rows]})
    out: dict = {}
    for r, cells in swapped.items():
        for c, v in cells.items():
            out.setdefault(c, {})[r] = v
    return out


def want_series(want: dict, params: dict) -> tuple[list[str] | None, list[tuple[str, list[float]]]]:
    """(x labels or None, [(series label, values)]) the chart must show, from the source."""
    p = {k: v[0] for k, v in params.items()}
    n, kind, rows, cols = int(p["chartn"]), p["chart"], p["rows"], p.get("cols", "metric")
    data = {r: c for r, c in want.items() if r not in ("Total", "Percent")}
    if cols == "metric":  # several metrics: the first one by row
        title = load().metrics[p["metric"].split(",")[0]].title
        data = {r: {"Total": c[title]} for r, c in data.items()}
        kind = "pie-rows"
    col_names = [c for c in want["Total"] if c not in ("Total", "Percent")]
    if kind.startswith("pie"):
        items = ([(c, want["Total"][c]) for c in col_names] if kind == "pie-cols"
                 else [(r, c["Total"]) for r, c in data.items()])
        items.sort(key=lambda it: (-it[1], it[0]))
        top = [(label, [v]) for label, v in items[:n]]
        rest = items[n:]
        return None, top + ([("Other", [sum(v for _, v in rest)])] if rest else [])
    transpose = rows in TIME and cols not in TIME
    if transpose:
        x = sorted(data)
        items = [(c, want["Total"][c], [data[r].get(c) or 0 for r in x]) for c in col_names]
    else:
        x = sorted(col_names)
        items = [(r, c["Total"], [c.get(k) or 0 for k in x]) for r, c in data.items()]
    items.sort(key=lambda it: (-it[1], it[0]))
    series = [(label, vals) for label, _, vals in items[:n]]
    rest = items[n:]
    if rest:
        series.append(("Other", [sum(vals[j] for _, _, vals in rest) for j in range(len(x))]))
    if kind == "cumulative":
        series = [(label, [sum(vals[:j + 1]) for j in range(len(vals))]) for label, vals in series]
    return x, series


def check_chart(page, params: dict, want: dict, what: str, ratio: bool = False) -> dict[str, str]:
    """The legend's colour of each series. `ratio`: a metric of two sums, whose series rank
    by the denominator (not recomputed here), so they are compared as a set, and N must
    leave no "Other"."""
    got = page.evaluate(CHART)
    kind = params["chart"][0]
    assert got["kind"] == kind, what
    data = got["data"]
    x, series = want_series(want, params)
    if ratio:
        assert "Other" not in [label for label, _ in series]
        order = [s["label"] for s in data["series"]]
        series.sort(key=lambda s: order.index(s[0]) if s[0] in order else -1)
    assert [s["label"] for s in data["series"]] == [label for label, _ in series], what
    if x is not None:
        assert data["x"] == x, what
    for s, (label, values) in zip(data["series"], series):
        assert len(s["values"]) == len(values) and all(close(g, w) for g, w in zip(s["values"], values)), \
            f"{what} {label}: {s['values']} != {values}"
    if kind == "cumulative":  # the last point of each series is its Total in the table
        for s in data["series"]:
            if s["label"] != "Other":
                assert close(s["values"][-1], want[s["label"]]["Total"]), what
    svg = page.locator("#explore-chart svg")
    legend = svg.locator(".role-legend-label text").all_text_contents()
    assert legend == [label for label, _ in series], what
    marks = {"bar": ".mark-rect path", "line": ".mark-line path", "cumulative": ".mark-line path",
             "pie-rows": ".mark-arc path", "pie-cols": ".mark-arc path"}[kind]
    count = svg.locator(marks).count()
    assert count == (len(series) * len(x) if kind == "bar" else len(series)), f"{what}: {count} marks"
    fills = svg.locator(".role-legend-symbol path").evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    return dict(zip(legend, fills, strict=True))


def download(page, link: str):
    with page.expect_download() as info:
        page.click(link)
    return info.value


def check_downloads(page, params: dict, want: dict, what: str) -> str:
    """The three downloads equal `want`; returns the CSV's file name."""
    csv_file = download(page, "#explore-csv")
    text = open(csv_file.path(), encoding="utf-8", newline="").read()
    head, *lines = text.split("\r\n")
    p = {k: v[0] for k, v in params.items()}
    for part in (f"scope: EGI {p['data']}", f"metric: {p['metric'].split(',')[0]} (",
                 f"period: {p['from']} to {p['to']}", "filters: "):
        assert part in head, (what, head)
    rows = list(csv.reader(io.StringIO("\r\n".join(lines))))
    header = rows[0]
    table = {r[0]: {h: (None if v == "" else float(v)) for h, v in zip(header[1:-1], r[1:-1])} for r in rows[1:] if r}
    assert_table(table, want, what + " CSV")

    par = pq.read_table(download(page, "#explore-parquet").path()).to_pylist()
    assert list(par[0]) == header, what
    assert_table({r[header[0]]: {h: r[h] for h in header[1:-1]} for r in par}, want, what + " Parquet")
    assert [r["row_kind"] for r in par] == [r[-1] for r in rows[1:] if r], what

    old = json.loads(open(download(page, "#explore-json").path(), encoding="utf-8").read())
    assert [o["id"] for o in old[-3:]] == ["xlegend", "ylegend", "var"], what
    assert old[-1] == {"id": "var", "xrange": p.get("cols", "metric"), "yrange": p["rows"], "query": p["metric"]}, what
    body = old[:-3]
    data_rows = [o["id"] for o in body if o["id"] not in ("Total", "Percent")]
    assert old[-3] == {"id": "xlegend", **{str(i): r for i, r in enumerate(data_rows)}}, what
    cols = [h for h in header[1:-1] if h not in ("Total", "Percent")]
    assert old[-2] == {"id": "ylegend", **{str(j): c for j, c in enumerate(cols)}, str(len(cols)): "id"}, what
    assert set(o["id"] for o in body) == set(want), what
    for o in body:
        for col, value in o.items():
            if col == "id":
                continue
            w = want[o["id"]].get(col, None if value is None else 0)  # no cell: no work, or no ratio
            if o["id"] == "Percent":  # strings with two decimals and a % sign
                assert value.endswith("%") and abs(float(value[:-1]) - w) <= 0.005 + 1e-9, (what, col, value, w)
            elif w is None or value is None:
                assert value == w or (w is None and value == 0), (what, o["id"], col)
            else:
                digits = 0 if col == "Total" else 2 if col == "Percent" else 4
                assert value == round(value, digits) and abs(value - w) <= 0.5 * 10 ** -digits + 1e-6 * abs(w), \
                    (what, o["id"], col, value, w)
    return csv_file.suggested_filename


def order(page, col: int) -> list[str]:
    return page.evaluate(f"""() => Array.from(document.querySelectorAll('#explore-table tbody tr')).map(tr =>
        [tr.dataset.kind, tr.querySelector('th').textContent, tr.cells[{col}].dataset.value
         || tr.cells[{col}].textContent])""")


def check_sorting(page, what: str) -> None:
    heads = page.locator("#explore-table thead th button")
    last = heads.count() - 1
    total = ([i for i in range(heads.count()) if heads.nth(i).inner_text() == "Total"] or [1])[0]
    heads.nth(total).focus()
    page.keyboard.press("Enter")
    rows = order(page, total)
    values = [float(v) if v else -math.inf for kind, _, v in rows if kind in ("entity", "absent")]
    assert values == sorted(values, reverse=True), what
    assert [k for k, _, _ in rows][-len([r for r in rows if r[0] in ("total", "percent")]):] == \
        [k for k, _, _ in rows if k in ("total", "percent")], what
    assert page.locator("#explore-table thead th").nth(total).get_attribute("aria-sort") == "descending"
    page.keyboard.press(" ")
    values = [float(v) if v else -math.inf for kind, _, v in order(page, total) if kind in ("entity", "absent")]
    assert values == sorted(values), what
    heads.nth(0).focus()
    page.keyboard.press(" ")
    labels = [label for kind, label, _ in order(page, 0) if kind in ("entity", "absent")]
    assert labels == sorted(labels, key=str.lower) or labels == sorted(labels), what
    assert last >= total


VIEWS = [
    "?metric=normcpu&rows=NGI&cols=quarter&from=2024-01&to=2025-02&chart=bar&chartn=3",
    "?metric=sumcpu&rows=VO&cols=month&from=2025-01&to={last}&chart=cumulative&chartn=4",
    "?metric=njobs&rows=Country&cols=year&from={first}&to={last}&chart=pie-rows&chartn=2&jobs=grid",
    "?metric=njobs&rows=year&cols=NGI&from={first}&to={last}&chart=pie-cols&chartn=2",
    "?metric=normcpu&rows=month&cols=NGI&from=2025-01&to={last}&chart=line&chartn=2&vos=egi",
    "?metric=normcpu,njobs,cpueff&rows=Country&from=2025-01&to={last}&chart=pie-rows&chartn=3",
]


def test_chart_sorting_and_downloads_equal_the_source(built, page, server, source):
    first, last = months(built)
    names = []
    colour_of: dict = {}  # NGI → its colour in every chart that shows it
    for query in VIEWS:
        q = query.format(first=first, last=last)
        params = open_view(page, server, q)
        want = truth(source, params)
        assert_table(shown(page), want, q)
        colours = check_chart(page, params, want, q)
        assert colours.pop("Other", "#a0a0a0") == "#a0a0a0", q
        if "NGI" in (params["rows"][0], params.get("cols", [""])[0]):
            for label, fill in colours.items():
                assert colour_of.setdefault(label, fill) == fill, f"{q}: {label} changed colour"
        names.append(check_downloads(page, params, want, q))
        check_sorting(page, q)
    assert len(colour_of) >= 3
    assert names[0] == "htc-normcpu-ngi-by-quarter-2024-01-2025-02.csv"
    assert names[2] == f"htc-njobs-country-by-year-{first}-{last}-grid.csv"


def test_chart_choice_is_in_the_address_and_efficiency_has_bands(built, page, server, source):
    first, last = months(built)
    q = f"?metric=cpueff&rows=Country&cols=half&from=2023-07&to={last}&vos=lhc"
    params = open_view(page, server, q)
    assert params["chart"] == ["bar"] and params["chartn"] == ["9"]  # the defaults, stated in the address
    cells = page.evaluate("""() => Array.from(document.querySelectorAll('#explore-table tbody td')).map(td =>
        [td.parentElement.dataset.kind, td.dataset.value, td.className])""")
    bands = [(50, "eff-lt50"), (60, "eff-lt60"), (75, "eff-lt75"), (90, "eff-lt90"), (100, "eff-lt100")]
    seen = set()
    for kind, value, cls in cells:
        if value == "":
            assert "eff-" not in cls
            continue
        band = next((b for upper, b in bands if float(value) < upper), "eff-ge100")
        assert cls.split() == ["num", "eff", band], (kind, value, cls)
        seen.add(band)
    assert seen, "no efficiency cell"
    want = truth(source, params)
    assert "Percent" not in want
    check_downloads(page, {**params, "chart": ["bar"]}, want, q)
    # The chart's choice in the form: a pushed address, drawn, and back restores the bars.
    page.select_option("#x-chart", ["line"])
    page.fill("#x-chartn", "50")
    page.click("#explore-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('explore-result').dataset.ready === location.search")
    changed = parse_qs(page.url.split("?", 1)[1])
    assert changed["chart"] == ["line"] and changed["chartn"] == ["50"]
    check_chart(page, changed, want, q + " as lines", ratio=True)
    page.go_back()
    page.wait_for_function("() => document.getElementById('explore-result').dataset.ready === location.search")
    assert page.evaluate(CHART)["kind"] == "bar" and page.locator("#x-chart").input_value() == "bar"


def test_charts_of_averages_and_stocks_show_the_tables_cells(built, page, server):
    """A per-period metric (GPUs available: an average over each point's own period) and a
    stock (storage: its months are never added, so even "cumulative" draws the months) chart
    exactly the table's cells, series by series."""
    first, last = months(built)
    for query in (f"?data=gpu&metric=gpu_count&rows=NGI&cols=quarter&from=2024-01&to={last}&chart=line&chartn=50",
                  f"?data=storage&metric=used&rows=NGI&cols=quarter&from=2024-01&to={last}&chart=cumulative&chartn=50"):
        open_view(page, server, query)
        table = shown(page)
        chart = page.evaluate(CHART)["data"]
        assert chart["series"], query
        for s in chart["series"]:
            want = [table[s["label"]][x] for x in chart["x"]]
            assert all(close(g, w) for g, w in zip(s["values"], want, strict=True)), (query, s["label"])
