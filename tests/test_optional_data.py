"""The cubes and the site over a source the way a real APEL server database fills it, and
over a source with HTC only. Each variant is a copy of the small demo's source rewritten
(tests/apel_variants.py), then the real `cubes` and `site` commands; expected figures
are recomputed here from the variant's source Parquet, not from the cube SQL.

- APEL's conventions: 'None' (and blank) VOs are one 'no VO' entity; benchmark types in
  APEL's spellings, 'None' and 'custom' are canonical or 'unknown benchmark'; normalised
  summaries (ServiceLevel 0, normalised time present) are no zero-benchmark finding;
  fractional vCPUs give exact core time; GPU summaries without FQAN have no VO breakdown;
  VOs seen only in cloud or storage data have their place in the discipline tree; the
  number of VMs over a year is its monthly average and peak, never the sum.
- Optional data: no cloud, storage or GPU directories (or empty ones), no quarantine
  files: every cube builds, empty, and the site says there is no such data, with no
  broken link.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import apel_variants as variants
from accounting.catalogue import load
from accounting.site.paths import Absent, encode
from conftest import run_build
from family_tables import months_window, table_csv
from htmltables import parse
from sitelinks import broken_links

CANONICAL = {"si2k": "si2k", "hepspec": "HEPSPEC", "hepspec06": "HEPSPEC", "hepscore23": "HEPscore23"}
ABSENT = "(v IS NULL OR trim(v) IN ('', 'None'))"


def _variant(built, tmp_path_factory, name: str, change, site: bool = True) -> dict[str, Path]:
    base = tmp_path_factory.mktemp(name)
    data = base / "data"
    shutil.copytree(built["source"], data / "source")
    if (built["data"] / "cache").is_dir():  # the Vega bundle, not rebuilt for nothing
        shutil.copytree(built["data"] / "cache", data / "cache")
    change(data / "source")
    run_build("cubes", "--data-dir", str(data), "--quiet")
    if site:
        run_build("site", "--data-dir", str(data), "--output", str(base / "output"), "--quiet")
    return {"source": data / "source", "cubes": data / "cubes", "output": base / "output"}


@pytest.fixture(scope="module")
def apel(built, tmp_path_factory):
    return _variant(built, tmp_path_factory, "apel", variants.apel_conventions)


@pytest.fixture(scope="module")
def htc_only(built, tmp_path_factory):
    return _variant(built, tmp_path_factory, "htc_only", lambda s: variants.without_optional(s, empty_dirs=False))


def _src(con, source: Path, dataset: str) -> str:
    return f"read_parquet('{source}/{dataset}/*/*/*.parquet', hive_partitioning = false)"


def _cube(v, name: str) -> list[dict]:
    return pq.read_table(v["cubes"] / f"{name}.parquet").to_pylist()


def _findings(v, cube: str, finding: str) -> set[str]:
    return {r["subject"] for r in _cube(v, cube) if r["finding"] == finding}


def _csv(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    header, rows = table_csv(path)
    return header, {r[0]: r[1:] for r in rows}


# --- APEL's conventions ---------------------------------------------------------------

def test_absent_vo_is_one_no_vo_entity_in_every_data_type(apel):
    """APEL's 'None', a blank and NULL are one absent VO: NULL in every cube, one page per
    view under the catalogue's label, at the address of an absent value (~-…)."""
    con = duckdb.connect()
    no_vo = Absent(load().absent["VO"])
    for dataset, column, cube, view in (("htc", "VO", "htc_monthly", "egi"), ("cloud", "VO", "cloud_monthly", "cloud"),
                                        ("storage", '"Group"', "storage_monthly", "storage")):
        vos = {r["VO"] for r in _cube(apel, cube)}
        assert None in vos and "None" not in vos and " " not in vos and "no VO" not in vos, cube
        assert (apel["output"] / view / "vo" / encode(no_vo) / "index.html").is_file(), view
        assert not (apel["output"] / view / "vo" / "None").exists(), view
        assert not (apel["output"] / view / "vo" / encode("no VO")).exists(), view
        absent = con.execute(f"SELECT count(*) FROM {_src(con, apel['source'], dataset)} "
                             f"WHERE {ABSENT.replace('v', column)}").fetchone()[0]
        assert absent > 0, dataset
    # The no-VO jobs equal the source's rows without a VO, all of them, grid and local.
    want = con.execute(f"SELECT sum(NumberOfJobs) FROM {_src(con, apel['source'], 'htc')} "
                       f"WHERE {ABSENT.replace('v', 'VO')}").fetchone()[0]
    assert sum(r["njobs"] for r in _cube(apel, "htc_monthly") if r["VO"] is None) == want
    assert {r["Discipline3"] for r in _cube(apel, "htc_monthly") if r["VO"] is None} == {None}
    # No VO is no misspelled VO.
    assert not {None, "no VO"} & _findings(apel, "quality_findings", "VO not in topology")
    # A site's VO table shows it, marked absent, linked to its page.
    site = next(r["Site"] for r in _cube(apel, "htc_monthly") if r["VO"] is None)
    kinds: list[str] = []
    _, rows = table_csv(apel["output"] / "egi" / "site" / encode(site) / "yearly.csv", kinds)
    assert [k for r, k in zip(rows, kinds) if r[0] == "no VO"] == ["absent"] and "None" not in {r[0] for r in rows}
    assert f'href="../../../egi/vo/{encode(no_vo)}/"' in (apel["output"] / "egi" / "site" / encode(site) /
                                                       "index.html").read_text()


def test_work_without_vo_or_user_is_no_active_vo_or_user(apel):
    con = duckdb.connect()
    cube = {(r["period"], r["vo_group"], r["infra_filter"]): r for r in _cube(apel, "htc_activity")
            if r["period_kind"] == "year"}
    year = max(p for p, g, i in cube if g == "all")
    want = con.execute(f"""
        SELECT count(DISTINCT CASE WHEN NOT {ABSENT.replace('v', 'VO')} THEN VO END),
               count(DISTINCT CASE WHEN NOT {ABSENT.replace('v', 'GlobalUserName')} THEN GlobalUserName END)
        FROM {_src(con, apel['source'], 'htc')} WHERE Year = {int(year)} AND NumberOfJobs > 0""").fetchone()
    got = cube[(year, "all", "localinfrajobs")]
    assert (got["active_vos"], got["active_users"]) == want


def test_benchmark_types_are_canonical_and_unrecorded_ones_one_unknown_benchmark(apel):
    con = duckdb.connect()
    spelled = con.execute(f"SELECT ServiceLevelType, sum(NormalisedWallDuration::HUGEINT * Processors) "
                          f"FROM {_src(con, apel['source'], 'htc')} GROUP BY ALL").fetchall()
    assert {s for s, _ in spelled} >= {"hepscore23", "None", "custom", "", None}
    want = defaultdict(int)
    for spelling, work in spelled:
        key = (spelling or "").strip().lower()
        want[CANONICAL.get(key, "unknown benchmark" if key in ("", "none", "custom") else spelling)] += work
    got = defaultdict(int)
    for r in _cube(apel, "htc_monthly"):
        got[r["BenchmarkType"]] += r["normwall_proc_s"]
    assert dict(got) == dict(want)
    assert "unknown benchmark type" not in {r["finding"] for r in _cube(apel, "quality_findings")}
    # The benchmark pages show it, and say what it means (as /help/ does).
    _, rows = _csv(apel["output"] / "benchmarks" / "yearly.csv")
    assert "unknown benchmark" in rows
    for page in ("benchmarks/index.html", "help/index.html"):
        text = (apel["output"] / page).read_text()
        assert "unknown benchmark" in text and "did not record" in text and "custom" in text, page


def test_normalised_summaries_are_no_zero_benchmark_finding(apel):
    con = duckdb.connect()
    src = _src(con, apel["source"], "htc")
    zero = {s for (s,) in con.execute(f"SELECT DISTINCT Site FROM {src} WHERE ServiceLevel = 0 AND WallDuration > 0 "
                                      "AND NormalisedWallDuration = 0").fetchall()}
    normalised = {s for (s,) in con.execute(f"SELECT DISTINCT Site FROM {src} WHERE ServiceLevel = 0 "
                                            "AND NormalisedWallDuration > 0").fetchall()}
    assert normalised - zero, "the variant has sites whose only ServiceLevel 0 rows are normalised summaries"
    assert _findings(apel, "quality_findings", "zero benchmark") == zero
    # Their normalised time is in the normalised metrics, in full.
    total = con.execute(f"SELECT sum(NormalisedCpuDuration) FROM {src}").fetchone()[0]
    assert sum(r["normcpu_s"] for r in _cube(apel, "htc_monthly")) == total


def _cloud_rows(v) -> list[dict]:
    return [r for p in sorted((v["source"] / "cloud").glob("year=*/month=*/*.parquet"))
            for r in pq.read_table(p).to_pylist()]


def test_fractional_vcpus_give_exact_core_time_in_cubes_and_downloads(apel):
    rows = _cloud_rows(apel)
    assert any(r["CpuCount"] == variants.FRACTIONAL_VCPUS for r in rows)
    want = defaultdict(Decimal)
    for r in rows:
        want[r["SiteName"]] += Decimal(r["WallDuration"]) * r["CpuCount"]
    got = defaultdict(Decimal)
    for r in _cube(apel, "cloud_monthly"):
        assert isinstance(r["cloud_core_s"], Decimal)
        got[r["Site"]] += r["cloud_core_s"]
    assert dict(got) == dict(want)
    with open(apel["output"] / "data" / "cloud_monthly.csv", newline="") as f:
        assert sum(Decimal(r["cloud_core_s"]) for r in csv.DictReader(f)) == sum(want.values())
    # CPU above wall × vCPUs is judged on the exact product too.
    over = {r["SiteName"] for r in rows if r["CpuCount"] and r["CpuDuration"] > r["WallDuration"] * r["CpuCount"]}
    assert _findings(apel, "cloud_findings", "cloud CPU time above wall time × vCPUs") == over


def test_gpu_summaries_without_fqan_have_no_vo_breakdown(apel):
    out = apel["output"]
    assert not (out / "gpu" / "vo").exists()
    sites = {r["SiteName"] for p in (apel["source"] / "gpu").glob("year=*/month=*/*.parquet")
             for r in pq.read_table(p, columns=["SiteName"]).to_pylist()}
    for site in sites:
        html = (out / "gpu" / "site" / encode(site) / "index.html").read_text()
        tables = parse(html).tables
        assert "model" in tables and "table" not in tables and "yearly" not in tables, site
        assert "carry no FQAN, so usage cannot be split by VO" in html
    for page in out.rglob("*.html"):
        assert "gpu/vo/" not in page.read_text(), page
    assert (out / "gpu" / "model").is_dir() and (out / "gpu" / "ngi").is_dir()


def test_vos_of_every_data_type_have_their_place_in_the_discipline_tree(apel):
    out = apel["output"]
    for leaf, branch, field in (variants.CLOUD_ONLY_DISCIPLINE, variants.STORAGE_ONLY_DISCIPLINE):
        for name in (leaf, branch, field):
            assert (out / "discipline" / encode(name) / "index.html").is_file(), name
    _, rows = _csv(out / "disciplines" / "cloud.csv")
    assert variants.CLOUD_ONLY_DISCIPLINE[2] in rows
    _, rows = _csv(out / "discipline" / encode(variants.CLOUD_ONLY_DISCIPLINE[0]) / "cloud.csv")
    assert variants.CLOUD_ONLY_VO in rows


def test_number_of_vms_over_a_year_is_the_monthly_average_and_peak_never_the_sum(apel):
    by_month = defaultdict(int)
    for r in _cloud_rows(apel):
        by_month[(r["Year"], r["Month"])] += r["NumberOfVMs"]
    _, average = _csv(apel["output"] / "cloud" / "cloud_vms" / "yearly.csv")
    header, peak = _csv(apel["output"] / "cloud" / "cloud_vms" / "yearly_peak.csv")
    last = months_window(duckdb.connect(), apel["source"])[-1]  # the site's last complete month
    last_year, last_month = int(last[:4]), int(last[5:])
    assert header[1:] == [str(y) for y in range(min(y for y, _ in by_month), last_year + 1)]
    for j, year in enumerate(header[1:]):
        months = [by_month.get((int(year), m), 0) for m in range(1, 13)]
        n = last_month if int(year) == last_year else 12
        assert float(average["Total"][j]) == pytest.approx(sum(months[:n]) / n), year
        assert float(peak["Total"][j]) == max(months[:n]), year
        assert float(average["Total"][j]) < sum(months[:n]) or sum(months[:n]) == 0
    html = (apel["output"] / "cloud" / "cloud_vms" / "index.html").read_text()
    assert "monthly average" in html.lower() or "Average" in parse(html).tables["yearly"]["labels"]
    assert 'id="counts"' in (apel["output"] / "help" / "index.html").read_text()


def test_every_link_resolves_over_apel_conventions(apel):
    pages, broken = broken_links(apel["output"])
    assert pages > 200 and not broken, broken[:20]


# --- Optional data ---------------------------------------------------------------------

def test_a_build_with_htc_only_says_there_is_no_other_data(htc_only):
    out = htc_only["output"]
    pages, broken = broken_links(out)
    assert pages > 100 and not broken, broken[:20]
    for family in ("gpu", "cloud", "storage"):
        for page in (family, f"{family}/countries"):
            html = (out / page / "index.html").read_text()
            assert "This build has no" in html, page
            main = html.split("<main>")[1].split("</main>")[0]
            assert not parse(html).tables and 'class="vega"' not in main and '.csv"' not in main, page
        assert not (out / family / "site").exists() and not (out / family / "vo").exists()
    assert "This build has no" in (out / "gpu" / "models" / "index.html").read_text()
    home = (out / "index.html").read_text()
    for tile in ("Number of VMs", "GPU hours available", "GPU utilisation"):
        assert tile not in home
    assert home.count("data in this build") == 3
    quality = (out / "quality" / "index.html").read_text()
    for title in ("storage records", "gpu records", "cloud records"):
        assert f"No {title} in this build" in quality
    assert "cloud" not in parse((out / "disciplines" / "index.html").read_text()).tables
    for cube in ("cloud_monthly", "gpu_monthly", "storage_monthly", "cloud_findings", "gpu_findings",
                 "storage_findings"):
        assert pq.read_metadata(htc_only["cubes"] / f"{cube}.parquet").num_rows == 0, cube


def test_empty_dataset_directories_build_the_same_cubes_as_absent_ones(built, htc_only, tmp_path_factory):
    empty = _variant(built, tmp_path_factory, "empty_dirs", lambda s: variants.without_optional(s, empty_dirs=True),
                     site=False)
    names = sorted(p.name for p in htc_only["cubes"].glob("*.parquet"))
    assert names == sorted(p.name for p in empty["cubes"].glob("*.parquet"))
    for name in names:
        a, b = pq.read_table(htc_only["cubes"] / name), pq.read_table(empty["cubes"] / name)
        assert a.schema == b.schema and a.equals(b), name
