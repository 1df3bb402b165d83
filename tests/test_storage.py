"""Storage (StAR) reports: the monthly statistics, and the roll-ups over time, equal an
independent recomputation in plain Python from the raw snapshots of the source Parquet
(not from the cube SQL); a republished snapshot replaces the one it restates; a month
without a snapshot is missing, not zero; a year is the average or peak of its months,
never their sum, at every level of roll-up."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from accounting.site import paths
from accounting.source.demo import storage as demo_storage
from family_tables import table_csv
from htmltables import parse

KEY = ("Site", "StorageSystem", "StorageShare", "StorageMedia", "StorageClass", "Group", "SubGroup", "Role")
MEASURES = {"used": "ResourceCapacityUsed", "logical": "LogicalCapacityUsed",
            "allocated": "ResourceCapacityAllocated", "files": "FileCount"}


@pytest.fixture(scope="module")
def snapshots(built) -> dict:
    """{(key, month): [snapshot dicts sorted by EndTime]}, republished records resolved."""
    table = pads.dataset(str(built["source"] / "storage"), format="parquet").to_table()
    latest: dict = {}
    for r in table.to_pylist():
        period = (tuple(r[c] for c in KEY), r["StartTime"], r["EndTime"])
        old = latest.get(period)
        if old is None or (r["CreateTime"], r["RecordId"]) > (old["CreateTime"], old["RecordId"]):
            latest[period] = r
    by_month = defaultdict(list)
    for (key, _start, end), r in latest.items():
        by_month[(key, f"{end.year:04d}-{end.month:02d}")].append(r)
    for rows in by_month.values():
        rows.sort(key=lambda r: r["EndTime"])
    return {"by_month": dict(by_month), "raw": table}


def _month_end(month: str) -> dt.datetime:
    y, m = int(month[:4]), int(month[5:])
    return dt.datetime(y + m // 12, m % 12 + 1, 1, tzinfo=dt.UTC)


def _stats(rows: list[dict], column: str, month: str) -> dict:
    """min, max, time-weighted average and end of one key's snapshots in one month."""
    values = [(r["EndTime"], r[column]) for r in rows]
    held = [((values[i + 1][0] if i + 1 < len(values) else _month_end(month)) - t).total_seconds()
            for i, (t, _v) in enumerate(values)]
    present = [(v, w) for (_t, v), w in zip(values, held, strict=True) if v is not None]
    return {"min": min(v for v, _ in present) if present else None,
            "max": max(v for v, _ in present) if present else None,
            "avg": sum(v * w for v, w in present) / sum(w for _, w in present) if present else None,
            "end": values[-1][1]}


def _cube(built) -> dict:
    rows = pq.read_table(built["cubes"] / "storage_monthly.parquet").to_pylist()
    names = ("Site", "StorageSystem", "StorageShare", "StorageMedia", "StorageClass", "VO", "SubGroup", "Role")
    return {(tuple(r[n] for n in names), f"{r['Year']:04d}-{r['Month']:02d}"): r for r in rows}


def _staged_key(key: tuple) -> tuple:
    """The cube's spelling of a key: an absent share, media, class, VO, subgroup or role
    (APEL's 'None', a blank, NULL) is NULL, labelled only by the site."""
    site, system, share, media, cls, vo, sub, role = key
    absent = lambda v: v is None or v.strip() in ("", "None")  # noqa: E731  APEL's 'None' is absent
    share, media, cls, vo, sub, role = (None if absent(v) else v for v in (share, media, cls, vo, sub, role))
    return site, system, share, media and media.lower(), cls, vo, sub, role


def test_demo_has_the_defects_the_tests_rely_on(snapshots):
    raw = snapshots["raw"]
    assert raw.num_rows > 1000
    assert {m.lower() for m in raw.column("StorageMedia").to_pylist()} == {"disk", "tape"}
    assert demo_storage.REPUBLISHED_SITES and demo_storage.GAP_SITES and demo_storage.STOPPED_SITES


def test_monthly_statistics_equal_a_recomputation_from_the_snapshots(built, snapshots):
    cube = _cube(built)
    sample_sites = {*demo_storage.REPUBLISHED_SITES, *demo_storage.GAP_SITES, *demo_storage.STOPPED_SITES}
    checked = republished = 0
    for (key, month), rows in snapshots["by_month"].items():
        if key[0] not in sample_sites:
            continue
        got = cube[(_staged_key(key), month)]
        assert got["snapshots"] == len(rows)
        for measure, column in MEASURES.items():
            want = _stats(rows, column, month)
            for stat in ("min", "max", "end"):
                assert got[f"{measure}_{stat}"] == want[stat], (key, month, measure, stat)
            if want["avg"] is None:
                assert got[f"{measure}_avg"] is None
            else:
                assert math.isclose(got[f"{measure}_avg"], want["avg"], rel_tol=1e-12, abs_tol=5e-4), \
                    (key, month, measure)
        checked += 1
    # The republished snapshots: the cube holds the later record's values, not the first's.
    raw = snapshots["raw"].to_pylist()
    periods = defaultdict(list)
    for r in raw:
        periods[(tuple(r[c] for c in KEY), r["StartTime"], r["EndTime"])].append(r)
    for (key, _s, end), versions in periods.items():
        if len(versions) < 2:
            continue
        first, last = sorted(versions, key=lambda r: (r["CreateTime"], r["RecordId"]))[::len(versions) - 1]
        month = f"{end.year:04d}-{end.month:02d}"
        kept = [r for r in snapshots["by_month"][(key, month)] if r["EndTime"] == end]
        assert kept == [last] and first["ResourceCapacityUsed"] != last["ResourceCapacityUsed"]
        republished += 1
    assert checked > 50 and republished >= 1


def test_a_month_without_snapshot_is_missing_not_zero(built, snapshots):
    cube = _cube(built)
    for site, (year, month) in demo_storage.GAP_SITES.items():
        key = f"{year:04d}-{month:02d}"
        assert not [k for k in cube if k[0][0] == site and k[1] == key]
        assert [k for k in cube if k[0][0] == site and k[1] < key]
        assert [k for k in cube if k[0][0] == site and k[1] > key]
        html = (built["output"] / "storage" / "site" / paths.encode(site) / "yearly.csv")
        assert html.exists()
    quality = (built["output"] / "quality" / "index.html").read_text()
    for site in {*demo_storage.GAP_SITES, *demo_storage.STOPPED_SITES}:
        assert site in quality
    assert "Storage reports stopped" in quality and "Storage month without a snapshot" in quality


def _csv(path: Path) -> tuple[list[str], dict[str, list]]:
    header, rows = table_csv(path)
    return header, {r[0]: [float(v) if v else None for v in r[1:]] for r in rows}


# (page directory under storage/, entity column of the page or None, row column)
LEVELS = [("", None, "NGI"), ("countries/", None, "Country"), ("ngi/{}/", "NGI", "Site"),
          ("country/{}/", "Country", "Site"), ("site/{}/", "Site", "VO"), ("vo/{}/", "VO", "Site")]


def test_years_are_the_average_or_peak_of_their_months_never_the_sum(built, snapshots):
    """At every level: recompute each row's monthly value (sum of its keys' time-weighted
    averages), then a year's average and peak over its months, for the rows and the Total."""
    cube = _cube(built)
    site_home = {}
    for (key, month), r in cube.items():
        site_home[(key[0], month)] = (r["NGI"], r["Country"])
    last_month = max(m for _k, m in snapshots["by_month"])  # the site shows complete months only
    shown_last = table_csv(built["output"] / "storage" / "table.csv")[0][-3]
    summed_somewhere = False
    for path, scope_col, row_col in LEVELS:
        # monthly[scope][row][month], from the recomputed per-key averages
        monthly: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
        for (key, month), rows in snapshots["by_month"].items():
            if month > shown_last:
                continue
            ngi, country = site_home[(key[0], month)]
            cols = {"NGI": ngi, "Country": country, "Site": key[0], "VO": key[5]}
            scope = cols[scope_col] if scope_col else None
            monthly[scope][cols[row_col]][month] += _stats(rows, "ResourceCapacityUsed", month)["avg"]
        scopes = sorted(monthly, key=lambda s: (s is None, s))[:3]  # a few entities per level
        for scope in scopes:
            page = built["output"] / "storage" / path.format(paths.encode(scope) if scope else "")
            for table, stat in (("yearly", "average"), ("yearly_peak", "peak")):
                header, got = _csv(page / f"{table}.csv")
                years = header[1:]
                rows = dict(monthly[scope])
                total = defaultdict(float)
                for by_month in rows.values():
                    for m, v in by_month.items():
                        total[m] += v
                for row, by_month in [*rows.items(), ("Total", total)]:
                    for j, year in enumerate(years):
                        values = [v / 1e12 for m, v in by_month.items() if m.startswith(year + "-")]
                        if not values:
                            assert got[row][j] is None
                            continue
                        want = sum(values) / len(values) if stat == "average" else max(values)
                        assert math.isclose(got[row][j], want, rel_tol=1e-9), (page, table, row, year)
                        if len(values) > 1 and not math.isclose(sum(values), want, rel_tol=1e-6):
                            summed_somewhere = True
    assert summed_somewhere and last_month >= shown_last


def test_page_html_equals_its_downloads(built):
    page = built["output"] / "storage" / "ngi" / "NGI_DE"
    if not page.exists():
        page = next((built["output"] / "storage" / "ngi").iterdir())
    html = parse((page / "index.html").read_text())
    for table in ("capacity", "table", "yearly", "yearly_peak"):
        header, rows = _csv(page / f"{table}.csv")
        shown = html.tables[table]["rows"]
        assert [r["label"] for r in shown] == list(rows)
        for r, values in zip(shown, rows.values(), strict=True):
            assert [t == "–" for t in r["texts"]] == [v is None for v in values]
        arrow = pq.read_table(page / f"{table}.parquet").to_pylist()
        assert [r[header[0]] for r in arrow] == list(rows)
        for rec, values in zip(arrow, rows.values(), strict=True):
            assert [rec[h] for h in header[1:]] == values
    assert "never their sum" in (page / "index.html").read_text()


def test_snapshots_above_their_allocation_are_kept_and_listed(built, snapshots):
    over = {r["Site"] for rows in snapshots["by_month"].values() for r in rows
            if r["ResourceCapacityAllocated"] is not None
            and r["ResourceCapacityUsed"] > r["ResourceCapacityAllocated"]}
    assert over
    findings = pq.read_table(built["cubes"] / "storage_findings.parquet").to_pylist()
    listed = {f["subject"] for f in findings if f["finding"] == "storage used above allocated"}
    assert listed == over
    assert "Storage used above allocated" in (built["output"] / "quality" / "index.html").read_text()
