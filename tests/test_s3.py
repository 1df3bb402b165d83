"""Publishing to object storage (accounting/publish/s3.py, through accounting.publish.publish)
against a real S3-API endpoint: moto's standalone server on a loopback port, talked to over
HTTP by boto3."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from accounting import media  # noqa: E402
from accounting.errors import PublishError  # noqa: E402
from accounting.publish import publish, s3  # noqa: E402

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
    bucket = "site-" + uuid.uuid4().hex[:12]
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    return {"env": env, "bucket": bucket, "url": f"s3://{bucket}/portal", "client": client}


def write_manifest(site: Path) -> dict:
    files = s3.file_listing(site)
    m = {"build_id": s3.build_id_of(files), "built_at": "2025-11-24T00:00:00Z",
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
    body = s3env["client"].get_object(Bucket=s3env["bucket"], Key="portal/current.json")["Body"].read()
    return json.loads(body)


def release_keys(s3env, rid: str) -> dict[str, int]:
    prefix = f"portal/releases/{rid}/"
    out = {}
    for page in s3env["client"].get_paginator("list_objects_v2").paginate(Bucket=s3env["bucket"], Prefix=prefix):
        out.update({o["Key"][len(prefix):]: o["Size"] for o in page.get("Contents", [])})
    return out


def manifest_of(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text())


def recording_client(monkeypatch, calls: list):
    """Make the S3 publish use a client that records every write call (operation, key) in order."""
    real = s3.client

    def make():
        c = real()

        def record(params, model, **_):
            calls.append((model.name, params.get("Key") or ""))
        c.meta.events.register("before-parameter-build.s3", record)
        return c
    monkeypatch.setattr(s3, "client", make)


def test_first_publish_uploads_everything_with_headers_then_nothing(s3env, small_site):
    m = manifest_of(small_site)
    r = publish(small_site, s3env["url"], keep=3)
    assert r["release"] == m["build_id"] and r["switched"]
    assert r["uploaded"] == len(m["files"]) and r["copied"] == 0 and r["deleted"] == 0
    assert pointer(s3env)["release"] == m["build_id"]
    keys = release_keys(s3env, m["build_id"])
    assert set(keys) == set(m["files"]) | {"manifest.json"}
    assert all(keys[rel] == f["size"] for rel, f in m["files"].items())

    client, bucket = s3env["client"], s3env["bucket"]

    def head(rel):
        return client.head_object(Bucket=bucket, Key=f"portal/releases/{m['build_id']}/{rel}")

    static = sorted(p.name for p in (small_site / "static").iterdir())
    js = next(n for n in static if n.startswith("site.") and n.endswith(".js"))
    css_gz = next(n for n in static if n.endswith(".css.gz"))
    csv = next(r for r in m["files"] if r.startswith("data/") and r.endswith(".csv"))
    parquet = next(r for r in m["files"] if r.startswith("data/") and r.endswith(".parquet"))
    expect = {
        "index.html": ("text/html; charset=utf-8", None, "no-cache"),
        "index.html.br": ("text/html; charset=utf-8", "br", "no-cache"),
        "index.html.gz": ("text/html; charset=utf-8", "gzip", "no-cache"),
        f"static/{js}": ("text/javascript; charset=utf-8", None, media.IMMUTABLE),
        f"static/{css_gz}": ("text/css; charset=utf-8", "gzip", media.IMMUTABLE),
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
    # The explorer reads the cubes by byte ranges: stored unencoded, an object store answers them.
    part = client.get_object(Bucket=bucket, Key=f"portal/releases/{m['build_id']}/{parquet}", Range="bytes=0-3")
    assert part["Body"].read() == b"PAR1" and part["ContentRange"].startswith("bytes 0-3/"), parquet
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    body = client.get_object(Bucket=bucket, Key=f"portal/releases/{m['build_id']}/index.html")["Body"].read()
    assert body == (small_site / "index.html").read_bytes()

    again = publish(small_site, s3env["url"], keep=3)
    assert (again["uploaded"], again["copied"], again["deleted"]) == (0, 0, 0)
    assert again["skipped"] == len(m["files"]) and not again["switched"]
    assert pointer(s3env)["release"] == m["build_id"]


def test_one_month_change_uploads_only_changed_objects_in_order(s3env, small_site, tmp_path, monkeypatch):
    a = manifest_of(small_site)
    publish(small_site, s3env["url"], keep=3)
    site_b, changed = variant(small_site, tmp_path, "b")
    b = manifest_of(site_b)
    calls: list = []
    recording_client(monkeypatch, calls)
    r = publish(site_b, s3env["url"], keep=3)
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


# A publish in a process of its own that SIGKILLs itself as soon as its n-th object write
# has been answered by the store: no cleanup, no finally block runs, as on a power cut.
KILLED_PUBLISH = textwrap.dedent("""
    import os, signal, sys, threading
    from pathlib import Path
    from accounting.publish import publish, s3

    site, url, limit = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    real_write, lock, done = s3._Store.write, threading.Lock(), [0]

    def write(store, method, **kw):
        real_write(store, method, **kw)
        with lock:
            done[0] += 1
            if done[0] >= limit:
                os.kill(os.getpid(), signal.SIGKILL)

    s3._Store.write = write
    print(publish(site, url, keep=3))
""")


def run_publish_subprocess(site: Path, url: str, env: dict, fail_after: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLED_PUBLISH, str(site), url, str(fail_after)], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def test_killed_upload_keeps_pointer_and_next_run_completes(s3env, small_site, tmp_path):
    a = manifest_of(small_site)
    publish(small_site, s3env["url"], keep=3)
    site_b, _ = variant(small_site, tmp_path, "killed")
    b = manifest_of(site_b)
    proc = run_publish_subprocess(site_b, s3env["url"], s3env["env"], fail_after=40)
    assert proc.returncode == -9, proc.stderr  # killed (SIGKILL) midway
    assert pointer(s3env)["release"] == a["build_id"]
    partial = release_keys(s3env, b["build_id"])
    assert 40 - 16 <= len(partial) < len(b["files"]) and "manifest.json" not in partial
    # The live release is untouched and complete.
    assert release_keys(s3env, a["build_id"]).keys() == set(a["files"]) | {"manifest.json"}

    r = publish(site_b, s3env["url"], keep=3)
    assert r["skipped"] == len(partial)
    assert r["uploaded"] + r["copied"] + r["skipped"] == len(b["files"])
    assert pointer(s3env)["release"] == b["build_id"]
    assert release_keys(s3env, b["build_id"]).keys() == set(b["files"]) | {"manifest.json"}


def test_rollback_moves_pointer_back(s3env, small_site, tmp_path):
    a = manifest_of(small_site)
    publish(small_site, s3env["url"], keep=3)
    site_b, _ = variant(small_site, tmp_path, "b")
    b = manifest_of(site_b)
    publish(site_b, s3env["url"], keep=3)
    assert pointer(s3env)["release"] == b["build_id"]
    r = publish(site_b, s3env["url"], keep=3, rollback=True)
    assert r["release"] == a["build_id"] and r["uploaded"] == 0
    assert pointer(s3env)["release"] == a["build_id"]
    with pytest.raises(PublishError, match="no previous release"):
        publish(site_b, s3env["url"], keep=3, rollback=True)
    # Publishing again after a rollback works and skips what is still there.
    r = publish(site_b, s3env["url"], keep=3)
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
        r = publish(site, s3env["url"], keep=1)
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
    with pytest.raises(PublishError) as e:
        publish(small_site, "s3://no-such-bucket-here/portal", keep=3)
    assert "no-such-bucket-here" in str(e.value) and "does not exist" in str(e.value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(PublishError) as e:
        publish(small_site, s3env["url"], keep=3)
    assert "cannot reach" in str(e.value)
    for err in (e.value,):
        assert "\n" not in str(err) and SECRET not in str(err)
    with pytest.raises(PublishError, match="s3://bucket/prefix"):
        publish(small_site, "s3:///portal", keep=3)


def test_bad_credentials(small_site, monkeypatch):
    """A server that checks credentials (moto with IAM auth on) refuses unknown keys."""
    proc, url = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        with pytest.raises(PublishError) as e:
            publish(small_site, "s3://any-bucket/portal", keep=3)
        msg = str(e.value)
        assert "refused the credentials" in msg and SECRET not in msg and "\n" not in msg
    finally:
        proc.terminate()
        proc.wait(10)
