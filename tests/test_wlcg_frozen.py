"""Frozen WLCG reports: the small demo's data is as of 2025-11-24, so every month up to
October 2025 (frozen on 8 November) was frozen by the shared build. A restatement of
October (late records of a Tier-1 site) and a rebuild keep the frozen reports byte for
byte, from DATA_DIR/frozen even into a new output directory, and show the difference,
which equals the difference recomputed from the two sources."""

from __future__ import annotations

import datetime as dt
import glob
import math

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import source_truth
from accounting.site import frozen
from conftest import run_build
from family_tables import table_csv

REPORT = "wlcg/report/tier1/2025-10/"
SITE = "FZK-LCG2"  # a Tier-1 (DE-KIT)


def files(root, page_dir: str) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in (root / page_dir).iterdir() if f.is_file()}


def test_freeze_dates():
    assert frozen.freeze_date(2025, 10) == dt.date(2025, 11, 8)
    assert frozen.freeze_date(2025, 12) == dt.date(2026, 1, 8)
    assert not frozen.is_due(2025, 10, dt.datetime(2025, 11, 7, 23, 59, tzinfo=dt.UTC))
    assert frozen.is_due(2025, 10, dt.datetime(2025, 11, 8, tzinfo=dt.UTC))


def test_the_shared_build_froze_the_due_months(built):
    store = frozen.Store(built["data"])
    assert store.has(REPORT) and store.has("wlcg/report/countries/2008-01/")
    assert store.meta(REPORT)["as_of"].startswith("2025-11-24")
    assert not (built["data"] / "frozen" / "wlcg" / "report" / "tier1" / "2025-11").exists()  # not complete yet
    page = (built["output"] / REPORT / "index.html").read_text()
    assert "Frozen: this report was taken on the first build on or after 8 November 2025" in page
    _, rows = table_csv(built["output"] / REPORT / "restated" / "federations.csv")
    assert rows == []  # nothing restated yet


@pytest.fixture(scope="module")
def restated(built, tmp_path_factory):
    """The shared build's data with October 2025's work at SITE doubled, rebuilt (cubes and
    site) into a new output directory."""
    import shutil
    base = tmp_path_factory.mktemp("restated")
    data, out = base / "data", base / "output"
    shutil.copytree(built["data"], data)
    for f in glob.glob(str(data / "source" / "htc" / "year=2025" / "month=10" / "*.parquet")):
        t = pq.read_table(f)
        at = pc.equal(t["Site"], SITE)
        i = t.schema.get_field_index("NormalisedWallDuration")
        doubled = pc.if_else(at, pc.multiply(t["NormalisedWallDuration"], pa.scalar(2, t.schema.field(i).type)),
                             t["NormalisedWallDuration"])
        pq.write_table(t.set_column(i, t.schema.field(i), doubled), f)
    run_build("cubes", "--data-dir", str(data), "--quiet")
    run_build("site", "--data-dir", str(data), "--output", str(out), "--quiet")
    return {"data": data, "output": out}


def test_a_frozen_report_stays_byte_identical(built, restated):
    for page_dir in (REPORT, "wlcg/report/tier2/2025-10/", "wlcg/report/countries/2024-03/"):
        assert files(restated["output"], page_dir) == files(built["output"], page_dir), page_dir
    # The year to date is no frozen report: it shows the restated figures.
    assert files(restated["output"], "wlcg/report/tier1/2025/") != files(built["output"], "wlcg/report/tier1/2025/")
    # The frozen page's stylesheet and scripts are there, whatever this build's are.
    html = (restated["output"] / REPORT / "index.html").read_text()
    for asset in frozen._ASSET.findall(html):
        assert (restated["output"] / asset).is_file(), asset


def test_the_restatement_is_the_recomputed_difference(built, restated):
    def work(source):
        con = source_truth.connect(source)
        return dict(con.execute("""SELECT Federation, sum(normwall_proc_s) / 3600 FROM htc
            WHERE lhc AND ym = 202510 AND Tier IN ('Tier-0', 'Tier-1') AND Federation IS NOT NULL
            GROUP BY 1""").fetchall())
    before, after = work(built["source"]), work(restated["data"] / "source")
    changed = {f: (float(before.get(f, 0)), float(after.get(f, 0))) for f in set(before) | set(after)
               if not math.isclose(float(before.get(f, 0)), float(after.get(f, 0)), rel_tol=1e-12)}
    assert set(changed) == {"DE-KIT"}
    header, rows = table_csv(restated["output"] / REPORT / "restated" / "federations.csv")
    assert header == ["Federation", "Frozen (HS23 h)", "Now (HS23 h)", "Difference (HS23 h)", "Difference (%)"]
    assert [r[0] for r in rows] == ["DE-KIT"]
    (fed, was, now, diff, pct), = rows
    a, b = changed["DE-KIT"]
    assert math.isclose(float(was), a, rel_tol=1e-9) and math.isclose(float(now), b, rel_tol=1e-9)
    assert math.isclose(float(diff), b - a, rel_tol=1e-9) and math.isclose(float(pct), 100 * (b - a) / a, rel_tol=1e-9)
    _, sites = table_csv(restated["output"] / REPORT / "restated" / "sites.csv")
    assert [(r[0], r[1]) for r in sites] == [("DE-KIT", SITE)]
    _, listed = table_csv(restated["output"] / "wlcg" / "report" / "restatements" / "restatements.csv")
    assert {(r[0], r[1]) for r in listed} == {("Tier-0 and Tier-1", "October 2025"), ("countries", "October 2025")}


def test_reports_frozen_from_another_source_are_set_aside(built, restated, tmp_path):
    """Frozen reports belong to their source: a data directory now fed from another source
    (here another demo scale) sets them aside (renamed, kept), says so in one line, and
    freezes this source's reports again."""
    import json

    assert json.loads((built["data"] / "frozen" / "origin.json").read_text()) == {"source": "demo", "scale": "small"}
    data = restated["data"]
    (data / "source" / "origin.json").write_text(json.dumps({"source": "demo", "scale": "default"}))
    proc = run_build("site", "--data-dir", str(data), "--output", str(tmp_path / "out"), "--quiet")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: site:")]
    assert len(warnings) == 1 and "another source" in warnings[0], proc.stderr
    aside = [p for p in data.iterdir() if p.name.startswith("frozen.set-aside-")]
    assert len(aside) == 1 and (aside[0] / REPORT / "frozen.json").exists()
    assert json.loads((data / "frozen" / "origin.json").read_text()) == {"source": "demo", "scale": "default"}
    # Frozen again from this source's data: October's report now holds the restated figures.
    _, rows = table_csv(tmp_path / "out" / REPORT / "cpu.csv")
    _, before = table_csv(restated["output"] / REPORT / "cpu.csv")
    assert rows != before
