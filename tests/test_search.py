"""The header's search box and its index (search.json). Site tier: every site, VO, NGI,
country and discipline with a page is in the index, and every name of the source's HTC rows
and of its discipline table; each entry is a name, its type and its page, which exists; no
user identity of the source is in it. Services tier (Chromium): a page does not fetch the
index until the box is used; typing offers the matching names and choosing one opens its
page; without JavaScript the box goes to /search/, which lists every name, and with it
/search/?q= keeps the matching ones."""

from __future__ import annotations

import json
from urllib.parse import quote

import duckdb
import pytest

from accounting.site import paths
from test_explore_browser import serving_as_apache

DIRS = {"Site": ["egi/site", "cloud/site", "gpu/site", "storage/site"], "VO": ["egi/vo", "cloud/vo", "gpu/vo",
        "storage/vo"], "Operations centre": ["egi/ngi", "cloud/ngi", "gpu/ngi", "storage/ngi"],
        "Country": ["egi/country", "cloud/country", "gpu/country", "storage/country"], "Discipline": ["discipline"]}


@pytest.fixture(scope="module")
def index(built):
    return json.loads((built["output"] / "search.json").read_text(encoding="utf-8"))


def test_every_entity_with_a_page_is_in_the_index(built, index):
    out = built["output"]
    by_type = {}
    for e in index:
        assert set(e) == {"name", "type", "url"}
        by_type.setdefault(e["type"], set()).add(e["name"])
        assert (out / e["url"] / "index.html").is_file(), e  # the link resolves
    for kind, dirs in DIRS.items():
        pages = {paths.decode(d.name) for base in dirs if (out / base).is_dir() for d in (out / base).iterdir()
                 if d.is_dir() and not d.name.startswith(paths.ABSENT_MARK) and (d / "index.html").is_file()}
        assert pages and pages == by_type.get(kind), kind
    assert len(index) == sum(len(v) for v in by_type.values())  # one entry per name and type


def test_the_index_holds_the_sources_names_and_no_identity(built, index):
    src = built["source"]
    con = duckdb.connect()
    htc = f"read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false)"
    names = lambda sql: {v for (v,) in con.execute(sql).fetchall() if v and v != "None"}  # noqa: E731
    by_type = {}
    for e in index:
        by_type.setdefault(e["type"], set()).add(e["name"])
    assert names(f"SELECT DISTINCT Site FROM {htc}") <= by_type["Site"]
    assert names(f"SELECT DISTINCT VO FROM {htc}") <= by_type["VO"]
    topo = f"read_parquet('{src}/topology/sites.parquet')"
    ngis = names(f"SELECT DISTINCT NGI FROM {topo} WHERE Site IN (SELECT Site FROM {htc})")
    assert ngis <= by_type["Operations centre"]
    assert names(f"SELECT DISTINCT Country FROM {topo} WHERE Site IN (SELECT Site FROM {htc})") <= by_type["Country"]
    disc = f"read_parquet('{src}/topology/disciplines.parquet')"
    used = names(f"SELECT DISTINCT Discipline FROM {disc}") | names(f"SELECT DISTINCT Level2 FROM {disc}") | \
        names(f"SELECT DISTINCT Level1 FROM {disc}")
    assert by_type["Discipline"] <= used and by_type["Discipline"]
    text = (built["output"] / "search.json").read_text(encoding="utf-8")
    users = names(f"SELECT DISTINCT GlobalUserName FROM {htc}")
    assert users and not [u for u in users if u in text]
    assert "/CN=" not in text and "/DC=" not in text


@pytest.fixture(scope="module")
def site_url(built):
    with serving_as_apache(built["output"]) as url:
        yield url


@pytest.mark.services
def test_the_box_finds_a_name_and_opens_its_page(browser, site_url, index):
    page = browser.new_page()
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "egi/countries/")
    assert not [u for u in requests if u.endswith("search.json")]  # loaded only when the box is used
    ngi = next(e for e in index if e["type"] == "Operations centre")
    page.locator("#site-search").type(ngi["name"][:-1])
    page.wait_for_function("document.querySelectorAll('#site-search-names option').length > 0")
    offered = page.eval_on_selector_all("#site-search-names option", "os => os.map(o => o.value)")
    assert f"{ngi['name']} — Operations centre" in offered
    assert all(ngi["name"][:-1].lower() in o.lower() for o in offered)
    page.locator("#site-search").fill(f"{ngi['name']} — Operations centre")
    page.wait_for_url("**/" + ngi["url"])
    assert page.locator("h1").text_content().endswith(ngi["name"])
    # a name matching several: Go opens /search/ with the matching names only
    page.locator("#site-search").fill("NGI_")
    page.locator("form.search button").click()
    page.wait_for_url("**/search/?q=NGI_")
    visible = page.eval_on_selector_all(".search-list li:not([hidden])", "ls => ls.map(l => l.textContent)")
    assert visible and all("ngi_" in v.lower() for v in visible)
    assert len(visible) == sum("ngi_" in e["name"].lower() for e in index)
    page.close()
    assert not errors, errors


@pytest.mark.services
def test_without_javascript_the_box_goes_to_the_list(browser, site_url, index):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "egi/")
    page.locator("#site-search").fill("CERN")
    page.locator("form.search button").click()  # under the site's CSP (form-action 'self')
    page.wait_for_url("**/search/?q=CERN")
    links = page.eval_on_selector_all(".search-list a", "as => as.map(a => a.getAttribute('href'))")
    assert len(links) == len(index)
    assert quote("../" + index[0]["url"], safe="/~") in links
    context.close()
