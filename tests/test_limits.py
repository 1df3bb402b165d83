"""Values at the limits of their types through the whole portal (issue 14), on a real
MariaDB: HTC and GPU summaries whose BIGINT UNSIGNED counts and durations are 2^53,
2^53+1, 2^63-1 (kept: carried exactly), 2^63 and 2^64-1 (quarantined, "value beyond the
portal's range"), exported by both read paths, built into cubes and pages through the CLI.
No stage prints a traceback; each figure of the site's pages and downloads equals SQL run
by MariaDB over the source rows; each quarantined row is counted and listed on /quality/."""

from __future__ import annotations

import csv

import duckdb
import pyarrow.parquet as pq
import pytest

import apel_truth as truths
from accounting import catalogue
from accounting.site import paths
from accounting.source.validation import BEYOND_RANGE, MAX_VALUE
from conftest import run_build
from export_db import export_report, hashes
from mariadb_server import available

pytestmark = pytest.mark.skipif(not available(), reason="mariadb-server is not installed")

HSS_COLUMNS = """(SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID, SubmitHostId, Infrastructure,
    InfrastructureDescription, ServiceLevelType, ServiceLevel, NodeCount, Processors, EarliestEndTime, LatestEndTime,
    WallDuration, CpuDuration, NormalisedWallDuration, NormalisedCpuDuration, NumberOfJobs, UpdateTime)"""
# Copies of one summary (each its own Processors, so its own key) with one value changed:
# (change, kept). A changed wall time brings its normalised wall time along (× the
# benchmark, exactly), so only the size of the value is on trial.
HTC_ROWS = [
    (dict(jobs=str(MAX_VALUE)), True),
    (dict(wall=str(2**53 + 1), normwall=f"ROUND({2**53 + 1} * ServiceLevel)"), True),
    (dict(normcpu=str(2**53)), True),
    (dict(normcpu=str(MAX_VALUE)), True),  # the site's sums pass 2^63-1: no BIGINT holds them
    (dict(cpu=str(2**63)), False),
    (dict(wall=str(2**64 - 1)), False),
    (dict(jobs=str(2**64 - 1)), False),
]
GPU_ROWS = [("NumberOfRecords", MAX_VALUE, True), ("AvailableDuration", 2**64 - 1, False)]


def _insert_extremes(db) -> str:
    """The changed copies of a 2015-06 summary of one site (non-si2k, benchmark known) and
    of one accelerator summary; returns the HTC site's name."""
    with db.root() as con:
        cur = con.cursor()
        cur.execute("""SELECT h.SiteID, s.name FROM HybridSuperSummaries AS h JOIN Sites AS s ON s.id = h.SiteID
                       WHERE h.Year = 2015 AND h.Month = 6 AND h.ServiceLevelType <> 'si2k' AND h.ServiceLevel > 0
                       ORDER BY s.name LIMIT 1""")
        site_id, site = cur.fetchone()
        base = dict(wall="WallDuration", cpu="CpuDuration", normwall="NormalisedWallDuration",
                    normcpu="NormalisedCpuDuration", jobs="NumberOfJobs")
        for i, (change, _) in enumerate(HTC_ROWS):
            v = {**base, **change}
            cur.execute(f"""INSERT INTO HybridSuperSummaries {HSS_COLUMNS}
                SELECT SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID, SubmitHostId, Infrastructure,
                       InfrastructureDescription, ServiceLevelType, ServiceLevel, NodeCount, {90 + i}, EarliestEndTime,
                       LatestEndTime, {v['wall']}, {v['cpu']}, {v['normwall']}, {v['normcpu']}, {v['jobs']}, UpdateTime
                FROM HybridSuperSummaries
                WHERE SiteID = {site_id} AND Year = 2015 AND Month = 6 AND ServiceLevelType <> 'si2k'
                    AND ServiceLevel > 0
                ORDER BY GlobalUserNameID, VOID, SubmitHostId, Processors LIMIT 1""")
        for i, (column, value, _) in enumerate(GPU_ROWS):
            cur.execute(f"""INSERT INTO AcceleratorSummaries
                SELECT Month, Year, SiteName, GlobalUserName, FQAN, Type, Model, Count, {90_000 + i},
                       AvailableDuration, ActiveDuration, BenchmarkType, Benchmark, AssociatedRecordType,
                       NumberOfRecords, UpdateTime
                FROM AcceleratorSummaries WHERE Year = 2022 ORDER BY SiteName, Model, Cores LIMIT 1""")
            cur.execute(f"UPDATE AcceleratorSummaries SET {column} = {value} WHERE Cores = {90_000 + i}")
    return site


def _no_traceback(proc) -> None:
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "error" not in proc.stderr, proc.stderr


def test_values_at_the_limits_are_carried_exactly_or_quarantined(own_server, tmp_path):
    db, env = own_server
    site = _insert_extremes(db)
    with db.root() as con:  # the truth, by MariaDB, before any export
        cur = con.cursor()
        cur.execute("SET time_zone = '+00:00'")
        htc = truths.grouped(cur, truths.HTC, ("normcpu_s", "njobs"))
        gpu_reasons = [r["reason"] for r in truths.fetch(cur, truths.GPU) if r["reason"]]
        as_of = truths.fetch(cur, f"SELECT MAX(UpdateTime) AS t FROM ({truths.HTC}) AS f WHERE reason IS NULL")
    quarantined = sum(not kept for _, kept in HTC_ROWS)
    assert sum(r["n"] for r in htc if r["reason"] == BEYOND_RANGE) == quarantined
    assert gpu_reasons.count(BEYOND_RANGE) == 1

    # Both read paths: no traceback, the same source Parquet.
    data, slow = tmp_path / "data", tmp_path / "slow"
    _no_traceback(run_build("export", "--data-dir", str(data), "--quiet", env_extra=env, check=False))
    _no_traceback(run_build("export", "--data-dir", str(slow), "--quiet", "--no-bulk", env_extra=env, check=False))
    parquet = {k: v for k, v in hashes(data / "source").items() if k.endswith(".parquet")}
    assert parquet == {k: v for k, v in hashes(slow / "source").items() if k.endswith(".parquet")}

    # The quarantine: the rows beyond the range, with their reason, each month balanced.
    for dataset, n in (("htc", quarantined), ("gpu", 1)):
        q = pq.read_table(data / "source" / "quarantine" / f"{dataset}.parquet").to_pylist()
        assert [r["reason"] for r in q].count(BEYOND_RANGE) == n, dataset
        report = export_report(data, dataset)
        for key, month in report["months"].items():
            assert month["read"] == month["exported"] + sum(month["quarantined"].values()), (dataset, key)
    assert export_report(data)["months"]["2015-06"]["quarantined"] == {BEYOND_RANGE: quarantined}
    exported = pq.read_table(data / "source" / "htc" / "year=2015" / "month=06").to_pylist()
    assert sorted(r["NumberOfJobs"] for r in exported if r["Processors"] == 90) == [MAX_VALUE]

    for stage in (("cubes", "--data-dir", str(data)),
                  ("site", "--data-dir", str(data), "--output", str(tmp_path / "out"))):
        _no_traceback(run_build(*stage, "--quiet", env_extra=env, check=False))
    out = tmp_path / "out"

    # The site's yearly figures (pages, CSV and Parquet) equal MariaDB's sums of the valid rows.
    last = truths.last_complete_month(as_of[0]["t"])
    default = catalogue.load().families["htc"].default
    sums = {}
    for metric, column, scale in (("normcpu", "normcpu_s", 3600), ("njobs", "njobs", 1)):
        monthly = truths.by_site(htc, lambda r, c=column: int(r[c]), last)[site]
        yearly = truths.years(monthly, last[0], sum)
        sums[column] = yearly["2015"]
        assert sums[column] > MAX_VALUE  # beyond BIGINT: the DECIMAL sums were needed
        page = truths.metric_dir(out / "egi" / "site" / paths.encode(site), metric, default)
        expected = {k: v / scale for k, v in yearly.items()} | {"Total": sum(yearly.values()) / scale}
        problems = truths.compare(page, "yearly", expected, f"{site} {metric}")
        assert not problems, "\n".join(problems)
        if scale == 1:  # a count: the CSV download holds the exact integer
            with open(page / "yearly.csv", newline="") as f:
                total = next(r for r in csv.DictReader(f) if r["row_kind"] == "total")
            assert int(total["2015"]) == yearly["2015"]

    # The cube download keeps exact integers (no double): the site's 2015 sums to the unit.
    cube = out / "data" / "htc_monthly.parquet"
    got = duckdb.connect().execute(
        "SELECT sum(njobs)::HUGEINT, sum(normcpu_s)::HUGEINT FROM read_parquet($p) WHERE Site = $s AND Year = 2015",
        {"p": str(cube), "s": site}).fetchone()
    assert got == (sums["njobs"], sums["normcpu_s"])

    # /quality/ lists the reason, for HTC and GPU alike.
    html = (out / "quality" / "index.html").read_text()
    assert html.count(BEYOND_RANGE.replace("'", "&#39;")) >= 2, "the reason is not on /quality/"
