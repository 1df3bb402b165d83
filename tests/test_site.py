"""The built small demo site as a whole: links, privacy, downloads, atomicity, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, one_error_line, run_build, start_build, wait_until
from htmltables import parse
from public_files import assert_nowhere
from sitelinks import broken_links, page_links, resolver


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_link_resolves(built):
    pages, broken = broken_links(built["output"])
    assert pages > 200
    assert not broken, broken[:20]


def test_every_entity_page_is_reachable_from_home(built):
    """Hierarchical navigation reaches every NGI, site and VO page without a global list."""
    root = built["output"].resolve()
    seen, todo = set(), [root / "index.html"]
    target_of = resolver(root)
    while todo:
        page = todo.pop()
        if page in seen or not page.is_file() or page.suffix != ".html":
            continue
        seen.add(page)
        for href in page_links(page)[0]:  # parsed once for both tests (sitelinks)
            target = target_of(page, href)
            if target is not None and target not in seen:
                todo.append(target)
    for kind in ("ngi", "site", "vo", "country"):
        for page in (root / "egi" / kind).glob("*/index.html"):
            assert page.resolve() in seen, page


def test_no_user_dn_anywhere_in_output(built):
    """No value of a personal column (contracts.PERSONAL_COLUMNS: user DNs, the StAR user
    identity, local user and group, directory path) in any public file: precompressed
    siblings decompressed, Parquet files by their values, paths included."""
    from accounting.source.contracts import PERSONAL_COLUMNS, SOURCE_DATASETS

    con = duckdb.connect()
    values = set()
    for ds in SOURCE_DATASETS:
        for column in PERSONAL_COLUMNS.get(ds.name, ()):
            values |= {v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM read_parquet(?, '
                                                 "hive_partitioning = false)", [ds.file_glob(built["source"])])
                       .fetchall()}
    # APEL's 'None' is the user of a job without one, no person's DN; a local group named
    # after its VO (StAR's `cms`) is the VO's name, published as such.
    vos = {v for (v,) in con.execute("SELECT VO FROM read_parquet(?)", [str(built["source"] / "topology" /
                                                                          "vos.parquet")]).fetchall()}
    values = {v for v in values - vos if v and v != "None" and len(v) >= 6}
    assert sum("CN=" in v for v in values) > 10 and any(v.startswith("/pnfs/") for v in values)
    needles = [v.encode() for v in values]
    # Also the distinguishing part alone (the CN), in case a DN were split or escaped.
    needles += [v.rsplit("CN=", 1)[-1].encode() for v in values if "CN=" in v and len(v.rsplit("CN=", 1)[-1]) > 6]
    assert assert_nowhere(built["output"], needles) > 10000


def test_cube_downloads_and_catalogue(built):
    data_dir = built["output"] / "data"
    package = json.loads((data_dir / "datapackage.json").read_text())
    cubes = sorted(p.stem for p in built["cubes"].glob("*.parquet"))
    assert sorted({r["name"].rsplit("-", 1)[0] for r in package["resources"]}) == cubes
    html = (data_dir / "index.html").read_text()
    con = duckdb.connect()
    for res in package["resources"]:
        path = data_dir / res["path"]
        assert res["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert res["bytes"] == path.stat().st_size
        assert res["hash"].split(":")[1] in html
        assert all(f["description"] for f in res["schema"]["fields"]), res["name"]
    for cube in cubes:
        parquet_rows = pq.read_metadata(data_dir / f"{cube}.parquet").num_rows
        csv_rows = con.execute(f"SELECT count(*) FROM read_csv('{data_dir / cube}.csv', header = true)").fetchone()[0]
        assert parquet_rows == csv_rows == pq.read_metadata(built["cubes"] / f"{cube}.parquet").num_rows
        assert f"{parquet_rows:,} rows" in html
    # CSV and Parquet of the main cube agree row by row.
    a = con.execute(f"SELECT * FROM read_parquet('{data_dir}/htc_monthly.parquet') ORDER BY ALL").fetchall()
    b = con.execute(f"SELECT * FROM read_csv('{data_dir}/htc_monthly.csv', header = true) ORDER BY ALL").fetchall()
    assert [tuple(str(v) for v in r) for r in a] == [tuple(str(v) for v in r) for r in b]


def test_quality_page_lists_the_demo_defects(built):
    from accounting.source.demo import federation as demo

    html = (built["output"] / "quality" / "index.html").read_text()
    for site in demo.DEFECT_UNKNOWN_SITES:
        assert site in html
    for site in demo.DEFECT_ZERO_BENCHMARK_SITES:
        assert site in html
    # Kept, not dropped: the unknown site's rows are counted under "unknown NGI".
    egi = parse((built["output"] / "egi" / "index.html").read_text()).tables["yearly"]
    assert "unknown NGI" in [r["label"] for r in egi["rows"]]


def test_no_external_requests_in_pages(built):
    for page in built["output"].rglob("*.html"):
        text = page.read_text()
        assert "http://" not in text and "cdn" not in text.lower(), page


def _break_data_pages(path: Path) -> None:
    """Overwrite a Parquet file's data pages, keeping its footer: its schema and row count
    still read (so the site stage opens it), its rows do not (so the stage fails where it
    first reads them)."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    start, end = 4, len(data) - 8 - footer
    assert data[:4] == data[-4:] == b"PAR1" and end > start
    data[start:end] = b"\xff" * (end - start)
    path.write_bytes(bytes(data))


def test_failed_build_leaves_previous_output_identical(site_copy):
    """The site stage fails late, after it has written report pages: one line naming the
    broken cube, and the previous output/ exactly as it was, with no staging tree left."""
    out, parent = site_copy["output"], site_copy["output"].parent
    before, manifest_before = _files(out), (out / "manifest.json").read_bytes()
    # The quality findings are read by the last generators (the downloads, the quality page).
    cube = site_copy["data"] / "cubes" / "quality_findings.parquet"
    _break_data_pages(cube)
    assert pq.read_metadata(cube).num_rows > 0
    with pytest.raises(OSError):
        pq.read_table(cube)
    proc = start_build("site", "--data-dir", str(site_copy["data"]), "--output", str(out), "--quiet")
    written_before_failing = set()
    deadline = time.monotonic() + 600
    while True:  # watch the staging tree beside output/ fill while the build runs
        for d in parent.iterdir():
            if d.name not in ("data", "output") and (d / "egi" / "index.html").is_file():
                written_before_failing.add(d.name)
        try:
            _, stderr = proc.communicate(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                proc.kill()
                raise
    assert proc.returncode != 0, stderr
    assert written_before_failing, "the build failed before it wrote any page: not a failure midway"
    assert (out / "manifest.json").read_bytes() == manifest_before
    assert _files(out) == before
    assert sorted(p.name for p in parent.iterdir()) == ["data", "output", "output.lock"], "staging left behind"
    one_error_line(subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr), "quality_findings")


def test_failed_cubes_leave_previous_cubes(data_copy):
    before = _files(data_copy["data"] / "cubes")
    for p in (data_copy["data"] / "source" / "topology").glob("vos.parquet"):
        p.unlink()
    proc = run_build("cubes", "--data-dir", str(data_copy["data"]), "--quiet", check=False)
    assert proc.returncode != 0
    assert "vos" in proc.stderr
    assert _files(data_copy["data"] / "cubes") == before


def test_demo_is_deterministic_through_cubes(built, tmp_path):
    data2 = tmp_path / "data"
    run_build("export", "--data-dir", str(data2), "--demo-scale", "small", "--quiet")
    run_build("cubes", "--data-dir", str(data2), "--quiet")
    assert _files(data2 / "source") == _files(built["source"])
    assert _files(data2 / "cubes") == _files(built["cubes"])


def _cli():
    """build.py's click group, loaded in-process (its --help is the same as the script's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_cli", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cli


# The options each command documents (README: the stages, each command's own options).
COMMAND_OPTIONS = {
    "": ("--data-dir", "--output", "--demo-scale", "--quiet", "--publish-to"),
    "export": ("--data-dir", "--demo-scale", "--full", "--restate-months", "--no-bulk"),
    "demo": ("--demo-scale", "--to-db", "--to"),
    "cubes": ("--data-dir",),
    "site": ("--data-dir", "--output"),
    "serve": ("--output", "--port"),
    "publish": ("--output", "--to", "--keep", "--rollback"),
    "apache-config": ("--root", "--listen", "--port", "--hsts", "--out"),
    "api": ("--from", "--host", "--port", "--cache"),
}


@pytest.mark.unit
def test_help_on_every_command():
    from click.testing import CliRunner

    cli = _cli()
    assert set(cli.commands) == set(COMMAND_OPTIONS) - {""}
    runner = CliRunner()
    for command, documented in COMMAND_OPTIONS.items():
        result = runner.invoke(cli, [*([command] if command else []), "--help"])
        assert result.exit_code == 0, (command, result.output)
        params = cli.commands[command].params if command else cli.params
        declared = {opt for p in params for opt in p.opts if opt.startswith("--")}
        for option in {*documented, *declared}:
            assert option in result.output, (command, option)


@pytest.mark.unit
def test_malformed_database_url_is_a_clear_error(tmp_path):
    proc = run_build("export", "--data-dir", str(tmp_path / "d"), check=False,
                     env_extra={"ACCOUNTING_DB_URL": "postgres://u:secretpw@127.0.0.1/x"})
    assert proc.returncode != 0
    assert "ACCOUNTING_DB_URL must look like mysql://" in proc.stderr and "secretpw" not in proc.stderr
    assert not (tmp_path / "d" / "source").exists()


def test_cube_sum_columns_match_the_python_contract(built):
    from accounting.catalogue import sum_columns
    from accounting.source.contracts import PERSONAL_COLUMNS

    personal = {c for columns in PERSONAL_COLUMNS.values() for c in columns}
    for family, cubes in (("htc", ("htc_monthly", "htc_submithost", "htc_processors")),
                          ("gpu", ("gpu_monthly",)), ("cloud", ("cloud_monthly",))):
        sums = tuple(sum_columns(family))
        for cube in cubes:
            names = pq.read_schema(built["cubes"] / f"{cube}.parquet").names
            assert tuple(n for n in names if n in sums) == sums, cube
            assert not personal & set(names), cube


def test_serve_previews_the_site_on_loopback(built):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_build("serve", "--output", str(built["output"]), "--port", str(port))

    def answers():
        assert proc.poll() is None, proc.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/egi/", timeout=2) as r:
                return r.status, r.read()
        except OSError:
            return None

    try:
        status, body = wait_until(answers, 30, "serve to answer")
        assert status == 200 and b"EGI: HTC by operations centre" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rows_outside_topology_validity_are_kept_and_reported(data_copy):
    """A site registered in topology only after it started reporting: its early rows stay
    in every total (NGI NULL, shown as unknown NGI) and the quality page says why."""
    import pyarrow as pa

    sites_path = data_copy["data"] / "source" / "topology" / "sites.parquet"
    sites = pq.read_table(sites_path)
    con = duckdb.connect()
    src = data_copy["data"] / "source"
    site, first = con.execute(f"""
        SELECT Site, min(Year) FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false)
        WHERE Site IN (SELECT Site FROM read_parquet('{sites_path}'))
        GROUP BY Site HAVING count(DISTINCT Year) > 3 ORDER BY Site LIMIT 1""").fetchone()
    import datetime as dt
    later = dt.date(first + 2, 1, 1)
    valid_from = [max(v, later) if s == site else v
                  for s, v in zip(sites["Site"].to_pylist(), sites["ValidFrom"].to_pylist(), strict=True)]
    sites = sites.set_column(sites.schema.get_field_index("ValidFrom"), sites.schema.field("ValidFrom"),
                             pa.array(valid_from, pa.date32()))
    pq.write_table(sites, sites_path)
    run_build("cubes", "--data-dir", str(data_copy["data"]), "--quiet")
    cubes = data_copy["data"] / "cubes"
    found = con.execute(f"""SELECT finding, first_period FROM read_parquet('{cubes}/quality_findings.parquet')
                            WHERE subject = '{site}'""").fetchall()
    assert [p[:4] for f, p in found if f == "site outside its topology validity"] == [f"{first:04d}"]
    # Nothing lost: the cube's job total equals the source's.
    cube_jobs = con.execute(f"SELECT sum(njobs) FROM read_parquet('{cubes}/htc_monthly.parquet')").fetchone()[0]
    src_jobs = con.execute(f"SELECT sum(NumberOfJobs) FROM read_parquet('{src}/htc/*/*/*.parquet', "
                           "hive_partitioning = false)").fetchone()[0]
    assert cube_jobs == src_jobs
    early = con.execute(f"""SELECT DISTINCT NGI FROM read_parquet('{cubes}/htc_monthly.parquet')
                            WHERE Site = '{site}' AND Year < {first + 2}""").fetchall()
    assert early == [(None,)]  # NULL in the cube: the pages show it as "unknown NGI" (catalogue [absent])


def test_nightly_job_ends_with_publish_when_asked(built, rebuilt):
    """`build.py --publish-to DIR`: the same site as the shared build, made live as its release."""
    output, pub = rebuilt["output"], rebuilt["pub"]
    built_id = json.loads((built["output"] / "manifest.json").read_text())["build_id"]
    assert json.loads((output / "manifest.json").read_text())["build_id"] == built_id
    assert os.readlink(pub / "current") == f"releases/{built_id}"
    assert json.loads((pub / "current" / "manifest.json").read_text())["build_id"] == built_id


@pytest.mark.unit
def test_demo_to_dir_refuses_the_options_of_another_command(tmp_path):
    """That `demo --to DIR` writes the very source the nightly job exports is asserted,
    file by file, by test_build_locks.py::test_a_build_killed_midway_is_cleaned_up_by_the_next
    (its second, complete run against the shared build's source): not built a third time here."""
    proc = run_build("demo", "--to", str(tmp_path / "x"), "--output", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "No such option" in proc.stderr
