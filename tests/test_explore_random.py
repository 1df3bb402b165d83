"""The explorer in real headless Chromium over the shared small demo build, through 200
seeded random views drawn from what explore/queries.json offers (every data type, metric or
metrics, rows, columns, period and granularity, VO group, top N and custom list, job type,
filters): every cell, Total and Percent of each table, and of its CSV download, equals an
independent recomputation in SQL over the build's SOURCE Parquet (tests/source_truth.py),
never the cubes or explore.sql. (The JSON and Parquet downloads are held to the same table
on fixed views: tests/test_explore_chart.py.)
One page; each view is reached by history.pushState and popstate, as back/forward reach it."""

from __future__ import annotations

import csv
import io
import json
import random
from urllib.parse import parse_qs

import pytest

import source_truth
from explore_views import random_view, view_search
from test_explore_browser import READY, assert_table, server, shown, totals_named  # noqa: F401 (server: fixture)

VIEWS = 200
SEED = 15

GO = """(search) => { history.pushState(null, '', search); dispatchEvent(new PopStateEvent('popstate')); }"""


@pytest.fixture(scope="module")
def views(built):
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    rng = random.Random(SEED)
    return [random_view(q, rng) for _ in range(VIEWS)]


def csv_table(text: str) -> dict:
    """The explorer's CSV (its description line, the header, rows with row_kind) as
    {row: {column: value}}."""
    _description, *lines = text.split("\r\n")
    header, *rows = [r for r in csv.reader(io.StringIO("\r\n".join(lines))) if r]
    return {r[0]: {h: None if x == "" else float(x) for h, x in zip(header[1:-1], r[1:-1])} for r in rows}


def test_random_views_equal_the_source(built, browser, server, views):  # noqa: F811
    con = source_truth.connect(built["source"])
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    want = [source_truth.expected(con, v, q) for v in views]
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "explore/")
    page.wait_for_function(READY, timeout=60_000)
    drawn = {k: set() for k in ("data", "axes", "vos", "jobs", "units", "stats", "filters", "several")}
    for i, (v, w) in enumerate(zip(views, want)):
        search = view_search(v, q)
        page.evaluate(GO, search)
        page.wait_for_function(READY, timeout=30_000, polling=20)
        what = f"view {i}: {search}"
        assert page.locator("#explore-result").get_attribute("data-ready") != "error", \
            (what, page.locator("#explore-status").inner_text())
        # The page kept the view as drawn (no choice was dropped or changed by its defaults).
        assert parse_qs(page.evaluate("location.search")[1:]) == parse_qs(search[1:]), what
        assert_table(totals_named(shown(page)), w, what)
        # and the CSV download (the text "Download CSV" saves) holds the same table
        assert_table(totals_named(csv_table(page.locator("#explore-result").get_attribute("data-csv"))), w,
                     what + " (CSV)")
        drawn["data"].add(v["data"])
        drawn["axes"] |= {(v["data"], v["rows"]), (v["data"], v["cols"])}
        drawn["vos"].add((v["data"], v["vos"]))
        if q["families"][v["data"]]["jobs"]:
            drawn["jobs"].add(v["jobs"])
        drawn["units"].add(v.get("unit"))
        drawn["stats"].add(v.get("stat"))
        if len(v["metric"]) > 1:
            drawn["several"].add(v["data"])
        drawn["filters"] |= {(v["data"], dim) for dim in v["filters"]}
    page.close()
    assert not errors, errors
    # The draw covered every choice queries.json offers (else raise VIEWS or change SEED):
    # each data type, with several metrics at once, every axis as rows or columns, every VO
    # selection, job type, unit and roll-up, and a filter on most dimensions.
    fams = q["families"]
    assert drawn["data"] == drawn["several"] == set(fams) and drawn["jobs"] == set(q["jobs"])
    assert drawn["vos"] == {(d, g) for d, f in fams.items()
                            for g in [*f["vo_groups"], *(("top", "custom") if f["vo_lists"] else ())]}
    assert drawn["axes"] == {(d, a) for d, f in fams.items() for a in [*q["periods"], *f["dimensions"], "metric"]}
    assert drawn["units"] >= set(q["units"]) and drawn["stats"] >= {s for f in fams.values() for s in f["rollups"]}
    dims = {(d, dim) for d, f in fams.items() for dim in f["dimensions"]}
    assert len(drawn["filters"] & dims) >= 0.75 * len(dims), sorted(dims - drawn["filters"])
