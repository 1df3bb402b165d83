"""The WLCG pages in real headless Chromium, over the shared small demo build served with
the site's CSP: the reports, the pledge and the tier pages draw their charts with no console
error and no serious or critical axe-core violation; a report prints (Chromium's own print
to PDF, as `--report-pdfs` runs it) on A4 landscape pages."""

from __future__ import annotations

import re
import shutil

import pytest

from accounting.site import reportpdf
from test_explore_a11y import AXE, RUN_AXE
from test_explore_browser import server  # noqa: F401 (server: fixture)

PAGES = ("wlcg/", "wlcg/tier1/", "wlcg/tier2/federation/UK-London-Tier2/", "wlcg/pledges/2024/",
         "wlcg/report/", "wlcg/report/tier1/2025-10/", "wlcg/report/countries/2025/")
A4_LANDSCAPE = (841.9, 595.3)  # points


@pytest.mark.parametrize("path", PAGES)
def test_wlcg_page_draws_and_passes_axe(browser, server, path):  # noqa: F811
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    assert page.goto(server + path, wait_until="networkidle").status == 200
    charts = page.locator(".vega")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").wait_for(timeout=10_000)
        assert charts.nth(i).locator("svg .mark-rect path").count() > 0, f"chart {i} of {path} has no bars"
    if "/report/" in path and path.count("/") > 3:
        # Two layers of marks (a Vega tick is drawn as a rect): the bars and the pledge ticks.
        assert charts.count() == 1 and page.locator("svg g.mark-rect").count() == 2
    page.evaluate(AXE.read_text(encoding="utf-8"))
    assert page.evaluate(RUN_AXE) == [], path
    page.close()
    assert not errors, errors


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf, re.S)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def test_a_report_prints_on_a4_landscape(built, tmp_path):
    """reportpdf.write (what --report-pdfs runs) on a tree that links to the build's: one
    report printed, every page A4 landscape, the chart and all four tables in it."""
    page_dir = "wlcg/report/tier1/2025-10/"
    root = tmp_path / "site"
    (root / page_dir).parent.mkdir(parents=True)
    for top in built["output"].iterdir():
        if top.name != "wlcg":
            (root / top.name).symlink_to(top)
    shutil.copytree(built["output"] / page_dir, root / page_dir)
    assert reportpdf.write(root, [(page_dir, "report.pdf")]) == 1
    pdf = (root / page_dir / "report.pdf").read_bytes()
    pages = _pdf_pages(pdf)
    assert 2 <= len(pages) <= 8, pages
    for w, h in pages:
        assert abs(w - A4_LANDSCAPE[0]) < 2 and abs(h - A4_LANDSCAPE[1]) < 2, (w, h)
    assert not (built["output"] / page_dir / "report.pdf").exists()  # (the shared build untouched)


def test_report_pdfs_need_chromium(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(reportpdf.SiteError, match="needs Chromium"):
        reportpdf.chromium()


def test_disciplines_report_opens_the_chosen_disciplines_in_the_explorer(browser, server, built):  # noqa: F811
    """The form's checked disciplines (Natural Sciences' by default), rows by their parents:
    the explorer's table equals the source recomputation of that view."""
    from urllib.parse import parse_qs, urlparse

    import source_truth
    from test_explore_browser import READY, assert_table, shown

    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "report/disciplines/")
    form = page.locator("form.disciplines").first
    assert form.locator("input[name=Discipline3]:checked").count() >= 3
    form.locator("select[name=rows]").select_option("Discipline2")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/explore/?**")
    page.wait_for_function(READY, timeout=60_000)
    params = parse_qs(urlparse(page.url).query)
    assert params["rows"] == ["Discipline2"] and len(params["Discipline3"]) >= 3
    assert params["metric"] == ["njobs,normcpu,normelap"]
    assert_table(shown(page), source_truth.Truth(built).of(params), "disciplines report")
    page.close()
    assert not errors, errors
