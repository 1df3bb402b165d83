"""Old portal addresses in real Chromium: through the real Apache (test_apache's, with the
generated configuration: its rewrite rule redirects an old path to the explorer) and through
the 404 page on the plain static server (as an object store serves a missing path), every
address of tests/legacy_urls.py opens the explorer with exactly the view it meant: the
address the explorer settles on and its form's state both equal the expected parameters.
An address it cannot read says which segment was not understood and links to the nearest
view; real pages are never shadowed; the old JSON/CSV output is left alone."""

from __future__ import annotations

import http.client
import json
from urllib.parse import parse_qs, quote, urlparse

import pytest

from legacy_urls import MAPPED, OUTPUTS, PAGES, UNMAPPED
from test_apache import pub, server  # noqa: F401  (the real Apache over the shared build)
from test_explore_browser import serving_as_apache

# The explorer settles its address and form from queries.json, before its engine has loaded.
SETTLED = ("() => { const f = document.getElementById('explore-form');"
           " return location.pathname.endsWith('/explore/') && f && f.dataset.view === location.search; }")
FORM = """() => {
    const f = document.getElementById('explore-form');
    const sel = (s) => Array.from(s.selectedOptions).map((o) => o.value);
    const out = {data: [f.elements.data.value], metric: [sel(f.elements.metric).join(',')]};
    ['rows', 'cols', 'from', 'to', 'vos', 'jobs'].forEach((k) => { out[k] = [f.elements[k].value]; });
    if (f.elements.vos.value === 'top') { out.top = [f.elements.top.value]; }
    const vo = sel(f.elements.vo); if (vo.length) { out.vo = vo; }
    document.querySelectorAll('#x-filters select').forEach((s) => {
        const v = sel(s); if (v.length) { out[s.name] = v; } });
    return out; }"""


@pytest.fixture(scope="module")
def static_site(built):
    with serving_as_apache(built["output"]) as url:
        yield url.rstrip("/")


@pytest.fixture(scope="module", params=["apache", "static"])
def site(request, server, static_site):  # noqa: F811
    """(base URL, name): the real Apache, or the plain static server with the 404 page."""
    if request.param == "apache":
        return f"http://127.0.0.1:{server.port}", "apache"
    return static_site, "static"


@pytest.fixture(scope="module")
def page(browser, site):
    """One page for every address. The explorer settles its address and form before its
    engine loads, so the engine (DuckDB-WASM's module) is not fetched here: loading and
    compiling 18 MB per address would only slow the suite (test_explore_browser and
    test_report_links run it); the explorer then reports "The explorer failed"."""
    p = browser.new_page()
    p.errors = []
    p.route("**/static/duckdb-browser.*.js", lambda route: route.abort())
    expected = ("Failed to load resource", "Failed to fetch dynamically imported module")  # (the 404 page; the block)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error"
         and not any(e in m.text for e in expected) else None)
    yield p
    p.close()
    assert not p.errors, p.errors


def explorer_defaults(built, want: dict) -> dict:
    """`want` with what the explorer's address adds where the old one says nothing: its
    chart's defaults and, for an hour metric, the unit (hours)."""
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    fam = q["families"][want["data"][0]]
    metric = next(m for m in fam["metrics"] if m["id"] == want["metric"][0])
    out = {"chart": ["bar"], "chartn": ["9"], **want}
    if metric.get("units"):
        out.setdefault("unit", [q["defaults"]["unit"]])
    return out


def open_old(page, base: str, path: str) -> dict:
    page.goto(base + quote(path))
    page.wait_for_function(SETTLED, timeout=60_000)
    return parse_qs(urlparse(page.url).query)


@pytest.mark.parametrize("path,want", MAPPED, ids=[p for p, _ in MAPPED])
def test_old_address_opens_the_explorer_in_its_state(page, site, path, want, built):
    got = open_old(page, site[0], path)
    assert got == explorer_defaults(built, want)
    assert page.evaluate(FORM) == {k: v for k, v in want.items()
                                   if k != "unit" and (k != "top" or want["vos"] == ["top"])}
    if "unit" in want:  # an old unit suffix: the form shows that unit
        assert page.locator("#explore-form [name=unit]").input_value() == want["unit"][0]
    box = page.locator("#explore-legacy")
    assert box.get_attribute("data-state") == "ok" and page.locator("#legacy-path").text_content() == path


@pytest.mark.parametrize("path,index,segment,reason", UNMAPPED, ids=[u[0] for u in UNMAPPED])
def test_old_address_not_understood_says_which_segment(page, site, path, index, segment, reason):
    open_old(page, site[0], path)
    assert page.locator("#explore-legacy").get_attribute("data-state") == "problem"
    assert page.locator("#legacy-problem").is_visible()
    assert page.locator("#legacy-index").text_content() == str(index)
    assert page.locator("#legacy-segment").text_content() == segment
    assert reason in page.locator("#legacy-reason").text_content()
    # the link is the view shown: the address the explorer settled on
    href = page.locator("#legacy-nearest").get_attribute("href")
    assert parse_qs(urlparse(href).query) == parse_qs(urlparse(page.url).query)


def status(base: str, path: str) -> tuple[int, str | None]:
    u = urlparse(base)
    con = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    con.request("GET", quote(path))
    r = con.getresponse()
    r.read()
    con.close()
    return r.status, r.getheader("Location")


def test_real_pages_are_not_shadowed(site):
    for path in PAGES:
        assert status(site[0], path) == (200, None), path


def test_old_json_and_csv_output_is_left_alone(page, site):
    for path in OUTPUTS:
        assert status(site[0], path)[0] == 404, path
        page.goto(site[0] + quote(path))
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # (time for a forward, were there one)
        assert urlparse(page.url).path == quote(path) and page.locator("h1").text_content() == "Page not found"


def test_apache_redirects_and_the_static_site_serves_the_404_page(site):
    path = MAPPED[0][0]
    code, location = status(site[0], path)
    if site[1] == "apache":
        assert code == 302 and parse_qs(urlparse(location).query)["legacy"] == [path]
    else:
        assert (code, location) == (404, None)
