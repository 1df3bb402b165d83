"""A site built from a demo source holding hostile names (issue 14, tests/hostile_names.py):
a 255-character site, an NGI really called "unknown NGI", VOs called "Total", "Other", a
spreadsheet formula and a name with a right-to-left override. One build (conftest's
`hostile`), shared with test_personal_names."""

from __future__ import annotations

import csv
import html
import json
import re

import pyarrow.parquet as pq
import vl_convert as vlc

from accounting.site import paths
from hostile_names import FORMULA_VO, LONG_SITE, REAL_UNKNOWN_NGI, RTL_VO, unquote
from sitelinks import broken_links

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SPEC = re.compile(r'<script type="application/json" id="spec-([^"]+)">(.*?)</script>', re.S)


def _csv(path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_every_page_exists_and_every_link_resolves(hostile):
    pages, broken = broken_links(hostile["output"])
    assert pages > 200
    assert not broken, broken[:20]


def test_the_long_named_site_has_a_short_segment_named_in_the_mapping(hostile):
    out = hostile["output"]
    segment = paths.encode(LONG_SITE)
    assert len(LONG_SITE) == 255 and len(segment.encode()) <= paths.MAX_SEGMENT
    mapping = json.loads((out / "data" / "paths.json").read_text())["shortened"]
    assert mapping == {segment: LONG_SITE}
    assert (out / "egi" / "site" / segment / "index.html").is_file()
    assert all(len(p.name.encode()) <= 255 for p in out.rglob("*"))
    # Its NGI's page links to it by the same segment.
    assert any(f"site/{segment}/" in p.read_text() for p in (out / "egi" / "ngi").glob("*/index.html"))


def test_a_real_unknown_ngi_is_not_the_sites_missing_from_topology(hostile):
    out = hostile["output"]
    absent = paths.encode(paths.Absent(REAL_UNKNOWN_NGI))
    real = paths.encode(REAL_UNKNOWN_NGI)
    assert absent != real
    for segment in (absent, real):
        assert (out / "egi" / "ngi" / segment / "index.html").is_file()
    rows = [r for r in _csv(out / "egi" / "table.csv")[1:] if r[0] == REAL_UNKNOWN_NGI]
    assert sorted(r[-1] for r in rows) == ["absent", "entity"]
    real_page = (out / "egi" / "ngi" / real / "index.html").read_text()
    renamed_site = next(s for s in pq.read_table(hostile["data"] / "source" / "topology" / "sites.parquet")
                        .to_pylist() if s["NGI"] == REAL_UNKNOWN_NGI)["Site"]
    assert f"site/{paths.encode(renamed_site)}/" in real_page
    text = (out / "egi" / "index.html").read_text()
    assert f'ngi/{absent}/"' in text and f'ngi/{real}/"' in text
    assert f'<bdi class="absent">{REAL_UNKNOWN_NGI}</bdi>' in text  # the placeholder is shown as one


def _pages_with_vo(out, vo: str, top: int | None = None) -> list:
    """Site pages whose VO table has an entity row named `vo` (as the CSV writes it),
    among its first `top` rows when given, in a table of more than `top` + 1 rows."""
    pages = []
    for path in sorted((out / "egi" / "site").glob("*/table.csv")):
        names = [r[0] for r in _csv(path)[1:] if r[-1] in ("entity", "absent")]
        if vo in (names if top is None else names[:top]) and (top is None or len(names) > top + 1):
            pages.append(path.parent)
    return pages


def test_a_vo_called_total_is_a_row_beside_the_total_row(hostile):
    page = _pages_with_vo(hostile["output"], "Total")[0]
    rows = _csv(page / "table.csv")
    assert [r[-1] for r in rows[1:] if r[0] == "Total"] == ["entity", "total"]
    assert [r["row_kind"] for r in pq.read_table(page / "table.parquet").to_pylist() if r["VO"] == "Total"] == \
        ["entity", "total"]
    table = re.search(r'<table class="report" id="t-table">.*?</table>', (page / "index.html").read_text(), re.S)[0]
    labels = re.findall(r'<th scope="row">(.*?)</th>', table)
    assert labels.count('<a href="../../../egi/vo/Total/"><bdi>Total</bdi></a>') == 1  # the VO, linked
    assert labels[-2:] == ["<bdi>Total</bdi>", "<bdi>Percent</bdi>"]  # the summary rows


def _chart_labels(page, table_id: str) -> list[str]:
    """The legend of a page's chart, drawn by Vega from the spec and the CSV as the page's
    script reads them (one leading quote off a neutralised cell)."""
    spec = json.loads(dict(SPEC.findall((page / "index.html").read_text()))[table_id].replace("<\\/", "</"))
    header, *rows = _csv(page / f"{table_id}.csv")
    values = [{unquote(h): unquote(v) for h, v in zip(header, r, strict=True)} for r in rows]
    spec["data"] = {"values": values, "format": {"parse": spec["data"]["format"]["parse"]}}
    svg = vlc.vegalite_to_svg(spec)
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_other_vo_is_a_series_of_its_own_in_the_chart(hostile):
    pages = _pages_with_vo(hostile["output"], "Other", top=9)
    assert pages, "no site page with the Other VO in its top 9 and rows beyond"
    labels = _chart_labels(pages[0], "table")
    assert labels.count("Other") == 2  # the VO and the bucket of the rows after the top 9


def test_a_formula_named_vo_shows_its_name_in_the_chart(hostile):
    page = _pages_with_vo(hostile["output"], "'" + FORMULA_VO, top=9)[0]
    assert FORMULA_VO in _chart_labels(page, "table")


def test_no_csv_cell_starts_a_formula(hostile):
    """Page tables and data/*.csv: a cell beginning with = + - @ tab or CR is a number."""
    csvs = list(hostile["output"].rglob("*.csv"))
    assert len(csvs) > 1000
    for path in csvs:
        for row in _csv(path):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    float(cell)  # raises for text
    cube = _csv(hostile["output"] / "data" / "htc_monthly.csv")
    vo = cube[0].index("VO")
    assert "'" + FORMULA_VO in {r[vo] for r in cube[1:]}


def test_parquet_downloads_hold_the_exact_names(hostile):
    out = hostile["output"]
    cube = pq.read_table(out / "data" / "htc_monthly.parquet", columns=["Site", "VO", "NGI"])
    vos, sites = set(cube["VO"].to_pylist()), set(cube["Site"].to_pylist())
    assert {FORMULA_VO, RTL_VO, "Total", "Other"} <= vos and LONG_SITE in sites
    assert REAL_UNKNOWN_NGI in cube["NGI"].to_pylist() and None in cube["NGI"].to_pylist()  # absent: NULL
    page = _pages_with_vo(out, "'" + FORMULA_VO)[0]
    assert FORMULA_VO in pq.read_table(page / "table.parquet")["VO"].to_pylist()


def test_a_right_to_left_name_is_isolated_wherever_a_page_shows_it(hostile):
    out = hostile["output"]
    page = (out / "egi" / "vo" / paths.encode(RTL_VO) / "index.html").read_text()
    assert f"<h1>VO <bdi>{RTL_VO}</bdi></h1>" in page
    assert f"<title>VO \u2068{RTL_VO}\u2069 — " in page
    seen = 0
    for path in out.rglob("*.html"):
        text = path.read_text()
        for m in re.finditer(re.escape(RTL_VO), text):
            seen += 1
            before = text[:m.start()]
            assert before.endswith(("<bdi>", "\u2068")), (path, text[m.start() - 80:m.end() + 20])
    assert seen > 20  # its own pages, and the links and rows of the sites it ran at
