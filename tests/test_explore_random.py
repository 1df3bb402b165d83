"""The explorer in real headless Chromium over the shared small demo build, through 200
seeded random views drawn from what explore/queries.json offers (every data type, metric or
metrics, rows, columns, period and granularity, VO group, top N and custom list, job type,
filters): every cell, Total and Percent of each table equals an independent recomputation in
SQL over the build's SOURCE Parquet (tests/htc_truth.py), never the cubes or explore.sql.
One page; each view is reached by history.pushState and popstate, as back/forward reach it."""

from __future__ import annotations

import json
import random
from urllib.parse import parse_qs

import pytest

import htc_truth
from explore_views import random_view, view_search
from test_explore_browser import READY, assert_table, server, shown  # noqa: F401 (server: fixture)

VIEWS = 200
SEED = 15

GO = """(search) => { history.pushState(null, '', search); dispatchEvent(new PopStateEvent('popstate')); }"""


@pytest.fixture(scope="module")
def views(built):
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    rng = random.Random(SEED)
    # HTC only: the independent recomputation (tests/htc_truth.py) is HTC's; cloud, GPU and
    # storage views are checked against tests/explore_truth.py in test_explore_browser.
    htc = {**q, "families": {"htc": q["families"]["htc"]}}
    return [random_view(htc, rng) for _ in range(VIEWS)]


def test_random_views_equal_the_source(built, browser, server, views):  # noqa: F811
    con = htc_truth.connect(built["source"])
    want = [htc_truth.expected(con, v) for v in views]
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "explore/")
    page.wait_for_function(READY, timeout=60_000)
    drawn = {"data": set(), "rows": set(), "cols": set(), "vos": set(), "jobs": set(), "filters": set()}
    for i, (v, w) in enumerate(zip(views, want)):
        search = view_search(v, q)
        page.evaluate(GO, search)
        page.wait_for_function(READY, timeout=30_000, polling=20)
        what = f"view {i}: {search}"
        assert page.locator("#explore-result").get_attribute("data-ready") != "error", \
            (what, page.locator("#explore-status").inner_text())
        # The page kept the view as drawn (no choice was dropped or changed by its defaults).
        assert parse_qs(page.evaluate("location.search")[1:]) == parse_qs(search[1:]), what
        assert_table(shown(page), w, what)
        for k in ("data", "rows", "cols", "vos", "jobs"):
            drawn[k].add(v[k])
        drawn["filters"] |= set(v["filters"])
    page.close()
    assert not errors, errors
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    # The draw covered every choice queries.json offers (else raise VIEWS or change SEED).
    assert drawn["data"] == {"htc"} and drawn["jobs"] == set(q["jobs"])
    assert drawn["vos"] == {"all", "egi", "lhc", "top", "custom"}
    dims = set(q["families"]["htc"]["dimensions"])
    assert drawn["rows"] == set(q["periods"]) | dims and drawn["cols"] == set(q["periods"]) | dims | {"metric"}
    assert drawn["filters"] == dims
