"""The build manifest and filesystem releases (`build.py publish --to DIR`): layout, hard
links for unchanged files, the atomic `current` symlink, keep N, rollback."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import brotli
import duckdb
import pytest

from accounting import manifest
from conftest import run_build
from release_helpers import variant


def _publish(site: Path, to: Path, *extra: str):
    return run_build("publish", "--output", str(site), "--to", str(to), *extra)


def _current(to: Path) -> str:
    link = to / "current"
    assert link.is_symlink()
    target = os.readlink(link)
    assert target.startswith("releases/")
    return Path(target).name


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- manifest -------------------------------------------------------------------------


def test_manifest_lists_every_file_with_size_and_sha256(built):
    out = built["output"]
    m = manifest.read(out)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(m["files"]) == on_disk - {"manifest.json"}
    assert list(m["files"]) == sorted(m["files"])
    for rel, meta in m["files"].items():
        data = (out / rel).read_bytes()
        assert meta == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}, rel
    pairs = "".join(f"{rel}\0{meta['sha256']}\n" for rel, meta in m["files"].items())
    assert m["build_id"] == hashlib.sha256(pairs.encode()).hexdigest()[:16]


def test_manifest_build_time_code_and_datasets(built):
    m = manifest.read(built["output"])
    as_of = duckdb.connect().execute(f"SELECT strftime(as_of AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') "
                                     f"FROM '{built['cubes']}/source_summary.parquet' "
                                     "WHERE dataset = 'htc'").fetchone()[0]
    assert m["built_at"] == as_of
    assert m["code_version"] == manifest.code_version() and len(m["code_version"]) == 16
    summary = dict(duckdb.connect().execute(
        f"SELECT dataset, rows FROM '{built['cubes']}/source_summary.parquet'").fetchall())
    for name in ("htc", "storage", "gpu", "cloud", "topology"):
        assert name in m["datasets"], name
        assert len(m["datasets"][name]["sha256"]) == 64
    for name, rows in summary.items():
        assert m["datasets"][name]["rows"] == rows, name


def test_precompressed_siblings_decompress_to_their_original(built):
    out = built["output"]
    texts = [p for p in out.rglob("*") if p.suffix in (".html", ".css", ".js", ".json", ".csv", ".svg")]
    assert texts
    siblings = 0
    for p in texts:
        br, gz = p.with_name(p.name + ".br"), p.with_name(p.name + ".gz")
        if p.name == "manifest.json":
            continue
        if br.exists():
            assert brotli.decompress(br.read_bytes()) == p.read_bytes(), br
            siblings += 1
        if gz.exists():
            assert gz.read_bytes()[4:8] == b"\0\0\0\0", "gzip mtime must be 0"
            assert gzip.decompress(gz.read_bytes()) == p.read_bytes(), gz
            siblings += 1
    assert siblings > len(texts)  # nearly every text file has both
    assert not list(out.rglob("*.parquet.br")) and not list(out.rglob("*.parquet.gz"))
    for page in ("index.html", "egi/index.html"):
        assert (out / (page + ".br")).exists() and (out / (page + ".gz")).exists()


def test_two_clean_builds_give_identical_manifests(built, rebuilt):
    assert (rebuilt["output"] / "manifest.json").read_bytes() == (built["output"] / "manifest.json").read_bytes()


# -- releases -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second(built, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("second") / "output"
    variant(built["output"], dest, built["source"], "second")
    return dest


def test_publish_layout_and_idempotence(built, tmp_path):
    to = tmp_path / "pub"
    proc = _publish(built["output"], to)
    build_id = manifest.read(built["output"])["build_id"]
    assert "published" in proc.stderr
    assert _current(to) == build_id
    assert sorted(p.name for p in (to / "releases").iterdir()) == [build_id]
    assert _tree(to / "current") == _tree(built["output"])
    assert json.loads((to / "releases.json").read_text()) == {"releases": [build_id], "current": build_id}
    again = _publish(built["output"], to)
    assert "already the current release" in again.stderr
    assert sorted(p.name for p in (to / "releases").iterdir()) == [build_id]


def test_unchanged_files_are_hard_linked(built, second, tmp_path):
    to = tmp_path / "pub"
    _publish(built["output"], to)
    _publish(second, to)
    a, b = manifest.read(built["output"]), manifest.read(second)
    assert _current(to) == b["build_id"] != a["build_id"]
    ra, rb = to / "releases" / a["build_id"], to / "releases" / b["build_id"]
    assert _tree(rb) == _tree(second)
    changed = {rel for rel in b["files"] if a["files"].get(rel) != b["files"][rel]}
    assert changed == {"index.html", "index.html.br", "index.html.gz"}
    for rel in b["files"]:
        same_inode = (ra / rel).stat().st_ino == (rb / rel).stat().st_ino
        assert same_inode == (rel not in changed), rel
    assert (ra / "index.html").read_bytes() == (built["output"] / "index.html").read_bytes()


def test_rollback_and_keep(built, second, tmp_path):
    to = tmp_path / "pub"
    ids = []
    for i in range(4):
        site = built["output"] if i == 0 else second if i == 1 else None
        if site is None:
            site = tmp_path / f"v{i}"
            variant(built["output"], site, built["source"], f"v{i}")
        _publish(site, to, "--keep", "2")
        ids.append(manifest.read(site)["build_id"])
    # keep 2: the two latest remain (the current and the previous one)
    assert sorted(p.name for p in (to / "releases").iterdir()) == sorted(ids[2:])
    assert json.loads((to / "releases.json").read_text())["releases"] == ids[2:]
    proc = run_build("publish", "--to", str(to), "--rollback")
    assert "rolled back" in proc.stderr
    assert _current(to) == ids[2]
    assert (to / "current" / "index.html").read_bytes().endswith(b"<!-- v2 -->\n")
    # nothing older is kept: a second rollback is refused and changes nothing
    proc = run_build("publish", "--to", str(to), "--rollback", check=False)
    assert proc.returncode != 0 and "no release before" in proc.stderr
    assert _current(to) == ids[2]
    # publishing again after a rollback switches to the newer release without copying
    proc = _publish(tmp_path / "v3", to, "--keep", "2")
    assert "switched to the existing release" in proc.stderr and _current(to) == ids[3]


def test_keep_never_deletes_current_or_previous(built, second, tmp_path):
    to = tmp_path / "pub"
    _publish(built["output"], to, "--keep", "1")
    _publish(second, to, "--keep", "1")
    names = sorted(p.name for p in (to / "releases").iterdir())
    assert names == sorted([manifest.read(built["output"])["build_id"], manifest.read(second)["build_id"]])


def test_publish_without_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "site").mkdir()
    proc = run_build("publish", "--output", str(tmp_path / "site"), "--to", str(tmp_path / "pub"), check=False)
    assert proc.returncode != 0 and "manifest.json" in proc.stderr
    assert not (tmp_path / "pub" / "current").exists()
