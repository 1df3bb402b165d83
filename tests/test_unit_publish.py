"""The publish entry (accounting.publish.publish) on a tiny hand-made site, its errors, and
the shared file routines it stands on (no build needed)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounting import files, manifest
from accounting.errors import AccountingError, PublishError
from accounting.publish import apache, publish

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime(2025, 11, 24, tzinfo=UTC)


def make_site(path: Path, marker: str) -> str:
    """A site of three files and its manifest; returns its build id."""
    (path / "egi").mkdir(parents=True)
    (path / "index.html").write_text(f"<p>{marker}</p>\n")
    (path / "egi" / "table.csv").write_text("a,b\n1,2\n")
    (path / "404.html").write_text("<p>missing</p>\n")
    return manifest.write(path, path / "no-source", AS_OF)["build_id"]


def test_directory_publish_switch_and_rollback_through_the_entry(tmp_path):
    a, b = make_site(tmp_path / "a", "a"), make_site(tmp_path / "b", "b")
    to = tmp_path / "pub"
    assert publish(tmp_path / "a", str(to))["status"] == "published"
    r = publish(tmp_path / "b", str(to), keep=2)
    assert (r["release"], r["previous"], r["linked"]) == (b, a, 2)
    assert os.readlink(to / "current") == f"releases/{b}"
    assert json.loads((to / "releases.json").read_text()) == {"releases": [a, b], "current": b}
    assert (to / "current.map").read_text() == f"current {b}\n"  # what Apache looks up
    assert publish(tmp_path / "b", str(to), rollback=True)["release"] == a
    assert (to / "current" / "index.html").read_text() == "<p>a</p>\n"
    assert (to / "current.map").read_text() == f"current {a}\n"
    assert not [p.name for p in to.iterdir() if ".tmp" in p.name]


@pytest.mark.parametrize("case, message", [
    ("no manifest", "no manifest.json"),
    ("keep 0", "--keep must be at least 1"),
    ("nothing to roll back", "nothing published"),
    ("current is a directory", "not a symlink"),
    ("bad s3 url", "not an s3://bucket/prefix URL"),
])
def test_every_expected_failure_is_a_publish_error(tmp_path, case, message):
    site, to = tmp_path / "site", tmp_path / "pub"
    if case != "no manifest":
        make_site(site, "x")
    if case == "current is a directory":
        (to / "current").mkdir(parents=True)
    call = {"no manifest": lambda: publish(site, str(to)),
            "keep 0": lambda: publish(site, str(to), keep=0),
            "nothing to roll back": lambda: publish(site, str(to), rollback=True),
            "current is a directory": lambda: publish(site, str(to)),
            "bad s3 url": lambda: publish(site, "s3:///portal")}[case]
    with pytest.raises(PublishError, match=message) as e:
        call()
    assert isinstance(e.value, AccountingError) and e.value.exit_code == 2
    assert not (to / "current").is_symlink()


def test_apache_refuses_a_root_it_cannot_quote(tmp_path):
    with pytest.raises(PublishError, match="quote"):
        apache.config(tmp_path / 'say "cheese"')


def test_directory_publish_needs_no_boto3(tmp_path):
    make_site(tmp_path / "site", "x")
    code = ("import sys; from accounting.publish import publish; "
            "publish(sys.argv[1], sys.argv[2]); assert 'boto3' not in sys.modules, 'boto3 imported'")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site"), str(tmp_path / "pub")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) * 3 + 7])  # around the chunk size
def test_file_digest_equals_hashlib_over_the_whole_file(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert files.file_digest(path) == hashlib.sha256(data).hexdigest() == manifest.file_sha256(path)
    assert files.file_digest(path, "md5") == hashlib.md5(data).hexdigest()


def test_concurrent_writers_of_one_path_never_collide(tmp_path):
    """Threads writing the same file at once: every write succeeds, the file is always one
    writer's complete content, and no temporary file is left."""
    path = tmp_path / "shared.bin"
    blobs = [bytes([i]) * (256 * 1024) for i in range(16)]
    errors, start = [], threading.Barrier(len(blobs))

    def writer(blob):
        start.wait()
        try:
            for _ in range(20):
                files.write_bytes(path, blob)
                assert path.read_bytes() in blobs
        except Exception as e:  # noqa: BLE001 - collected, the test fails on any
            errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(b,)) for b in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert path.read_bytes() in blobs
    assert [p.name for p in tmp_path.iterdir()] == ["shared.bin"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    files.write_bytes(path, b"old")

    def full_disk(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_apache_serves_a_release_directory_through_its_map(tmp_path):
    """Served from `releases/<id>/` as current.map names it at the start of a request (a file's
    size and content from the same immutable release), the symlink only until the map exists;
    any other directory as it is."""
    conf = apache.config(tmp_path / "pub" / "current")
    pub = (tmp_path / "pub").as_posix()
    assert f'RewriteMap release "txt:{pub}/current.map"' in conf
    assert f'RewriteRule "^/(.*)$" "{pub}/releases/%{{ENV:RELEASE}}/$1" [L]' in conf
    assert f'<IfFile !"{pub}/current.map">' in conf and f'RewriteRule "^/(.*)$" "{pub}/current/$1" [L]' in conf
    plain = apache.config(tmp_path / "site")
    assert "RewriteMap" not in plain and f'RewriteRule "^/(.*)$" "{(tmp_path / "site").as_posix()}/$1" [L]' in plain
