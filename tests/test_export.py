"""The MariaDB export against a real server (Debian's mariadb-server on a throwaway data
directory and port): round trip, incremental runs, faults and bad input; and the
acceptance of the APEL path (issue 13): the pages built from the export show, site by
site, what SQL on the server computes from APEL's own tables."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from statistics import fmean

import duckdb
import pyarrow.parquet as pq
import pytest

import apel_truth as truths
from accounting import catalogue
from accounting.site import paths
from accounting.site.kinds import STORAGE_DEFAULT_METRIC
from accounting.source import db_load
from accounting.source.demo import federation as demo
from conftest import EPOCH, run_build, start_build, wait_until
from export_db import HSS_COLUMNS, export_report, hashes, run_fails, server_on_a_copy
from mariadb_server import PASSWORD, USER, available

pytestmark = pytest.mark.skipif(not available(), reason="mariadb-server is not installed")
# How long the server must have been producing the scan's rows before it is killed: at
# 10 ms a row, some 200 rows, several network packets of them (about 60 rows each).
STREAMED_MS = 2000


@pytest.fixture(scope="module")
def server(demo_datadir, tmp_path_factory):
    """The module's shared server, the small demo loaded."""
    db = server_on_a_copy(demo_datadir, tmp_path_factory.mktemp("mariadb") / "shared")
    yield db
    db.stop()


@pytest.fixture(scope="module")
def truth(server) -> dict:
    """What the shared server's database holds, by SQL on the server (tests/apel_truth.py):
    per site and month, each rule broken (None: valid), the row count and the sums the pages
    show. Taken before the first export (other tests change this database afterwards)."""
    with server.root() as con:
        cur = con.cursor()
        # UTC, as the export reads; exact quotients, rounded once to the cubes' thousandth.
        cur.execute("SET time_zone = '+00:00', div_precision_increment = 30")
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
        tables = {name for (name,) in cur.fetchall()}
        out = {dataset: truths.grouped(cur, sql, sums) if table in tables else None
               for dataset, table, sql, sums in (("htc", "HybridSuperSummaries", truths.HTC, ("normcpu_s", "njobs")),
                                                 ("cloud", "CloudSummaries", truths.CLOUD, ("core_s",)),
                                                 ("storage", "StarRecords", truths.STORAGE, ()),
                                                 ("gpu", "AcceleratorSummaries", truths.GPU, ()))}
        out["storage_months"] = truths.fetch(cur, truths.STORAGE_MONTHS) if "StarRecords" in tables else []
        # The data's as-of time, from which the pages take their last complete month.
        as_of = truths.fetch(cur, f"SELECT MAX(UpdateTime) AS t FROM ({truths.HTC}) AS f WHERE reason IS NULL")
    out["last"] = truths.last_complete_month(as_of[0]["t"])
    return out


@pytest.fixture(scope="module")
def loaded(server, built, truth):
    """The shared server, and a first full export of it."""
    env = {"ACCOUNTING_DB_URL": server.url}
    data = built["data"].parent / "from_db" / "data"
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    return {"env": env, "data": data}


@pytest.fixture(scope="module")
def from_db(loaded) -> dict:
    """Cubes and site built once from that export."""
    env, data = loaded["env"], loaded["data"]
    run_build("cubes", "--data-dir", str(data), "--quiet", env_extra=env)
    out = data.parent / "site"
    run_build("site", "--data-dir", str(data), "--output", str(out), "--quiet", env_extra=env)
    return {**loaded, "output": out}


def test_round_trip_gives_the_same_cubes_and_pages(built, from_db):
    data, out = from_db["data"], from_db["output"]
    # Same rows as the demo's own Parquet, column by column.
    con = duckdb.connect()
    q = "SELECT * FROM read_parquet('{}/source/htc/*/*/*.parquet', hive_partitioning = false) ORDER BY ALL"
    assert con.execute(q.format(data)).fetchall() == con.execute(q.format(built["data"])).fetchall()
    assert hashes(data / "cubes") == hashes(built["cubes"])
    # The same pages and downloads; the manifests list the same files, and the same source
    # rows, whose Parquet bytes differ (the export writes other row groups than the demo).
    site, demo_site = hashes(out), hashes(built["output"])
    assert site.keys() == demo_site.keys()
    assert {k: v for k, v in site.items() if k != "manifest.json"} == \
        {k: v for k, v in demo_site.items() if k != "manifest.json"}
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (out, built["output"])]
    assert manifests[0]["files"] == manifests[1]["files"]
    assert manifests[0]["build_id"] == manifests[1]["build_id"]
    assert {k: v["rows"] for k, v in manifests[0]["datasets"].items() if k != "quarantine"} == \
        {k: v["rows"] for k, v in manifests[1]["datasets"].items() if k != "quarantine"}


def _valid_sites(rows: list[dict] | None) -> set[str]:
    return {r["site"] for r in rows or () if r["reason"] is None}


def test_every_site_in_the_database_has_its_pages(from_db, truth):
    """Every site with a valid row in HybridSuperSummaries, CloudSummaries or StarRecords
    has its pages in that view (/egi/site/<site>/ with every HTC metric, /cloud/site/,
    /storage/site/), and no other site has one."""
    out = from_db["output"]
    for view, dataset in (("egi", "htc"), ("cloud", "cloud"), ("storage", "storage")):
        pages = {paths.decode(p.parent.name) for p in (out / view / "site").glob("*/index.html")}
        assert pages == _valid_sites(truth[dataset]), view
    htc = catalogue.load().families["htc"]
    missing = [f"{site} {metric}" for site in _valid_sites(truth["htc"]) for metric in htc.metrics
               if not (truths.metric_dir(out / "egi" / "site" / paths.encode(site), metric, htc.default)
                       / "index.html").exists()]
    assert not missing


def test_htc_site_figures_equal_sql_sums(from_db, truth):
    """Per site and month (the monthly table) and per site and year (the yearly table), the
    normalised CPU hours (Σ NormalisedCpuDuration / 3600) and the jobs of the site's pages,
    CSV and Parquet equal SQL sums over HybridSuperSummaries: every row validation lets
    through (the quarantine test shows those are all the valid ones), grid and local, every
    VO. Site pages have no VO-group or job-type variants: they show all VOs and all jobs."""
    last, out = truth["last"], from_db["output"]
    default = catalogue.load().families["htc"].default
    problems = []
    for metric, column, scale in (("normcpu", "normcpu_s", 3600), ("njobs", "njobs", 1)):
        for site, sums in truths.by_site(truth["htc"], lambda r, c=column: int(r[c]), last).items():
            page = truths.metric_dir(out / "egi" / "site" / paths.encode(site), metric, default)
            for table, periods in (("table", {m: sums.get(m, 0) for m in truths.window(last)}),
                                   ("yearly", truths.years(sums, last[0], sum))):
                expected = {k: v / scale for k, v in periods.items()} | {"Total": sum(periods.values()) / scale}
                problems += truths.compare(page, table, expected, f"{site} {metric}")
    assert not problems, "\n".join(problems[:40])


def test_cloud_site_core_hours_equal_sql_sums(from_db, truth):
    """Per site and month, and year, the cloud core hours (Σ WallDuration × CpuCount / 3600,
    CpuCount APEL's DECIMAL) of /cloud/site/<site>/ and its downloads equal SQL over the
    valid CloudSummaries rows."""
    last, out = truth["last"], from_db["output"]
    default = catalogue.load().families["cloud"].default
    problems = []
    for site, sums in truths.by_site(truth["cloud"], lambda r: r["core_s"] or 0, last).items():
        page = truths.metric_dir(out / "cloud" / "site" / paths.encode(site), "cloud_core_hours", default)
        for table, periods in (("table", {m: sums.get(m, 0) for m in truths.window(last)}),
                               ("yearly", truths.years(sums, last[0], sum))):
            expected = {k: float(v) / 3600 for k, v in periods.items()} | {"Total": float(sum(periods.values())) / 3600}
            problems += truths.compare(page, table, expected, site)
    assert not problems, "\n".join(problems[:40])


def _stock(values: list) -> tuple[float | None, float | None]:
    present = [v for v in values if v is not None]
    return (fmean(present), max(present)) if present else (None, None)


def test_storage_site_capacity_equals_sql(from_db, truth):
    """Per site and month, each storage measure of /storage/site/<site>/ (used, logical,
    allocated capacity, files) and its downloads equals a recomputation in SQL from
    StarRecords (the time-weighted monthly average, tests/apel_truth.py); a year is the
    average of its months, and a month without snapshots is missing, not zero."""
    last, out = truth["last"], from_db["output"]
    problems = []
    for measure in truths.STORAGE_MEASURES:
        scale = float(catalogue.load().storage_metrics[measure]["scale"])
        value = lambda r, m=measure, scale=scale: None if r[m] is None else float(r[m]) / scale  # noqa: E731
        every_month = truths.by_site(truth["storage_months"], value, (9999, 12))
        for site, sums in truths.by_site(truth["storage_months"], value, last).items():
            page = truths.metric_dir(out / "storage" / "site" / paths.encode(site), measure, STORAGE_DEFAULT_METRIC)
            monthly = {m: sums.get(m) for m in truths.window(last)}
            average, peak = _stock(list(monthly.values()))
            problems += truths.compare(page, "table", monthly | {"Average": average, "Peak": peak}, f"{site} {measure}")
            # Years from the first month the measure has, current month included, as the page.
            first = min((int(k[:4]) for k, v in every_month[site].items() if v is not None), default=None)
            yearly = truths.years(sums, last[0], lambda v: _stock(v)[0], first) if first else {}
            problems += truths.compare(page, "yearly", yearly, f"{site} {measure}")
    assert not problems, "\n".join(problems[:40])


def test_nothing_valid_is_quarantined_and_every_row_is_accounted_for(from_db, truth):
    """Per dataset, site and month, the exported rows are the database's rows that break no
    documented rule, and the quarantine holds the others with the rule each breaks (first
    one, in the rules' order): nothing valid is quarantined, nothing is lost."""
    src, duck = from_db["data"] / "source", duckdb.connect()
    for dataset, site in (("htc", "Site"), ("cloud", "SiteName"), ("storage", "Site"), ("gpu", "SiteName")):
        rows = truth[dataset]
        if rows is None:  # the table is absent: so is the dataset
            assert not (src / dataset).exists(), dataset
            continue
        valid = Counter({(r["site"], r["Year"], r["Month"]): r["n"] for r in rows if r["reason"] is None})
        broken = Counter({(r["site"], r["Year"], r["Month"], r["reason"]): r["n"] for r in rows if r["reason"]})
        exported = Counter({tuple(r[:3]): r[3] for r in duck.execute(
            f"SELECT {site}, Year, Month, count(*) FROM read_parquet(?, hive_partitioning = false) GROUP BY ALL",
            [str(src / dataset / "*" / "*" / "*.parquet")]).fetchall()})
        quarantine = src / "quarantine" / f"{dataset}.parquet"
        quarantined = Counter((r[site], r["Year"], r["Month"], r["reason"])
                              for r in pq.read_table(quarantine).to_pylist()) if quarantine.exists() else Counter()
        assert exported == valid, (dataset, (exported - valid).most_common(5), (valid - exported).most_common(5))
        assert quarantined == broken, (dataset, quarantined - broken, broken - quarantined)
        assert export_report(from_db["data"], dataset)["rows_read"] == sum(r["n"] for r in rows), dataset


def test_recent_months_arrive_through_apels_procedures(server, built):
    """The round trip above holds for the months sent as job records, summaries,
    normalised summaries and VM records, summarised by the procedures, with VO spellings
    merged by the lookups: here, that they were sent so."""
    today = dt.datetime.fromtimestamp(int(EPOCH), dt.UTC).date()
    with server.root() as con:
        cur = con.cursor()
        counts = {}
        for table in ("JobRecords", "Summaries", "NormalisedSummaries", "CloudRecords"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        assert min(counts.values()) > 0, counts
        # Stamped by the procedures with the load's "today" (SET timestamp), as the demo wrote.
        cur.execute("SELECT count(*), count(DISTINCT UpdateTime) FROM HybridSuperSummaries "
                    "WHERE Year * 12 + Month > %s", (today.year * 12 + today.month - demo.RESUMMARISED_MONTHS,))
        recent, stamps = cur.fetchone()
        assert stamps == 1 and recent >= counts["Summaries"] + counts["NormalisedSummaries"]
        cur.execute("SELECT count(*), sum(NumberOfVMs) FROM CloudSummaries WHERE PublisherDNID = 'summariser'")
        summarised, vms = cur.fetchone()
        assert summarised > 0 and vms == counts["CloudRecords"]  # every VM, once
        # Published spellings went to the lookup functions, which gave them the VO's id.
        cur.execute("SELECT name FROM VOs WHERE BINARY name IN %s", (tuple(demo.DEFECT_VO_SPELLINGS),))
        assert cur.fetchall() == ()
    spelled = db_load.rows(built["data"] / "source", today).execute(
        "SELECT count(*) FROM (SELECT VO FROM htc_jobs UNION ALL SELECT VO FROM htc_summaries) "
        "WHERE VO IN (SELECT unnest(getvariable('spelled')))").fetchone()[0]
    assert spelled > 0


def test_incremental_picks_up_changes_and_rereads_nothing_else(server, loaded, tmp_path):
    env = loaded["env"]
    data = tmp_path / "data"
    shutil.copytree(loaded["data"], data)
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    first = export_report(data)
    assert first["months_read"] == 3  # unchanged database: the restatement window only
    months = sorted(first["months"])
    latest = months[-1]

    con = server.root()
    cur = con.cursor()
    cur.execute("SELECT Year, Month FROM HybridSuperSummaries GROUP BY Year, Month HAVING COUNT(*) > 5 "
                "ORDER BY Year, Month LIMIT 2")
    (y1, m1), (y2, m2) = cur.fetchall()
    cur.execute(f"UPDATE HybridSuperSummaries SET NumberOfJobs = NumberOfJobs + 1000 WHERE Year = {y1} "
                f"AND Month = {m1} ORDER BY SiteID LIMIT 1")
    cur.execute(f"DELETE FROM HybridSuperSummaries WHERE Year = {y2} AND Month = {m2} ORDER BY SiteID LIMIT 1")
    ly, lm = int(latest[:4]), int(latest[5:])
    cur.execute(f"""INSERT INTO HybridSuperSummaries {HSS_COLUMNS}
        SELECT SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID, VORoleID, SubmitHostId, Infrastructure,
               InfrastructureDescription, ServiceLevelType, ServiceLevel, NodeCount, Processors + 100,
               EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NormalisedWallDuration,
               NormalisedCpuDuration, 7, UpdateTime
        FROM HybridSuperSummaries WHERE Year = {ly} AND Month = {lm} LIMIT 1""")
    before = {p: p.stat().st_ino for p in (data / "source" / "htc").rglob("*.parquet")}
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    second = export_report(data)
    changed = {f"{y1:04d}-{m1:02d}", f"{y2:04d}-{m2:02d}"}
    assert set(second["months"]) == changed | set(months[-3:])
    # Unchanged months were carried over, not re-read: the very same files.
    for path, inode in before.items():
        key = f"{path.parent.parent.name[5:]}-{path.parent.name[6:]}"
        if key not in set(second["months"]):
            assert path.stat().st_ino == inode, key
    src = data / "source"
    db_jobs = {}
    cur.execute("SELECT Year, Month, COUNT(*), SUM(NumberOfJobs) FROM HybridSuperSummaries GROUP BY Year, Month")
    for y, m, n, jobs in cur.fetchall():
        db_jobs[f"{y:04d}-{m:02d}"] = (n, int(jobs))
    pq_jobs = {f"{y:04d}-{m:02d}": (n, int(j)) for y, m, n, j in duckdb.connect().execute(
        f"SELECT Year, Month, count(*), sum(NumberOfJobs) FROM read_parquet('{src}/htc/*/*/*.parquet', "
        "hive_partitioning = false) GROUP BY ALL").fetchall()}
    assert pq_jobs == db_jobs
    con.close()


def test_bad_credentials(server, loaded, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(loaded["data"], data)
    url = server.url.replace(PASSWORD, "secretpw")
    line, _ = run_fails(data, {"ACCOUNTING_DB_URL": url})
    assert "refused the credentials of user 'portal'" in line and f"127.0.0.1:{server.port}" in line


def test_unreachable_server(loaded, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(loaded["data"], data)
    line, _ = run_fails(data, {"ACCOUNTING_DB_URL": "mysql://portal:secretpw@127.0.0.1:9/apel"})
    assert "cannot reach the database server at 127.0.0.1:9" in line


def test_dropped_column(own_server, from_db, tmp_path):
    """The previous export, its cubes and its site are copies of the module's (`from_db`:
    made from the same demo database as this server, so no export and build of their own)."""
    db, env = own_server
    data, out = tmp_path / "data", tmp_path / "out"
    shutil.copytree(from_db["data"], data)
    shutil.copytree(from_db["output"], out)
    site_before = hashes(out)
    with db.root() as con:
        con.cursor().execute("ALTER TABLE HybridSuperSummaries DROP COLUMN LatestEndTime")
    line, _ = run_fails(data, env)
    assert "missing column" in line and "LatestEndTime" in line and "htc" in line
    assert hashes(out) == site_before


def _export_queries(cur, where: str, params: tuple = ()) -> list[tuple]:
    """The export's statements on the fact table the server is running now (id, state,
    milliseconds running, text), seen from another connection."""
    cur.execute("SELECT id, state, time_ms, info FROM information_schema.processlist "
                f"WHERE user = %s AND info LIKE %s AND id <> CONNECTION_ID() AND ({where})",
                (USER, "%HybridSuperSummaries%", *params))
    return cur.fetchall()


def _running(proc):
    assert proc.poll() is None, f"the export ended early ({proc.returncode}): {proc.communicate()[1]}"


def test_server_lost_in_the_middle_of_an_export(own_server, tmp_path):
    db, env = own_server
    data = tmp_path / "data"
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    before = hashes(data)
    # Hold the fact table so the export is caught inside its reads, then kill the server.
    holder = db.root()
    holder.cursor().execute("LOCK TABLES HybridSuperSummaries WRITE")
    proc = start_build("export", "--data-dir", str(data), "--quiet", "--full", env_extra=env)
    with db.root() as watcher:
        cur = watcher.cursor()

        def waiting_on_the_lock():
            _running(proc)
            return _export_queries(cur, "state LIKE %s", ("%lock%",))

        # Not a fixed delay: on a loaded machine the export may take long to connect at all.
        wait_until(waiting_on_the_lock, 120, "the export to wait on the locked table")
    db.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "lost the connection" in lines[0] and str(db.port) in lines[0], err
    assert hashes(data) == before
    # The next run, with the server back, completes normally.
    db.start()
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    assert export_report(data)["rows_read"] > 0


def test_server_lost_while_rows_stream(own_server, tmp_path):
    """The server dies while ConnectorX streams rows (after pymysql's checks passed): one
    line naming the server and the table, no panic report from the Rust side, data intact."""
    db, env = own_server
    data = tmp_path / "data"
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    before = hashes(data)
    # Every joined row now waits 10 ms, so the read takes minutes and is caught midway.
    with db.root() as con:
        cur = con.cursor()
        cur.execute("RENAME TABLE VORoles TO VORoles_t")
        cur.execute("CREATE VIEW VORoles AS SELECT id, name FROM VORoles_t WHERE SLEEP(0.01) = 0")
    proc = start_build("export", "--data-dir", str(data), "--full", env_extra={"RUST_BACKTRACE": "1", **env})
    with db.root() as watcher:
        cur = watcher.cursor()

        def streaming():
            """The scan of the whole table (not pymysql's LIMIT 0 probe) is producing rows (the
            server sleeps in the slow view, row by row) and has been for STREAMED_MS: rows
            are on their way to the export."""
            _running(proc)
            return _export_queries(cur, "state = 'User sleep' AND time_ms >= %s AND info NOT LIKE %s",
                                   (STREAMED_MS, "%LIMIT%"))

        wait_until(streaming, 300, f"the export's row stream to run {STREAMED_MS} ms")
    _running(proc)
    db.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "lost the connection" in lines[0] and str(db.port) in lines[0], err
    assert "while reading htc" in lines[0]
    assert "panicked" not in err and "backtrace" not in err, err
    assert hashes(data) == before
    db.start()
    with db.root() as con:
        con.cursor().execute("DROP VIEW VORoles")
        con.cursor().execute("RENAME TABLE VORoles_t TO VORoles")
    run_build("export", "--data-dir", str(data), "--quiet", env_extra=env)
    assert export_report(data)["rows_read"] > 0


def test_password_from_environment_or_option_file(server, loaded, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(loaded["data"], data)
    url = server.url.replace(f":{PASSWORD}@", "@")
    run_build("export", "--data-dir", str(data), "--quiet",
              env_extra={"ACCOUNTING_DB_URL": url, "ACCOUNTING_DB_PASSWORD": PASSWORD})
    option_file = tmp_path / "my.cnf"
    option_file.write_text(f"[client]\npassword={PASSWORD}\n")
    proc = run_build("export", "--data-dir", str(data),
                     env_extra={"ACCOUNTING_DB_URL": url, "ACCOUNTING_DB_OPTION_FILE": str(option_file)})
    assert PASSWORD not in proc.stderr + proc.stdout
    assert export_report(data)["months_read"] == 3


def test_missing_table(own_server, loaded, tmp_path):
    db, env = own_server
    data = tmp_path / "data"
    shutil.copytree(loaded["data"], data)  # the previous export, of the same demo database
    with db.root() as con:
        con.cursor().execute("DROP TABLE topology_pledges")
    line, _ = run_fails(data, env)
    assert "missing table" in line and "topology_pledges" in line


AWKWARD_NAMES = ["tab\there", "new\nline", "back\\slash", "NULL", "Zürich-ĹHC ☃", "trailing\\"]


def test_bulk_path_and_pymysql_export_the_same_rows(own_server, tmp_path):
    """ConnectorX (the default) and pymysql (--no-bulk) give the same rows for every dataset,
    NULLs included; names holding a tab, a newline, a backslash, the word NULL or non-ASCII
    text come out exactly as stored."""
    db, env = own_server
    con = db.root()
    cur = con.cursor()
    cur.execute("SELECT DISTINCT SiteID FROM HybridSuperSummaries WHERE Year = 2023 AND Month = 5 LIMIT %s",
                (len(AWKWARD_NAMES),))
    site_ids = [r[0] for r in cur.fetchall()]
    assert len(site_ids) == len(AWKWARD_NAMES)
    for site_id, name in zip(site_ids, AWKWARD_NAMES, strict=True):
        cur.execute("INSERT INTO Sites (name) VALUES (%s)", (name,))
        cur.execute("UPDATE HybridSuperSummaries SET SiteID = %s WHERE SiteID = %s AND Year = 2023 AND Month = 5",
                    (cur.lastrowid, site_id))
    # APEL's DECIMAL(10,3) counts: fractional vCPUs and shared GPUs, carried exactly.
    # (One row each: CpuCount and Count are part of the summary keys.)
    cur.execute("UPDATE CloudSummaries SET CpuCount = 1.345 WHERE Year = 2023 AND Month = 5 ORDER BY SiteID LIMIT 1")
    cur.execute("UPDATE AcceleratorSummaries SET Count = 0.333 WHERE Year = 2023 AND Month = 5 ORDER BY SiteName "
                "LIMIT 1")
    con.close()
    bulk, plain = tmp_path / "bulk", tmp_path / "plain"
    run_build("export", "--data-dir", str(bulk), "--quiet", env_extra=env)
    run_build("export", "--data-dir", str(plain), "--quiet", "--no-bulk", env_extra=env)
    # The same Parquet, byte for byte, quarantine included.
    parquet = {p: h for p, h in hashes(bulk / "source").items() if p.endswith(".parquet")}
    assert parquet == {p: h for p, h in hashes(plain / "source").items() if p.endswith(".parquet")}
    month = "year=2023/month=05/part-0.parquet"
    assert "1.345" in {str(v) for v in pq.read_table(bulk / "source" / "cloud" / month)["CpuCount"].to_pylist()}
    assert "0.333" in {str(v) for v in pq.read_table(bulk / "source" / "gpu" / month)["Count"].to_pylist()}
    q = "SELECT * FROM read_parquet('{}/source/{}/*/*/*.parquet', hive_partitioning = false) ORDER BY ALL"
    duck = duckdb.connect()
    for dataset in ("storage", "cloud", "gpu"):
        rows = duck.execute(q.format(bulk, dataset)).fetchall()
        assert rows and rows == duck.execute(q.format(plain, dataset)).fetchall(), dataset
    rows = duck.execute(q.format(bulk, "htc")).fetchall()
    assert rows == duck.execute(q.format(plain, "htc")).fetchall()
    sites = {r[0] for r in duck.execute(
        f"SELECT DISTINCT Site FROM read_parquet('{bulk}/source/htc/year=2023/month=05/*.parquet')").fetchall()}
    assert set(AWKWARD_NAMES) <= sites
    assert export_report(bulk)["rows_read"] == export_report(plain)["rows_read"] == len(rows)
