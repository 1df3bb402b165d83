"""Publishing to object storage (accounting/publish_s3.py) against a real S3-API endpoint:
moto's standalone server on a loopback port, talked to over HTTP by boto3."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from accounting import publish_s3  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEEP_DIRS = ("static", "data", "help", "quality", "disciplines")  # a few hundred files: fast
SECRET = "s3cr3t-never-printed"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="module")
def moto():
    proc, url = start_moto()
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3env(moto, monkeypatch):
    """Environment of a publish: the endpoint and (dummy) credentials; a fresh bucket."""
    env = {"AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_DEFAULT_REGION": "us-east-1"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("ACCOUNTING_S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(publish_s3.FAIL_AFTER_ENV, raising=False)
    bucket = "site-" + uuid.uuid4().hex[:12]
    s3 = publish_s3.client()
    s3.create_bucket(Bucket=bucket)
    return {"env": env, "bucket": bucket, "url": f"s3://{bucket}/portal", "s3": s3}


def write_manifest(site: Path) -> dict:
    files = publish_s3.file_listing(site)
    m = {"build_id": publish_s3.build_id_of(files), "built_at": "2025-11-24T00:00:00Z",
         "code_version": "test", "datasets": {}, "files": files}
    (site / "manifest.json").write_text(json.dumps(m, indent=1, sort_keys=True) + "\n")
    return m


@pytest.fixture(scope="module")
def small_site(built, tmp_path_factory) -> Path:
    """Part of the built site (root files and a few sections) with its own manifest."""
    src = built["output"]
    dst = tmp_path_factory.mktemp("s3site") / "site"
    dst.mkdir()
    for p in src.iterdir():
        if p.is_file() and p.name != "manifest.json":
            shutil.copy2(p, dst / p.name)
        elif p.is_dir() and p.name in KEEP_DIRS:
            shutil.copytree(p, dst / p.name)
    write_manifest(dst)
    return dst


def variant(site: Path, tmp_path: Path, tag: str) -> tuple[Path, set[str]]:
    """A copy of the site where one month's figures changed: trend.csv and the home page,
    with their .br/.gz siblings. Returns the copy and the changed paths."""
    dst = tmp_path / f"site-{tag}"
    shutil.copytree(site, dst)
    changed = set()
    for rel, extra in (("trend.csv", f"2025-10,{tag},1\n"), ("index.html", f"<!-- {tag} -->\n")):
        data = (dst / rel).read_bytes() + extra.encode()
        (dst / rel).write_bytes(data)
        (dst / f"{rel}.gz").write_bytes(gzip.compress(data, mtime=0))
        try:
            import brotli
            (dst / f"{rel}.br").write_bytes(brotli.compress(data))
        except ImportError:
            (dst / f"{rel}.br").write_bytes(gzip.compress(data, mtime=0))
        changed |= {rel, f"{rel}.gz", f"{rel}.br"}
    write_manifest(dst)
    return dst, changed


def pointer(s3env) -> dict:
    body = s3env["s3"].get_object(Bucket=s3env["bucket"], Key="portal/current.json")["Body"].read()
    return json.loads(body)


def release_keys(s3env, rid: str) -> dict[str, int]:
    prefix = f"portal/releases/{rid}/"
    out = {}
    for page in s3env["s3"].get_paginator("list_objects_v2").paginate(Bucket=s3env["bucket"], Prefix=prefix):
        out.update({o["Key"][len(prefix):]: o["Size"] for o in page.get("Contents", [])})
    return out


def manifest_of(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text())


def recording_client(monkeypatch, calls: list):
    """Make publish_s3 use a client that records every write call (operation, key) in order."""
    real = publish_s3.client

    def make():
        c = real()

        def record(params, model, **_):
            calls.append((model.name, params.get("Key") or ""))
        c.meta.events.register("before-parameter-build.s3", record)
        return c
    monkeypatch.setattr(publish_s3, "client", make)


def test_first_publish_uploads_everything_with_headers_then_nothing(s3env, small_site):
    m = manifest_of(small_site)
    r = publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    assert r["release"] == m["build_id"] and r["switched"]
    assert r["uploaded"] == len(m["files"]) and r["copied"] == 0 and r["deleted"] == 0
    assert pointer(s3env)["release"] == m["build_id"]
    keys = release_keys(s3env, m["build_id"])
    assert set(keys) == set(m["files"]) | {"manifest.json"}
    assert all(keys[rel] == f["size"] for rel, f in m["files"].items())

    s3, bucket = s3env["s3"], s3env["bucket"]

    def head(rel):
        return s3.head_object(Bucket=bucket, Key=f"portal/releases/{m['build_id']}/{rel}")

    static = sorted(p.name for p in (small_site / "static").iterdir())
    js = next(n for n in static if n.startswith("site.") and n.endswith(".js"))
    css_gz = next(n for n in static if n.endswith(".css.gz"))
    csv = next(r for r in m["files"] if r.startswith("data/") and r.endswith(".csv"))
    parquet = next(r for r in m["files"] if r.startswith("data/") and r.endswith(".parquet"))
    expect = {
        "index.html": ("text/html; charset=utf-8", None, "no-cache"),
        "index.html.br": ("text/html; charset=utf-8", "br", "no-cache"),
        "index.html.gz": ("text/html; charset=utf-8", "gzip", "no-cache"),
        f"static/{js}": ("text/javascript; charset=utf-8", None, publish_s3.IMMUTABLE),
        f"static/{css_gz}": ("text/css; charset=utf-8", "gzip", publish_s3.IMMUTABLE),
        csv: ("text/csv; charset=utf-8", None, "no-cache"),
        csv + ".br": ("text/csv; charset=utf-8", "br", "no-cache"),
        parquet: ("application/vnd.apache.parquet", None, "no-cache"),
        "data/datapackage.json": ("application/json", None, "no-cache"),
    }
    for rel, (ctype, enc, cache) in expect.items():
        h = head(rel)
        assert h["ContentType"] == ctype, rel
        assert h.get("ContentEncoding") == enc, rel
        assert h["CacheControl"] == cache, rel
        assert h["Metadata"]["sha256"] == m["files"][rel]["sha256"], rel
    body = s3.get_object(Bucket=bucket, Key=f"portal/releases/{m['build_id']}/index.html")["Body"].read()
    assert body == (small_site / "index.html").read_bytes()

    again = publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    assert (again["uploaded"], again["copied"], again["deleted"]) == (0, 0, 0)
    assert again["skipped"] == len(m["files"]) and not again["switched"]
    assert pointer(s3env)["release"] == m["build_id"]


def test_one_month_change_uploads_only_changed_objects_in_order(s3env, small_site, tmp_path, monkeypatch):
    a = manifest_of(small_site)
    publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    site_b, changed = variant(small_site, tmp_path, "b")
    b = manifest_of(site_b)
    calls: list = []
    recording_client(monkeypatch, calls)
    r = publish_s3.publish(site_b, s3env["url"], keep=3, rollback=False)
    assert r["release"] == b["build_id"] != a["build_id"]
    assert r["uploaded"] == len(changed) == 6
    assert r["copied"] == len(b["files"]) - len(changed)
    assert r["deleted"] == 0
    uploads = {k.split(f"/{b['build_id']}/", 1)[1] for op, k in calls if op == "PutObject" and "/releases/" in k}
    assert uploads == changed | {"manifest.json"}
    p = pointer(s3env)
    assert (p["release"], p["previous"]) == (b["build_id"], a["build_id"])
    # Order: assets and data, then pages, then the release manifest, then the pointer.
    writes = [(op, k) for op, k in calls if op in ("PutObject", "CopyObject")]
    rels = [k.split(f"/{b['build_id']}/", 1)[1] if "/releases/" in k else k for _, k in writes]
    is_page = [r.removesuffix(".br").removesuffix(".gz").endswith(".html") for r in rels]
    first_page = is_page.index(True)
    assert all(is_page[first_page:-2]), "a non-page object was written after the first page"
    assert rels[-2:] == ["manifest.json", "portal/current.json"]
    assert release_keys(s3env, b["build_id"]).keys() == set(b["files"]) | {"manifest.json"}
    # The previous release is still complete (grace period).
    assert release_keys(s3env, a["build_id"]).keys() == set(a["files"]) | {"manifest.json"}


def run_publish_subprocess(site: Path, url: str, env: dict, fail_after: int) -> subprocess.CompletedProcess:
    code = ("import sys; from pathlib import Path; from accounting import publish_s3; "
            "print(publish_s3.publish(Path(sys.argv[1]), sys.argv[2], keep=3, rollback=False))")
    full_env = {**os.environ, **env, publish_s3.FAIL_AFTER_ENV: str(fail_after)}
    return subprocess.run([sys.executable, "-c", code, str(site), url], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300)


def test_killed_upload_keeps_pointer_and_next_run_completes(s3env, small_site, tmp_path):
    a = manifest_of(small_site)
    publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    site_b, _ = variant(small_site, tmp_path, "killed")
    b = manifest_of(site_b)
    proc = run_publish_subprocess(site_b, s3env["url"], s3env["env"], fail_after=40)
    assert proc.returncode == -9, proc.stderr  # killed (SIGKILL) midway
    assert pointer(s3env)["release"] == a["build_id"]
    partial = release_keys(s3env, b["build_id"])
    assert 40 - 16 <= len(partial) < len(b["files"]) and "manifest.json" not in partial
    # The live release is untouched and complete.
    assert release_keys(s3env, a["build_id"]).keys() == set(a["files"]) | {"manifest.json"}

    r = publish_s3.publish(site_b, s3env["url"], keep=3, rollback=False)
    assert r["skipped"] == len(partial)
    assert r["uploaded"] + r["copied"] + r["skipped"] == len(b["files"])
    assert pointer(s3env)["release"] == b["build_id"]
    assert release_keys(s3env, b["build_id"]).keys() == set(b["files"]) | {"manifest.json"}


def test_rollback_moves_pointer_back(s3env, small_site, tmp_path):
    a = manifest_of(small_site)
    publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    site_b, _ = variant(small_site, tmp_path, "b")
    b = manifest_of(site_b)
    publish_s3.publish(site_b, s3env["url"], keep=3, rollback=False)
    assert pointer(s3env)["release"] == b["build_id"]
    r = publish_s3.publish(site_b, s3env["url"], keep=3, rollback=True)
    assert r["release"] == a["build_id"] and r["uploaded"] == 0
    assert pointer(s3env)["release"] == a["build_id"]
    with pytest.raises(publish_s3.PublishError, match="no previous release"):
        publish_s3.publish(site_b, s3env["url"], keep=3, rollback=True)
    # Publishing again after a rollback works and skips what is still there.
    r = publish_s3.publish(site_b, s3env["url"], keep=3, rollback=False)
    assert pointer(s3env)["release"] == b["build_id"] and r["uploaded"] == 0


def test_old_releases_deleted_only_after_switch(s3env, small_site, tmp_path, monkeypatch):
    ids = []
    for tag in ("r1", "r2", "r3"):
        site, _ = variant(small_site, tmp_path, tag)
        ids.append(manifest_of(site)["build_id"])
        if tag == "r3":
            n_r1 = len(release_keys(s3env, ids[0]))
            calls: list = []
            recording_client(monkeypatch, calls)
        r = publish_s3.publish(site, s3env["url"], keep=1, rollback=False)
    # keep=1 keeps the live release and the previous one: r1 goes, after the switch.
    assert r["deleted"] == n_r1 > 0
    assert release_keys(s3env, ids[0]) == {}
    assert release_keys(s3env, ids[1]) and release_keys(s3env, ids[2])
    ops = [(op, k) for op, k in calls]
    switch = ops.index(("PutObject", "portal/current.json"))
    first_delete = next(i for i, (op, _) in enumerate(ops) if op == "DeleteObjects")
    assert first_delete > switch
    p = pointer(s3env)
    assert (p["release"], p["previous"]) == (ids[2], ids[1])
    assert p["history"] == ids[1:]


def test_errors_are_one_line_without_secrets(s3env, small_site, monkeypatch):
    with pytest.raises(publish_s3.PublishError) as e:
        publish_s3.publish(small_site, "s3://no-such-bucket-here/portal", keep=3, rollback=False)
    assert "no-such-bucket-here" in str(e.value) and "does not exist" in str(e.value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(publish_s3.PublishError) as e:
        publish_s3.publish(small_site, s3env["url"], keep=3, rollback=False)
    assert "cannot reach" in str(e.value)
    for err in (e.value,):
        assert "\n" not in str(err) and SECRET not in str(err)
    with pytest.raises(publish_s3.PublishError, match="s3://bucket/prefix"):
        publish_s3.publish(small_site, "/not/s3", keep=3, rollback=False)


def test_bad_credentials(small_site, monkeypatch):
    """A server that checks credentials (moto with IAM auth on) refuses unknown keys."""
    proc, url = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        with pytest.raises(publish_s3.PublishError) as e:
            publish_s3.publish(small_site, "s3://any-bucket/portal", keep=3, rollback=False)
        msg = str(e.value)
        assert "refused the credentials" in msg and SECRET not in msg and "\n" not in msg
    finally:
        proc.terminate()
        proc.wait(10)
