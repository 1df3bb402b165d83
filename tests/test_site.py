"""The built small demo site as a whole: links, privacy, downloads, atomicity, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import run_build
from htmltables import parse


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _resolve(root: Path, page: Path, href: str) -> Path | None:
    """The file a link points to, or None for links that leave the site."""
    url = urlparse(href)
    if url.scheme or url.netloc:
        return None
    path = urldefrag(href)[0]
    if not path:
        return page
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    if path.endswith("/"):
        target = target / "index.html"
    return target.resolve()


def test_every_link_resolves(built):
    root = built["output"].resolve()
    pages = list(root.rglob("*.html"))
    assert len(pages) > 200
    broken = []
    for page in pages:
        doc = parse(page.read_text())
        for href in doc.links + doc.srcs:
            target = _resolve(root, page, href)
            if target is None:
                if href.startswith("https://creativecommons.org/"):
                    continue
                broken.append((str(page.relative_to(root)), href, "leaves the site"))
            elif not target.is_file() or root not in target.parents:
                broken.append((str(page.relative_to(root)), href, "missing"))
    assert not broken, broken[:20]


def test_every_entity_page_is_reachable_from_home(built):
    """Hierarchical navigation reaches every NGI, site and VO page without a global list."""
    root = built["output"].resolve()
    seen, todo = set(), [root / "index.html"]
    while todo:
        page = todo.pop()
        if page in seen or not page.is_file() or page.suffix != ".html":
            continue
        seen.add(page)
        for href in parse(page.read_text()).links:
            target = _resolve(root, page, href)
            if target is not None and target not in seen:
                todo.append(target)
    for kind in ("ngi", "site", "vo", "country"):
        for page in (root / "egi" / kind).glob("*/index.html"):
            assert page.resolve() in seen, page


def test_no_user_dn_anywhere_in_output(built):
    con = duckdb.connect()
    dns = [r[0] for r in con.execute(
        f"SELECT DISTINCT GlobalUserName FROM read_parquet('{built['source']}/htc/*/*/*.parquet', hive_partitioning = false) "
        f"UNION SELECT DISTINCT UserIdentity FROM read_parquet('{built['source']}/storage/*/*/*.parquet', "
        "hive_partitioning = false) WHERE UserIdentity IS NOT NULL").fetchall()]
    assert len(dns) > 10
    needles = [dn.encode() for dn in dns]
    # Also the distinguishing part alone (the CN), in case a DN were split or escaped.
    needles += [dn.rsplit("CN=", 1)[-1].encode() for dn in dns if "CN=" in dn and len(dn.rsplit("CN=", 1)[-1]) > 6]
    for path in built["output"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"{needle!r} in {path}"


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
    for spelling in demo.DEFECT_VO_SPELLINGS:
        assert spelling in html
    for site in demo.DEFECT_ZERO_BENCHMARK_SITES:
        assert site in html
    # Kept, not dropped: the unknown site's rows are counted under "unknown NGI".
    egi = parse((built["output"] / "egi" / "index.html").read_text()).tables["yearly"]
    assert "unknown NGI" in [r["label"] for r in egi["rows"]]


def test_no_external_requests_in_pages(built):
    for page in built["output"].rglob("*.html"):
        text = page.read_text()
        assert "http://" not in text and "cdn" not in text.lower(), page


def test_failed_build_leaves_previous_output_identical(site_copy):
    before = _files(site_copy["output"])
    # A cube read late in the site build is broken: the build fails midway.
    (site_copy["data"] / "cubes" / "quality_findings.parquet").write_bytes(b"not parquet")
    proc = run_build("site", "--data-dir", str(site_copy["data"]), "--output", str(site_copy["output"]),
                     "--quiet", check=False)
    assert proc.returncode != 0
    assert _files(site_copy["output"]) == before
    assert not list(site_copy["output"].parent.glob("output.*")), "staging directory left behind"


def test_failed_cubes_leave_previous_cubes(site_copy):
    before = _files(site_copy["data"] / "cubes")
    for p in (site_copy["data"] / "source" / "topology").glob("vos.parquet"):
        p.unlink()
    proc = run_build("cubes", "--data-dir", str(site_copy["data"]), "--quiet", check=False)
    assert proc.returncode != 0
    assert "vos" in proc.stderr
    assert _files(site_copy["data"] / "cubes") == before


def test_same_inputs_build_identical_site(built, tmp_path):
    out2 = tmp_path / "again"
    run_build("site", "--data-dir", str(built["data"]), "--output", str(out2), "--quiet")
    assert _files(out2) == _files(built["output"])


def test_demo_is_deterministic_through_cubes(built, tmp_path):
    data2 = tmp_path / "data"
    run_build("export", "--data-dir", str(data2), "--demo-scale", "small", "--quiet")
    run_build("cubes", "--data-dir", str(data2), "--quiet")
    assert _files(data2 / "source") == _files(built["source"])
    assert _files(data2 / "cubes") == _files(built["cubes"])


@pytest.mark.parametrize("command", [[], ["export"], ["cubes"], ["site"], ["serve"], ["publish"], ["apache-config"]])
def test_help_on_every_command(command):
    proc = run_build(*command, "--help")
    assert "--data-dir" in proc.stdout and "--output" in proc.stdout


def test_malformed_database_url_is_a_clear_error(tmp_path):
    proc = run_build("export", "--data-dir", str(tmp_path / "d"), check=False,
                     env_extra={"ACCOUNTING_DB_URL": "postgres://u:secretpw@127.0.0.1/x"})
    assert proc.returncode != 0
    assert "ACCOUNTING_DB_URL must look like mysql://" in proc.stderr and "secretpw" not in proc.stderr
    assert not (tmp_path / "d" / "source").exists()


def test_cube_sum_columns_match_the_python_contract(built):
    from accounting.cubes.catalogue import SUM_COLUMNS

    for cube in ("htc_monthly", "htc_submithost", "htc_processors"):
        names = pq.read_schema(built["cubes"] / f"{cube}.parquet").names
        assert tuple(n for n in names if n in SUM_COLUMNS) == SUM_COLUMNS
        assert "GlobalUserName" not in names


def test_serve_previews_the_site_on_loopback(built):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--output", str(built["output"]),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/egi/", timeout=2) as r:
                    assert r.status == 200
                    assert b"EGI: HTC by operations centre" in r.read()
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not answer")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rows_outside_topology_validity_are_kept_and_reported(site_copy):
    """A site registered in topology only after it started reporting: its early rows stay
    in every total (under unknown NGI) and the quality page says why."""
    import pyarrow as pa

    sites_path = site_copy["data"] / "source" / "topology" / "sites.parquet"
    sites = pq.read_table(sites_path)
    con = duckdb.connect()
    src = site_copy["data"] / "source"
    site, first = con.execute(f"""
        SELECT Site, min(Year) FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false)
        WHERE Site IN (SELECT Site FROM read_parquet('{sites_path}'))
        GROUP BY Site HAVING count(DISTINCT Year) > 3 ORDER BY Site LIMIT 1""").fetchone()
    import datetime as dt
    later = dt.date(first + 2, 1, 1)
    valid_from = [max(v, later) if s == site else v
                  for s, v in zip(sites["Site"].to_pylist(), sites["ValidFrom"].to_pylist())]
    sites = sites.set_column(sites.schema.get_field_index("ValidFrom"), sites.schema.field("ValidFrom"),
                             pa.array(valid_from, pa.date32()))
    pq.write_table(sites, sites_path)
    run_build("cubes", "--data-dir", str(site_copy["data"]), "--quiet")
    cubes = site_copy["data"] / "cubes"
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
    assert early == [("unknown NGI",)]
