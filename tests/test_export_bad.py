"""Bad rows in each fact table of a real MariaDB (the small demo with rows planted that
break the export's rules, and suspicious but valid ones beside them): quarantined with
their reason or kept and flagged, every month balanced, and listed on /quality/.

The rows of the four tables are planted in one server, read by one export and built by one
`cubes` and one `site` run; each test then reads what concerns its table. A build is what
these tests spend their time on (some 40 s each on two cores), and no table's planted rows
touch another table's: HTC's rows are summaries of 2015-06 (with an empty site and VO
name added to the lookups), storage's records of 2021-03 (an empty group added), GPU's
summaries of 2022-07, cloud's of 2022-03, each in its own quarantine and findings."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from accounting.source.demo import cloud as demo_cloud
from conftest import run_build
from export_db import HSS_COLUMNS, export_report, server_on_a_copy
from mariadb_server import available

pytestmark = pytest.mark.skipif(not available(), reason="mariadb-server is not installed")

# HTC: (reason → change) of copies of one 2015-06 summary, each quarantined for the reason.
HTC_BAD = {
    "month not in 1-12": dict(month="13"),
    "year out of range": dict(year="1990"),
    "negative duration or job count": dict(jobs="-5"),
    "unknown benchmark type": dict(bench="'specint-2099'"),
    "empty site": dict(site="{empty_site}"),
    "site id not in Sites": dict(site="999999"),  # lost in an inner join before
    "negative processor or node count": dict(procs="-8"),
    "normalised wall time inconsistent with wall time × benchmark":
        dict(normwall="NormalisedWallDuration * 3 + 1000"),
}
# Valid as APEL writes them: a normalised summary (ServiceLevel 0, type 'None' or 'custom',
# any normalised time) of a job without a VO.
HTC_GOOD = [dict(level="0", bench="'None'", vo="{empty_vo}", normwall="NormalisedWallDuration * 3 + 1000"),
            dict(level="1", bench="'custom'", normwall="NormalisedWallDuration * 3 + 1000")]
STORAGE_BAD = {
    "start after end": dict(start="EndTime + INTERVAL 1 DAY"),
    "negative capacity or file count": dict(files="-3"),
}
GPU_QUARANTINED = {"negative duration or count": dict(active="-60"),
                   "unknown record type": dict(rtype="'batch-vm'")}
GPU_FLAGGED = {"GPU active time above available time": dict(active="AvailableDuration * 2"),
               "GPU model not in the model table": dict(model="'Imaginary GPU 9000'")}
CLOUD_CHANGES = {
    "negative duration or count": {"WallDuration": "-3600"},
    "zero CPU count": {"CpuCount": "0"},
    "unknown status": {"Status": "'migrating-legacy'"},
    "cloud CPU time above wall time × vCPUs": {"CpuDuration": "WallDuration * CpuCount * 3 + 1"},
}
CLOUD_QUARANTINED = [r for r in CLOUD_CHANGES if not r.startswith("cloud ")]


def _plant_htc(cur) -> None:
    # Signed columns, as some databases have them, so a negative count can exist.
    cur.execute("ALTER TABLE HybridSuperSummaries MODIFY NumberOfJobs BIGINT NOT NULL")
    cur.execute("INSERT INTO Sites (name) VALUES ('')")
    cur.execute("INSERT INTO VOs (name) VALUES ('')")
    cur.execute("SELECT id FROM Sites WHERE name = ''")
    empty_site = cur.fetchone()[0]
    cur.execute("SELECT id FROM VOs WHERE name = ''")
    empty_vo = cur.fetchone()[0]
    template = f"""INSERT INTO HybridSuperSummaries {HSS_COLUMNS}
        SELECT {{site}}, {{month}}, {{year}}, GlobalUserNameID, {{vo}}, VOGroupID, VORoleID, SubmitHostId,
               Infrastructure, InfrastructureDescription, {{bench}}, {{level}}, NodeCount, {{procs}},
               EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, {{normwall}},
               NormalisedCpuDuration, {{jobs}}, UpdateTime
        FROM HybridSuperSummaries WHERE Year = 2015 AND Month = 6 AND ServiceLevelType <> 'si2k' LIMIT 1"""
    base = dict(site="SiteID", month="Month", year="Year", vo="VOID", bench="ServiceLevelType",
                level="ServiceLevel", normwall="NormalisedWallDuration", jobs="NumberOfJobs")
    ids = dict(empty_site=empty_site, empty_vo=empty_vo)
    for i, change in enumerate([*HTC_BAD.values(), *HTC_GOOD]):  # own Processors: own key
        change = {k: v.format(**ids) for k, v in change.items()}
        cur.execute(template.format(**{**base, "procs": 70 + i, **change}))


def _plant_storage(cur) -> None:
    cur.execute("ALTER TABLE StarRecords MODIFY FileCount BIGINT")  # signed, so it can go negative
    # APEL's StarRecords hold a lookup id for every name: a VO-less record names ''.
    cur.execute("INSERT INTO `Groups` (name) VALUES ('')")
    no_group = cur.lastrowid
    template = """INSERT INTO StarRecords (RecordId, CreateTime, StorageSystemID, SiteID, StorageShareID,
            StorageMediaID, StorageClassID, FileCount, UserIdentityID, GroupID, SubGroupID, RoleID, StartTime,
            EndTime, ResourceCapacityUsed, LogicalCapacityUsed, ResourceCapacityAllocated)
        SELECT 'bad-{i}', CreateTime, StorageSystemID, SiteID, StorageShareID, StorageMediaID, StorageClassID,
            {files}, UserIdentityID, {group}, SubGroupID, RoleID, {start}, EndTime, ResourceCapacityUsed,
            LogicalCapacityUsed, ResourceCapacityAllocated
        FROM StarRecords WHERE EndTime >= '2021-03-01' AND EndTime < '2021-04-01'
            AND RecordId NOT LIKE 'bad-%' ORDER BY RecordId LIMIT 1"""
    base = dict(files="FileCount", group="GroupID", start="StartTime")
    for i, change in enumerate(STORAGE_BAD.values()):
        cur.execute(template.format(i=i, **{**base, **change}))
    # A record without a group is valid: the 'no VO' entity.
    cur.execute(template.format(i="ok", **{**base, "group": str(no_group)}).replace("'bad-ok'", "'ok-0'"))


def _plant_gpu(cur) -> None:
    cur.execute("ALTER TABLE AcceleratorSummaries MODIFY ActiveDuration BIGINT NOT NULL")  # signed
    template = """INSERT INTO AcceleratorSummaries
        SELECT Month, Year, SiteName, GlobalUserName, FQAN, Type, {model}, Count, Cores + {i},
               {available}, {active}, BenchmarkType, Benchmark, {rtype}, NumberOfRecords, UpdateTime
        FROM AcceleratorSummaries WHERE Year = 2022 AND Month = 7 AND Cores < 100000
        ORDER BY SiteName, Model, Cores LIMIT 1"""
    base = dict(model="Model", available="AvailableDuration", active="ActiveDuration", rtype="AssociatedRecordType")
    for i, change in enumerate([*GPU_QUARANTINED.values(), *GPU_FLAGGED.values()]):
        cur.execute(template.format(i=100_000 + i, **{**base, **change}))


def _plant_cloud(cur) -> None:
    cur.execute("SHOW COLUMNS FROM CloudSummaries")
    columns = [r[0] for r in cur.fetchall()]
    cur.execute("ALTER TABLE CloudSummaries MODIFY WallDuration BIGINT NOT NULL")  # signed
    for i, change in enumerate(CLOUD_CHANGES.values()):
        change = {"ImageId": f"'bad-image-{i}'", **change}
        select = ", ".join(change.get(c, c) for c in columns)
        cur.execute(f"INSERT INTO CloudSummaries SELECT {select} FROM CloudSummaries "
                    "WHERE Year = 2022 AND Month = 3 AND ImageId NOT LIKE 'bad-image-%' ORDER BY ImageId LIMIT 1")


@pytest.fixture(scope="module")
def planted(demo_datadir, tmp_path_factory) -> dict:
    """The bad rows of every table planted in one server, exported once (the server is
    stopped then: the tests read only what the export and the build wrote), cubes and site
    built; with the /quality/ page's text."""
    base = tmp_path_factory.mktemp("bad-rows")
    db = server_on_a_copy(demo_datadir, base / "db")
    data, out = base / "data", base / "out"
    try:
        for plant in (_plant_htc, _plant_storage, _plant_gpu, _plant_cloud):
            with db.root() as con:
                plant(con.cursor())
        run_build("export", "--data-dir", str(data), "--quiet", env_extra={"ACCOUNTING_DB_URL": db.url})
    finally:
        db.stop()
    run_build("cubes", "--data-dir", str(data), "--quiet")
    run_build("site", "--data-dir", str(data), "--output", str(out), "--quiet")
    return {"data": data, "quality": (out / "quality" / "index.html").read_text()}


def _months_balance(report: dict) -> None:
    for key, month in report["months"].items():
        assert month["read"] == month["exported"] + sum(month["quarantined"].values()), key


def test_bad_rows_are_quarantined_and_every_month_balances(planted):
    data = planted["data"]
    q = pq.read_table(data / "source" / "quarantine" / "htc.parquet")
    assert sorted(q["reason"].to_pylist()) == sorted(HTC_BAD)
    report = export_report(data)
    _months_balance(report)
    assert report["rows_quarantined"] == len(HTC_BAD)
    assert report["rows_read"] == report["rows_exported"] + len(HTC_BAD)
    # Suspicious but valid rows (zero benchmark) stay in the export, and so do APEL's own.
    exported = f"read_parquet('{data}/source/htc/*/*/*.parquet', hive_partitioning = false)"
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM {exported} WHERE ServiceLevel = 0").fetchone()[0] > 0
    kept = con.execute(f"SELECT ServiceLevelType, VO = '' FROM {exported} WHERE Processors >= {70 + len(HTC_BAD)} "
                       "ORDER BY Processors").fetchall()
    assert kept == [("None", True), ("custom", False)]
    # The quality page lists the quarantined rows by reason and site.
    html = planted["quality"]
    assert "Quarantined by the export" in html
    for reason in HTC_BAD:
        assert reason.replace("×", "&#215;") in html or reason in html, reason
    assert "(empty site)" in html
    assert 'href="../egi/site/~28empty' not in html  # no page, so no link


def test_bad_storage_records_are_quarantined_and_listed(planted):
    data = planted["data"]
    q = pq.read_table(data / "source" / "quarantine" / "storage.parquet")
    assert sorted(q["reason"].to_pylist()) == sorted(STORAGE_BAD)
    assert q["RecordId"].to_pylist() and set(q["RecordId"].to_pylist()) == {f"bad-{i}" for i in range(len(STORAGE_BAD))}
    assert duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{data}/source/storage/*/*/*.parquet', hive_partitioning = false) "
        "WHERE RecordId = 'ok-0' AND \"Group\" = ''").fetchone()[0] == 1
    report = export_report(data, "storage")
    assert report["rows_read"] == report["rows_exported"] + len(STORAGE_BAD)
    _months_balance(report)
    assert "Storage records quarantined by the export" in planted["quality"]
    for reason in STORAGE_BAD:
        assert reason in planted["quality"]


def test_bad_gpu_records_are_quarantined_or_flagged(planted):
    data = planted["data"]
    q = pq.read_table(data / "source" / "quarantine" / "gpu.parquet")
    assert sorted(q["reason"].to_pylist()) == sorted(GPU_QUARANTINED)
    report = export_report(data, "gpu")
    assert report["rows_read"] == report["rows_exported"] + len(GPU_QUARANTINED)
    kept = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{data}/source/gpu/*/*/*.parquet', hive_partitioning = false) "
        "WHERE Cores >= 100000").fetchone()[0]
    assert kept == len(GPU_FLAGGED)
    for finding in [*GPU_FLAGGED, "GPU records quarantined by the export", *GPU_QUARANTINED]:
        assert finding in planted["quality"], finding
    assert "Imaginary GPU 9000" in planted["quality"]


def test_bad_cloud_summaries_are_quarantined_or_flagged(planted):
    data = planted["data"]
    q = pq.read_table(data / "source" / "quarantine" / "cloud.parquet").to_pylist()
    assert sorted(r["reason"] for r in q if r["ImageId"].startswith("bad-image-")) == sorted(CLOUD_QUARANTINED)
    # The demo's own bad rows (zero CPU count, an unknown status) are quarantined too.
    assert {r["SiteName"] for r in q if not r["ImageId"].startswith("bad-image-")} == \
        {*demo_cloud.ZERO_CPU_COUNT_SITES, *demo_cloud.UNKNOWN_STATUS_SITES}
    report = export_report(data, "cloud")
    assert report["rows_read"] == report["rows_exported"] + len(q) and report["rows_quarantined"] == len(q)
    for finding in ["Cloud CPU time above wall time × vCPUs", "Cloud records quarantined by the export",
                    *CLOUD_QUARANTINED]:
        assert finding in planted["quality"], finding
