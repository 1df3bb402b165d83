"""Access to the explorer in real headless Chromium, over the shared small demo build served
with the site's CSP: axe-core (npm's, pinned in vendor/package.json as a development
dependency, injected by this test only, never copied into the site) finds no serious or
critical violation on /explore/ and two report pages; the explorer works from the keyboard
alone; and at 1366 px and 390 px wide the page does not scroll sideways (only the table's
own scroll box may), with its controls and the table in view."""

from __future__ import annotations

import pytest

from accounting.locations import vendor_dir
from test_explore_browser import READY, server  # noqa: F401 (server: fixture)

AXE = vendor_dir() / "axe-core" / "axe.min.js"
PAGES = ("explore/", "egi/", "help/")
RUN_AXE = """async () => {
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}"""


@pytest.fixture(scope="module")
def page(browser, server):  # noqa: F811
    p = browser.new_page()
    p.errors = []
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    p.close()
    assert not p.errors, p.errors


def test_axe_finds_no_serious_violation(page, server):  # noqa: F811
    assert AXE.is_file(), f"{AXE} is missing: run `bash scripts/setup`"
    source = AXE.read_text(encoding="utf-8")
    checked = {}
    for path in PAGES:
        page.goto(server + path)
        if path == "explore/":
            page.wait_for_function(READY, timeout=60_000)
            page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        # Evaluated through the DevTools protocol, as a page script could not be under the CSP.
        page.evaluate(source)
        checked[path] = page.evaluate(RUN_AXE)
        assert page.evaluate("() => axe.version") == "4.14.1"
    assert checked == {p: [] for p in PAGES}, checked
    # axe ran on the explorer's controls, not on an empty shell.
    assert page.goto(server + "explore/") and page.wait_for_function(READY, timeout=60_000)
    assert page.locator("#explore-form select").count() >= 10


def test_keyboard_alone_changes_the_view(page, server):  # noqa: F811
    page.goto(server + "explore/?metric=njobs&rows=NGI&cols=year")
    page.wait_for_function(READY, timeout=60_000)
    page.locator("body").focus()
    reached = []
    for _ in range(60):  # Tab through the page until the Rows control has the focus
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.id"))
        if reached[-1] == "x-rows":
            break
    assert reached[-1] == "x-rows", reached
    assert "x-data" in reached and "x-metric" in reached  # the controls before it were reached in order
    before = page.evaluate("() => document.getElementById('x-rows').value")
    page.keyboard.press("ArrowDown")  # a closed select changes its value with the arrow keys
    after = page.evaluate("() => document.getElementById('x-rows').value")
    assert after != before
    for _ in range(40):  # on to the Show button (Enter on a select does not submit a form)
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('rows') === {after!r}", timeout=30_000)
    page.wait_for_function(READY, timeout=30_000)
    header = page.locator("#explore-table thead th").first.inner_text()
    assert header and page.locator("#explore-table tbody tr").count() >= 2
    assert page.evaluate("() => new URLSearchParams(location.search).get('rows')") == after
    # Every control has an accessible name (its label).
    unnamed = page.evaluate("""() => Array.from(document.querySelectorAll('#explore-form select, #explore-form input'))
        .filter((el) => !el.labels || !el.labels.length || !el.labels[0].textContent.trim()).map((el) => el.name)""")
    assert unnamed == []


@pytest.mark.parametrize("width,height", [(1366, 800), (390, 844)])
def test_no_sideways_scroll(browser, server, width, height, tmp_path):  # noqa: F811
    p = browser.new_page(viewport={"width": width, "height": height})
    wide = "?metric=normcpu&rows=Site&cols=month&from=2023-01&to=2025-10"  # a table wider than any screen
    p.goto(server + "explore/" + wide)
    p.wait_for_function(READY, timeout=60_000)
    shot = tmp_path / f"explore-{width}.png"
    p.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    got = p.evaluate("""() => {
        const box = (id) => document.getElementById(id).getBoundingClientRect();
        const table = document.getElementById('explore-table');
        const scroll = document.getElementById('explore-result');
        return { page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                 view: window.innerWidth, form: box('explore-form').right, rows: box('x-rows'),
                 submit: document.querySelector('#explore-form button[type=submit]').getBoundingClientRect(),
                 table: table.scrollWidth, scroller: scroll.clientWidth, scrollerRight: box('explore-result').right };
    }""")
    p.close()
    assert got["page"] <= got["view"] and got["body"] <= got["view"], got
    assert got["form"] <= got["view"] and got["scrollerRight"] <= got["view"], got
    # The table is wider than the screen and scrolls inside its own box.
    assert got["table"] > got["scroller"], got
    for control in ("rows", "submit"):
        assert 0 <= got[control]["left"] and got[control]["right"] <= got["view"] and got[control]["width"] > 0, got
