"""The export against a careless source (issue 14): ids with no name, summaries held twice,
a month in the year 9999, a site renamed between two nights. One server, the cases planted
together; every row of the source is exported or quarantined with its reason, counted in
the source tables themselves."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from accounting.source import contracts
from accounting.source.validation import DUPLICATE
from conftest import run_build
from export_db import export_report, server_on_a_copy
from mariadb_server import available

pytestmark = pytest.mark.skipif(not available(), reason="mariadb-server is not installed")

NO_ID = 999_999  # an id no lookup table holds
# (table, id column changed to NO_ID, the reason the row gets)
DANGLING = [
    ("HybridSuperSummaries", "SiteID", "site id not in Sites"),
    ("HybridSuperSummaries", "VOID", "VO id not in VOs"),
    ("HybridSuperSummaries", "GlobalUserNameID", "GlobalUserName id not in DNs"),
    ("HybridSuperSummaries", "SubmitHostId", "SubmitHost id not in SubmitHosts"),
    ("CloudSummaries", "SiteID", "site id not in Sites"),
    ("CloudSummaries", "CloudComputeServiceID", "CloudComputeService id not in CloudComputeServices"),
    ("CloudSummaries", "VORoleID", "VORole id not in VORoles"),
    ("StarRecords", "SiteID", "site id not in Sites"),
]
DATASET_OF = {"HybridSuperSummaries": "htc", "CloudSummaries": "cloud", "StarRecords": "storage",
              "AcceleratorSummaries": "gpu"}


def _copy_row(cur, table: str, where: str, changes: dict[str, str]) -> None:
    """Insert a copy of the first row of `table` matching `where`, with `changes` (SQL)."""
    cur.execute(f"SHOW COLUMNS FROM {table}")
    columns = [r[0] for r in cur.fetchall()]
    select = ", ".join(changes.get(c, f"`{c}`") for c in columns)
    cur.execute(f"INSERT INTO {table} SELECT {select} FROM {table} WHERE {where} ORDER BY 1, 2, 3 LIMIT 1")
    assert cur.rowcount == 1, (table, where, changes)


def _source_counts(cur) -> dict[str, int]:
    out = {}
    for table, dataset in DATASET_OF.items():
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        out[dataset] = cur.fetchone()[0]
    return out


def _parquet(data: Path, dataset: str, select: str, where: str = "true"):
    """One value over the exported rows of `dataset`."""
    return duckdb.connect().execute(f"SELECT {select} FROM read_parquet('{data}/source/{dataset}/*/*/*.parquet', "
                                    f"hive_partitioning = false) WHERE {where}").fetchone()[0]


def _quarantined(data: Path, dataset: str) -> list[dict]:
    path = contracts.QUARANTINES[dataset].path(data / "source")
    return pq.read_table(path).to_pylist() if path.exists() else []


@pytest.fixture(scope="module")
def planted(demo_datadir, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-export")
    db = server_on_a_copy(demo_datadir, base / "db")
    with db.root() as con:
        cur = con.cursor()
        for table, column, _ in DANGLING:
            where = "EndTime >= '2021-03-01' AND EndTime < '2021-04-01'" if table == "StarRecords" else \
                "Year = 2021 AND Month = 3"
            changes = {column: str(NO_ID)}
            if table == "StarRecords":
                changes["RecordId"] = "CONCAT('dangling-', RecordId)"
            _copy_row(cur, table, where, changes)
        # Summaries held twice: possible where a key has a NULL (the accelerators' benchmark), or a
        # database without the key (as some have; dropped here), or a type in another case.
        cur.execute("ALTER TABLE HybridSuperSummaries DROP PRIMARY KEY")
        cur.execute("ALTER TABLE CloudSummaries DROP PRIMARY KEY")
        _copy_row(cur, "HybridSuperSummaries", "Year = 2020 AND Month = 7", {})
        _copy_row(cur, "HybridSuperSummaries", "Year = 2023 AND Month = 8 AND ServiceLevelType = 'hepscore23'",
                  {"ServiceLevelType": "'HEPscore23'", "UpdateTime": "UpdateTime + INTERVAL 1 DAY"})
        _copy_row(cur, "CloudSummaries", "Year = 2022 AND Month = 3", {})
        _copy_row(cur, "AcceleratorSummaries", "BenchmarkType IS NULL", {})
        # A summary dated in the year 9999: quarantined, and no month of the restatement window.
        _copy_row(cur, "HybridSuperSummaries", "Year = 2021 AND Month = 5", {"Year": "9999"})
        counts = _source_counts(cur)
        cur.execute("SELECT SUM(NumberOfJobs) FROM HybridSuperSummaries")
        jobs = int(cur.fetchone()[0])
    env = {"ACCOUNTING_DB_URL": db.url}
    data = base / "data"
    proc = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    yield {"db": db, "env": env, "data": data, "counts": counts, "jobs": jobs, "stderr": proc.stderr}
    db.stop()


def test_every_source_row_is_exported_or_quarantined(planted):
    data = planted["data"]
    assert "warning" not in planted["stderr"]
    for dataset, in_source in planted["counts"].items():
        exported = _parquet(data, dataset, "count(*)")
        assert exported + len(_quarantined(data, dataset)) == in_source, dataset
        report = export_report(data, dataset)
        for key, month in report["months"].items():
            assert month["in_source"] == month["read"] == month["exported"] + sum(month["quarantined"].values()), key
    jobs = _parquet(data, "htc", "sum(NumberOfJobs)")
    assert jobs + sum(r["NumberOfJobs"] for r in _quarantined(data, "htc")) == planted["jobs"]


def test_ids_without_a_name_are_quarantined_with_their_reason(planted):
    data = planted["data"]
    for table, _, reason in DANGLING:
        rows = [r for r in _quarantined(data, DATASET_OF[table]) if r["reason"] == reason]
        assert len(rows) == 1, (table, reason)


def test_a_summary_held_twice_is_counted_once(planted):
    data = planted["data"]
    htc = [r for r in _quarantined(data, "htc") if r["reason"] == DUPLICATE]
    assert sorted((r["Year"], r["Month"]) for r in htc) == [(2020, 7), (2023, 8)]
    for dataset in ("cloud", "gpu"):
        assert [r["reason"] for r in _quarantined(data, dataset)].count(DUPLICATE) == 1, dataset
    # No two exported summaries are alike (the benchmark type read as the cubes read it).
    rows = f"read_parquet('{data}/source/htc/*/*/*.parquet', hive_partitioning = false)"
    distinct = duckdb.connect().execute(
        "SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (UpdateTime) REPLACE (lower(ServiceLevelType) AS "
        f"ServiceLevelType) FROM {rows})").fetchone()[0]
    assert distinct == _parquet(data, "htc", "count(*)")



def test_quality_page_lists_the_new_reasons(planted, tmp_path):
    data = planted["data"]
    run_build("cubes", "--data-dir", str(data), "--quiet")
    run_build("site", "--data-dir", str(data), "--output", str(tmp_path / "out"), "--quiet")
    html = (tmp_path / "out" / "quality" / "index.html").read_text()
    for reason in {DUPLICATE, "year out of range", *(r for _, _, r in DANGLING)}:
        assert reason in html, reason


def test_a_year_9999_takes_no_month_of_the_restatement_window(planted):
    data = planted["data"]
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=planted["env"])
    state = json.loads((data / "export_state.json").read_text())["htc"]
    assert "9999-05" in state["months"] and "9999-05" in state["empty"]  # listed, nothing exported
    read = sorted(export_report(data)["months"])
    assert read == sorted(k for k in state["months"] if k < "9999")[-3:]


def test_a_renamed_site_is_noticed_the_next_night(planted):
    data, env = planted["data"], planted["env"]
    with planted["db"].root() as con:
        cur = con.cursor()
        cur.execute("SELECT s.id, s.name FROM Sites AS s JOIN HybridSuperSummaries AS h ON h.SiteID = s.id "
                    "WHERE h.Year = 2019 ORDER BY s.name LIMIT 1")
        site_id, old = cur.fetchone()
        cur.execute("UPDATE Sites SET name = 'RENAMED-SITE' WHERE id = %s", (site_id,))
        cur.execute("SELECT COUNT(*) FROM HybridSuperSummaries WHERE SiteID = %s AND Year BETWEEN 2000 AND 2100",
                    (site_id,))
        in_source = cur.fetchone()[0]
    proc = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    assert "names in Sites changed since the last export" in proc.stderr
    report = export_report(data)
    assert report["months_read"] == report["months_in_database"]
    assert _parquet(data, "htc", "count(*)", f"Site = '{old}'") == 0
    quarantined = [r for r in _quarantined(data, "htc") if r["Site"] == "RENAMED-SITE"]
    assert _parquet(data, "htc", "count(*)", "Site = 'RENAMED-SITE'") + len(quarantined) == in_source
    # The next night, nothing changed: the restatement window only, no word of names.
    proc = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    assert "names in" not in proc.stderr
    assert export_report(data)["months_read"] == 3
