"""The site built from the MariaDB with hostile names planted (conftest's `hostile`,
tests/hostile_names.py), opened in Chromium and checked against the database itself.

A table of cases: markup in each name column (site, NGI, country, VO, discipline, submit
host, GPU model, storage share), and the long, right-to-left and formula names. Every page
that shows one of them shows it as text, runs no planted script (no `window.__pwned`, no
dialog, no script error) and draws its charts; the figures stay those of the database."""

from __future__ import annotations

from collections import defaultdict

import pyarrow.parquet as pq
import pytest
from markupsafe import escape

import apel_truth as truths
from accounting.site import paths
from hostile_names import FORMULA_VO, LONG_SITE, RTL_VO, XSS
from static_server import serving

# Whose own page is at <view>/<kind>/<segment>/ (the others are found by what pages show).
OWN_PAGE = {"site": "egi/site", "NGI": "egi/ngi", "country": "egi/country", "VO": "egi/vo",
            "discipline": "discipline"}
CASES = {**{f"markup as {column}": (column, name) for column, name in XSS.items()},
         "255-character site": ("site", LONG_SITE), "right-to-left VO": ("VO", RTL_VO),
         "formula as VO": ("VO", FORMULA_VO)}
PAGES_PER_CASE = 2


@pytest.fixture(scope="module")
def shown(hostile) -> dict[str, list[str]]:
    """Case → up to PAGES_PER_CASE pages (paths under the site) whose HTML shows its name,
    escaped as the templates escape it; the entity's own page first."""
    needles = {case: str(escape(name)) for case, (_, name) in CASES.items()}
    out = hostile["output"]
    found = defaultdict(list)
    for case, (column, name) in CASES.items():
        if column in OWN_PAGE:
            found[case].append(f"{OWN_PAGE[column]}/{paths.encode(name)}/")
    for page in sorted(out.rglob("index.html")):
        text = page.read_text()
        for case, needle in needles.items():
            if len(found[case]) < PAGES_PER_CASE and needle in text:
                rel = page.parent.relative_to(out).as_posix() + "/"
                if rel not in found[case]:
                    found[case].append(rel)
    return dict(found)


@pytest.fixture(scope="module")
def site_url(hostile):
    with serving(hostile["output"]) as url:
        yield url


def _visit(browser, url: str) -> dict:
    """What a page did once loaded and its charts drawn: script errors, dialogs, whether
    window.__pwned was set, and its visible text."""
    page = browser.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    status = page.goto(url, wait_until="networkidle").status
    charts = page.locator(".vega")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").wait_for(timeout=10_000)
    pwned = page.evaluate("() => window.__pwned === undefined ? null : String(window.__pwned)")
    text = page.evaluate("() => document.body.innerText")
    page.close()
    return {"status": status, "errors": errors, "dialogs": dialogs, "pwned": pwned, "text": text}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_name_is_shown_as_text_and_runs_nothing(case, hostile, shown, site_url, browser):
    _, name = CASES[case]
    pages = shown.get(case, [])
    assert pages, f"no page shows {case}"
    for rel in pages:
        seen = _visit(browser, site_url + rel)
        assert seen["status"] == 200, rel
        assert seen["pwned"] is None and not seen["dialogs"], (rel, seen["pwned"], seen["dialogs"])
        assert not seen["errors"], (rel, seen["errors"])
        assert name in seen["text"], f"{rel} does not show {case} as text"


def test_the_probe_sees_markup_that_runs(browser, tmp_path):
    """The check above can fail: each planted name written raw into a page is caught."""
    caught = 0
    for name in XSS.values():
        (tmp_path / "index.html").write_text(f"<!doctype html><title>t</title><h1>{name}</h1>")
        with serving(tmp_path) as url:
            seen = _visit(browser, url)
        caught += seen["pwned"] is not None or bool(seen["errors"]) or name not in seen["text"]
    assert caught == len(XSS)


def _by_site(rows, site: str, *measures) -> dict[str, tuple]:
    """{site: (Σ measure, …)} of rows whose site is in column `site`."""
    sums: dict[str, list] = defaultdict(lambda: [0] * len(measures))
    for r in rows:
        for i, m in enumerate(measures):
            sums[r[site]][i] += r[m] or 0
    return {site: tuple(v) for site, v in sums.items()}


def test_the_figures_are_the_databases(hostile):
    """Per site, the HTC jobs and normalised CPU and the cloud core time of the valid rows,
    summed by MariaDB over APEL's tables, equal the published cubes: every hostile name
    carries its figures, none is lost or merged into another."""
    with hostile["db"].root() as con:
        cur = con.cursor()
        htc = [r for r in truths.grouped(cur, truths.HTC, ("normcpu_s", "njobs")) if r["reason"] is None]
        cloud = [r for r in truths.grouped(cur, truths.CLOUD, ("core_s",)) if r["reason"] is None]
    data = hostile["output"] / "data"
    cube = pq.read_table(data / "htc_monthly.parquet", columns=["Site", "njobs", "normcpu_s"]).to_pylist()
    want, got = _by_site(htc, "site", "njobs", "normcpu_s"), _by_site(cube, "Site", "njobs", "normcpu_s")
    assert {LONG_SITE, XSS["site"]} <= set(got)
    assert got == want
    cube = pq.read_table(data / "cloud_monthly.parquet", columns=["Site", "cloud_core_s"]).to_pylist()
    want, got = _by_site(cloud, "site", "core_s"), _by_site(cube, "Site", "cloud_core_s")
    assert set(got) == set(want)
    assert all(abs(float(got[s][0]) - float(want[s][0])) <= 1e-3 * max(1.0, float(want[s][0])) for s in want)
