"""The MariaDB export against the shapes an APEL server's tables come in (issue 13):
optional datasets absent or empty, accelerators in the pull-request-459 shape or none,
each dataset family in its own database, and a value no contract column holds."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import one_error_line, run_build
from export_db import export_report, hashes, load_demo, run_fails, server_on_a_copy
from mariadb_server import USER, MariaDB, available

pytestmark = pytest.mark.skipif(not available(), reason="mariadb-server is not installed")

def test_optional_datasets_may_be_absent(own_server, tmp_path):
    """APEL 2.5 has no accelerator tables, and a grid-only database no cloud or storage
    tables: each absent dataset is skipped with one warning line naming its table; HTC
    and the topology are exported as ever."""
    db, env = own_server
    with db.root() as con:
        cur = con.cursor()
        for statement in ("DROP TABLE AcceleratorSummaries", "DROP VIEW VCloudSummaries", "DROP TABLE CloudSummaries",
                          "DROP VIEW VStarRecords", "DROP TABLE StarRecords"):
            cur.execute(statement)
    data = tmp_path / "data"
    result = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3 and all(line.startswith("warning: export: no ") for line in warnings)
    for dataset, table in (("gpu", "AcceleratorSummaries"), ("cloud", "CloudSummaries"), ("storage", "StarRecords")):
        assert any(table in line and f"no {dataset} data" in line for line in warnings)
        assert export_report(data, dataset)["absent"] is True
        assert not (data / "source" / dataset).exists()
    assert export_report(data)["rows_exported"] > 0
    assert (data / "source" / "topology" / "sites.parquet").exists()
    # HTC stays required: without it the export stops with one line.
    with db.root() as con:
        con.cursor().execute("DROP TABLE HybridSuperSummaries")
    line, _ = run_fails(data, env)
    assert "missing table" in line and "HybridSuperSummaries" in line


def test_a_dataset_with_no_rows_is_exported_empty_and_builds_empty_cubes(own_server, tmp_path):
    db, env = own_server
    with db.root() as con:
        cur = con.cursor()
        for table in ("CloudSummaries", "CloudRecords", "AcceleratorSummaries"):
            cur.execute(f"DELETE FROM {table}")
    data = tmp_path / "data"
    result = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    assert "warning" not in result.stderr  # present, only empty: nothing to warn about
    for dataset in ("cloud", "gpu"):
        report = export_report(data, dataset)
        assert not report.get("absent") and report["rows_exported"] == 0 == report["months_in_database"], dataset
    assert export_report(data, "storage")["rows_exported"] > 0
    run_build("cubes", "--data-dir", str(data), "--quiet", env_extra=env)
    for cube in ("cloud_monthly", "gpu_monthly"):
        assert pq.read_metadata(data / "cubes" / f"{cube}.parquet").num_rows == 0, cube
    assert pq.read_metadata(data / "cubes" / "storage_monthly.parquet").num_rows > 0


def test_unreadable_value_names_table_column_and_row_key(own_server, tmp_path):
    """A value that fits no column of the contract (a vCPU count wider than APEL's
    DECIMAL(10,3)) stops the export with one line naming the table, the column and the
    key of the row holding it, by either read path; never a traceback."""
    db, env = own_server
    with db.root() as con:
        cur = con.cursor()
        cur.execute("ALTER TABLE CloudSummaries MODIFY CpuCount DECIMAL(16, 3) UNSIGNED NOT NULL")
        cur.execute("UPDATE CloudSummaries SET CpuCount = 123456789.5 WHERE Year = 2022 AND Month = 3 "
                    "ORDER BY SiteID, ImageId LIMIT 1")
        cur.execute("""SELECT s.name, c.ImageId, d.name FROM CloudSummaries AS c JOIN Sites AS s ON s.id = c.SiteID
                       JOIN DNs AS d ON d.id = c.GlobalUserNameID WHERE c.CpuCount > 1000""")
        (site, image, dn), = cur.fetchall()
    for flags in ((), ("--no-bulk",)):
        proc = run_build("export", "--data-dir", str(tmp_path / "data"), "--quiet", *flags, env_extra=env,
                         check=False)
        line = one_error_line(proc, "cannot read column CpuCount of cloud", "table CloudSummaries",
                              f"SiteName={site!r}", "Year=2022", "Month=3", f"ImageId={image!r}",
                              "CpuCount=123456789.500")
        assert dn not in line, "the user's DN is personal data"
    # Nothing but the export's lock file (accounting/files.py: it stays, holding the pid).
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["source.lock"], "a failed export wrote no data"


@pytest.fixture(scope="module")
def pr459_datadir(tmp_path_factory) -> Path:
    """A stopped server's data directory holding the small demo with its accelerator table
    in the shape of APEL's pull request 459 (`demo --to-db --gpu-shape pr459`)."""
    return load_demo(tmp_path_factory.mktemp("mariadb-pr459"), "--gpu-shape", "pr459")


@pytest.fixture(scope="module")
def pr459(pr459_datadir, tmp_path_factory):
    """A server on a copy of it, and a first export through the bulk path (not to change)."""
    db = server_on_a_copy(pr459_datadir, tmp_path_factory.mktemp("mariadb") / "pr459")
    env = {"ACCOUNTING_DB_URL": db.url}
    data = tmp_path_factory.mktemp("pr459") / "data"
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    yield {"db": db, "env": env, "data": data}
    db.stop()


def _gpu_by_site_month(rows) -> dict[tuple, tuple[Decimal, Decimal]]:
    """(site, year, month) → (Σ Count × ActiveDuration, Σ Count × AvailableDuration)."""
    sums = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for site, year, month, active, offered in rows:
        a, b = sums[(site, int(year), int(month))]
        sums[(site, int(year), int(month))] = (a + Decimal(active), b + Decimal(offered))
    return dict(sums)


def test_accelerators_in_apel_pr459_shape_reach_the_site_without_vo(pr459, tmp_path):
    """APEL's accelerator work in progress has no FQAN and no UpdateTime: the export reads
    them as NULL, nothing is quarantined, the GPU sums of cubes and downloads equal the
    database's, and every GPU page says there is no VO breakdown, with none shown."""
    report = export_report(pr459["data"], "gpu")
    assert report["shape"] == "pr459" and report["rows_quarantined"] == 0
    with pr459["db"].root() as con:
        cur = con.cursor()
        cur.execute("SELECT COUNT(*) FROM AcceleratorSummaries")
        assert report["rows_exported"] == cur.fetchone()[0] > 0
        cur.execute("SELECT SiteName, Year, Month, SUM(Count * ActiveDuration), SUM(Count * AvailableDuration) "
                    "FROM AcceleratorSummaries GROUP BY SiteName, Year, Month")
        want = _gpu_by_site_month(cur.fetchall())
    src = f"read_parquet('{pr459['data']}/source/gpu/*/*/*.parquet', hive_partitioning = false)"
    assert duckdb.connect().execute(f"SELECT count(FQAN), count(UpdateTime) FROM {src}").fetchone() == (0, 0)
    data, out = tmp_path / "data", tmp_path / "out"
    shutil.copytree(pr459["data"], data)
    run_build("cubes", "--data-dir", str(data), "--quiet")
    run_build("site", "--data-dir", str(data), "--output", str(out), "--quiet")
    cube = pq.read_table(data / "cubes" / "gpu_monthly.parquet").to_pylist()
    assert {r["VO"] for r in cube} == {None}  # absent in the cube; the pages label it
    assert _gpu_by_site_month((r["Site"], r["Year"], r["Month"], r["gpu_active_s"], r["gpu_available_s"])
                              for r in cube) == want
    with open(out / "data" / "gpu_monthly.csv", newline="") as f:
        assert _gpu_by_site_month((r["Site"], r["Year"], r["Month"], r["gpu_active_s"], r["gpu_available_s"])
                                  for r in csv.DictReader(f)) == want
    assert not (out / "gpu" / "vo").exists()
    pages = sorted((out / "gpu").rglob("index.html"))
    assert len(pages) > 20 and {site for site, _, _ in want} <= {p.parent.name for p in pages}
    for page in pages:
        html = page.read_text()
        assert "carry no FQAN, so usage cannot be split by VO" in html and "gpu/vo/" not in html, page


def test_pr459_restated_month_is_read_again_and_only_it(pr459_datadir, tmp_path):
    """Without UpdateTime, a month is re-read when its fingerprint (rows, sums, row
    checksums) changed: a restated duration, or a corrected name that changes no sum;
    an unchanged month is not read again."""
    db = server_on_a_copy(pr459_datadir, tmp_path / "db")
    try:
        env = {"ACCOUNTING_DB_URL": db.url}
        data = tmp_path / "data"
        export = ("export", "--data-dir", str(data), "--quiet", "--restate-months", "0")
        run_build(*export, env_extra=env)
        first = export_report(data, "gpu")
        assert first["months_read"] == first["months_in_database"] > 2
        run_build(*export, env_extra=env)
        assert export_report(data, "gpu")["months_read"] == 0
        with db.root() as con:
            cur = con.cursor()
            cur.execute("SELECT Year, Month FROM AcceleratorSummaries GROUP BY Year, Month HAVING COUNT(*) > 3 "
                        "ORDER BY Year, Month LIMIT 2")
            (y1, m1), (y2, m2) = cur.fetchall()
            cur.execute(f"UPDATE AcceleratorSummaries SET ActiveDuration = ActiveDuration + 3600 "
                        f"WHERE Year = {y1} AND Month = {m1} ORDER BY SiteName, Model, Cores, Count LIMIT 1")
            cur.execute(f"UPDATE AcceleratorSummaries SET GlobalUserName = '/CN=corrected user' "
                        f"WHERE Year = {y2} AND Month = {m2} ORDER BY SiteName, Model, Cores, Count LIMIT 1")
            cur.execute(f"SELECT SUM(Count * ActiveDuration) FROM AcceleratorSummaries WHERE Year = {y1} AND "
                        f"Month = {m1}")
            active = cur.fetchone()[0]
        before = {p: p.stat().st_ino for p in (data / "source" / "gpu").rglob("*.parquet")}
        run_build(*export, env_extra=env)
        restated = {f"{y1:04d}-{m1:02d}", f"{y2:04d}-{m2:02d}"}
        assert set(export_report(data, "gpu")["months"]) == restated
        for path, inode in before.items():  # the others carried over: the very same files
            if f"{path.parent.parent.name[5:]}-{path.parent.name[6:]}" not in restated:
                assert path.stat().st_ino == inode, path
        month = pq.read_table(data / "source" / "gpu" / f"year={y1:04d}" / f"month={m1:02d}" / "part-0.parquet")
        assert sum(r["Count"] * r["ActiveDuration"] for r in month.to_pylist()) == active
        users = pq.read_table(data / "source" / "gpu" / f"year={y2:04d}" / f"month={m2:02d}" / "part-0.parquet",
                              columns=["GlobalUserName"])
        assert "/CN=corrected user" in users["GlobalUserName"].to_pylist()
    finally:
        db.stop()


def test_pr459_both_read_paths_give_the_same_parquet(pr459, tmp_path):
    plain = tmp_path / "plain"
    run_build("export", "--data-dir", str(plain), "--quiet", "--no-bulk", env_extra=pr459["env"])
    assert export_report(plain, "gpu")["shape"] == "pr459"
    bulk_gpu, plain_gpu = hashes(pr459["data"] / "source" / "gpu"), hashes(plain / "source" / "gpu")
    assert any(p.endswith(".parquet") for p in bulk_gpu) and bulk_gpu == plain_gpu
    assert not (plain / "source" / "quarantine" / "gpu.parquet").exists()


def test_gpu_shape_none_loads_no_accelerator_table_and_the_export_skips_it(own_server, tmp_path):
    """`demo --to-db --gpu-shape none` over a database that had the accelerator table
    drops it; the export then warns in one line and goes on without GPU data."""
    db, env = own_server
    run_build("demo", "--to-db", "--demo-scale", "small", "--gpu-shape", "none", "--quiet", env_extra=env)
    with db.root() as con:
        cur = con.cursor()
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                    "AND table_name = 'AcceleratorSummaries'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT Type FROM LastUpdated")
        assert "GPU" not in {t for t, in cur.fetchall()}
    data = tmp_path / "data"
    result = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "no gpu data" in warnings[0] and "AcceleratorSummaries" in warnings[0], warnings
    assert export_report(data, "gpu")["absent"] is True and not (data / "source" / "gpu").exists()
    assert export_report(data)["rows_exported"] > 0 and export_report(data, "cloud")["rows_exported"] > 0


def test_each_family_in_its_own_database(built, tmp_path):
    """Grid, cloud, storage and accelerator accounting in four databases
    (ACCOUNTING_CLOUD_DB_URL, ACCOUNTING_STORAGE_DB_URL, ACCOUNTING_GPU_DB_URL): the demo
    loads each family into its own, the export reads each from its own, with the same rows
    as a single database gives."""
    db = MariaDB(tmp_path / "db").start()
    try:
        with db.root() as con:
            cur = con.cursor()
            for family in ("cloud", "storage", "gpu"):
                cur.execute(f"CREATE DATABASE apel_{family} CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci")
                for host in ("127.0.0.1", "localhost"):
                    cur.execute(f"GRANT ALL ON apel_{family}.* TO '{USER}'@'{host}'")
        server = db.url.rsplit("/", 1)[0]
        env = {"ACCOUNTING_DB_URL": db.url, **{f"ACCOUNTING_{family.upper()}_DB_URL": f"{server}/apel_{family}"
                                               for family in ("cloud", "storage", "gpu")}}
        run_build("demo", "--to-db", "--demo-scale", "small", "--quiet", env_extra=env)
        with db.root() as con:
            cur = con.cursor()
            cur.execute("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_name IN ('CloudSummaries', 'HybridSuperSummaries', 'StarRecords', "
                        "'AcceleratorSummaries')")
            assert set(cur.fetchall()) == {("apel_cloud", "CloudSummaries"), ("apel", "HybridSuperSummaries"),
                                           ("apel_storage", "StarRecords"), ("apel_gpu", "AcceleratorSummaries")}
        data = tmp_path / "data"
        run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
        q = "SELECT * FROM read_parquet('{}/source/{}/*/*/*.parquet', hive_partitioning = false) ORDER BY ALL"
        duck = duckdb.connect()
        for dataset in ("htc", "cloud", "storage", "gpu"):
            rows = duck.execute(q.format(data, dataset)).fetchall()
            assert rows and rows == duck.execute(q.format(built["data"], dataset)).fetchall(), dataset
        state = json.loads((data / "export_state.json").read_text())
        assert state["htc"]["database"].endswith("/apel")
        for family in ("cloud", "storage", "gpu"):
            assert state[family]["database"].endswith(f"/apel_{family}")
    finally:
        db.stop()
