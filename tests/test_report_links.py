"""Every report page's "change this view" link opens the explorer in the page's own state,
read back from the page itself (site tier, over the shared small build): its metric (the
Metric switcher's current entry), VO group and job type (its "Showing:" line), entity (its
path), rows and months (its first table's download); pages of a data type the explorer
lacks have none. In Chromium (services), the explorer opened by two such links shows the
pages' own table, every cell, Total and Percent."""

from __future__ import annotations

import csv
import io
import math
import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest

from accounting.catalogue import load
from accounting.site import paths
from test_explore_browser import READY, serving_as_apache, shown

JOBS = {"localinfrajobs": "both", "onlyinfrajobs": "grid", "onlylocaljobs": "local"}  # README "Explorer"
ENTITY = {("egi", "ngi"): "NGI", ("egi", "country"): "Country", ("egi", "site"): "Site", ("egi", "vo"): "VO",
          ("benchmarks", "ngi"): "NGI", ("cloud", "ngi"): "NGI", ("cloud", "country"): "Country",
          ("cloud", "site"): "Site", ("cloud", "vo"): "VO", ("gpu", "ngi"): "NGI", ("gpu", "country"): "Country",
          ("gpu", "site"): "Site", ("gpu", "vo"): "VO", ("gpu", "model"): "Model",
          ("wlcg", "country"): "Country", ("wlcg", "site"): "Site", ("tier1", "node"): "Federation",
          ("tier2", "country"): "Country", ("tier2", "federation"): "Federation"}
# The tiers a WLCG section keeps, as its explorer link filters them.
TIERS = {"tier1": ["Tier-0", "Tier-1"], "tier2": ["Tier-2"], "sites": ["Tier-1", "Tier-2"]}
LINK = re.compile(r'<p class="explore-link"><a href="([^"]+)">Change this view</a>')


def report_pages(out):
    """(site dir, html) of every page with a Metric switcher (site_templates/report.html)."""
    for f in sorted(out.rglob("index.html")):
        html = f.read_text(encoding="utf-8")
        if '<div class="switcher"><span>Metric:</span>' in html:
            yield f.parent.relative_to(out).as_posix() + "/", html


def first_table(out, rel: str, html: str) -> str:
    """The CSV download of the page's first table."""
    name = re.search(r'<p class="downloads">Download this table: <a href="([^"]+\.csv)"', html).group(1)
    return (out / rel / name).read_text(encoding="utf-8")


def page_state(out, rel: str, html: str, con, family: str = "htc") -> dict:
    """The explorer parameters a page's own content says it shows (a cloud or GPU page has
    no VO group or job type: all VOs)."""
    cat = load()
    switch = re.search(r'<span>Metric:</span>.*?aria-current="page">([^<]+)<', html, re.S).group(1)
    metric = next(m for m in cat.families[family].metrics if cat.metrics[m].name == unescape(switch))
    first = next(csv.reader(io.StringIO(first_table(out, rel, html))))
    months = [c for c in first if re.fullmatch(r"\d{4}-\d{2}", c)]
    want = {"data": [family], "metric": [metric], "rows": [first[0]], "cols": ["month"], "from": [months[0]],
            "to": [months[-1]], "vos": ["all"]}
    if cat.explore[family]["jobs"]:
        showing = unescape(re.search(r'<p class="filters">Showing: (.*?)\.\n', html, re.S).group(1))
        want["vos"] = [next(g for g, v in cat.vo_groups.items() if showing.startswith(v["label"] + " ("))]
        infra = next(i for i, v in cat.infra_filters.items() if showing.endswith("; " + v["label"].lower()))
        want["jobs"] = [JOBS[infra]]
    parts = rel.strip("/").split("/")
    if parts[0] == "wlcg":  # (the WLCG pages' first table is by experiment where the explorer shows VOs)
        want["rows"] = ["VO" if first[0] == "Experiment" else first[0]]
        if len(parts) > 1 and parts[1] in TIERS:
            want["Tier"] = TIERS[parts[1]]
        if len(parts) > 1 and parts[1] in ("tier1", "tier2"):
            parts = parts[1:]
    if tuple(parts[:2]) in ENTITY:
        want[ENTITY[tuple(parts[:2])]] = [paths.decode(parts[2])]
    elif parts[0] == "discipline":
        name = paths.decode(parts[1])
        levels = [d for d in ("Discipline1", "Discipline2", "Discipline3")
                  if con.execute(f'SELECT count(*) FROM htc WHERE "{d}" = ?', [name]).fetchone()[0]]
        want[levels[-1]] = [name]  # a discipline's page is at its deepest level (context.discipline_tree)
    return want


@pytest.fixture(scope="module")
def cube(built):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW htc AS SELECT * FROM read_parquet('{built['cubes']}/htc_monthly.parquet')")
    return con


def test_every_report_page_links_to_its_view(built, cube):
    out = built["output"]
    cat = load()
    checked = 0
    for rel, html in report_pages(out):
        family = {"gpu": "gpu", "cloud": "cloud"}.get(rel.split("/")[0], "htc")
        if rel.startswith("report/resource_centres/cloud/"):  # (the cloud resource centres report)
            family = "cloud"
        link = LINK.search(html)
        absent = any(p.startswith(paths.ABSENT_MARK) for p in rel.split("/"))
        osg = rel.startswith("wlcg/osg/")  # (the explorer has no EGI/OSG dimension)
        if family not in cat.explore or absent or osg:
            assert not link, f"{rel}: the explorer cannot show this page's view"
            continue
        assert link, f"{rel}: no change-this-view link"
        href = unescape(link.group(1))
        target = (out / rel / urlparse(href).path).resolve()
        assert target == (out / "explore").resolve(), rel
        assert parse_qs(urlparse(href).query) == page_state(out, rel, html, cube, family), rel
        checked += 1
    assert checked > 100  # every NGI, country, site, VO, discipline and metric variant


@pytest.mark.services
@pytest.mark.parametrize("rel", ["egi/ngi/NGI_DE/", "egi/njobs/lhc/onlyinfrajobs/",
                                 "discipline/High~20Energy~20Physics/cpueff/"])
def test_the_link_opens_the_pages_table(browser, built, rel):
    out = built["output"]
    html = (out / rel / "index.html").read_text(encoding="utf-8")
    href = unescape(LINK.search(html).group(1))
    with serving_as_apache(out) as url:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + rel)
        page.click("p.explore-link a")
        page.wait_for_function(READY, timeout=120_000)
        got = shown(page)
        settled = parse_qs(urlparse(page.url).query)
        page.close()
    assert not errors, errors
    # the explorer took the link's view as it is (adding only its chart's and unit's defaults)
    asked = parse_qs(urlparse(href).query)
    assert {k: v for k, v in settled.items() if k in asked} == asked
    assert set(settled) - set(asked) <= {"chart", "chartn", "unit"}
    rows = list(csv.DictReader(io.StringIO(first_table(out, rel, html))))
    label = next(iter(rows[0]))
    assert set(got) == {r[label] for r in rows}
    for r in rows:
        for col, text in r.items():
            if col in (label, "row_kind") or (r[label] == "Percent" and col == "Percent"):
                continue
            g, w = got[r[label]].get(col), (float(text) if text != "" else None)
            same = w is not None and g is not None and math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9)
            assert same or (g is None and w in (None, 0)), \
                f"{rel} [{r[label]}][{col}]: explorer {g} != page {w}"
