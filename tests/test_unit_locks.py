"""One writer at a time per target (accounting.files), with no build: a second run into a
directory another process holds fails at once, naming the holder, and changes nothing; the
holder of a lock clears what killed runs left beside its target; the same for a publish
directory (a tiny hand-made site)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounting import files, manifest
from accounting.errors import BusyError
from accounting.publish import directory
from conftest import one_error_line, run_build
from lock_holder import holding

AS_OF = datetime(2025, 11, 24, tzinfo=UTC)


def tiny_site(path: Path, marker: str) -> str:
    (path / "egi").mkdir(parents=True)
    (path / "index.html").write_text(f"<p>{marker}</p>\n")
    (path / "egi" / "table.csv").write_text("a,b\n1,2\n")
    return manifest.write(path, path / "no-source", AS_OF)["build_id"]


def test_a_held_target_is_refused_at_once_and_left_alone(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "page.html").write_text("previous\n")
    with holding(target) as pid:
        with pytest.raises(BusyError, match=rf"{target} is being built by another run \(pid {pid};"):
            with files.staged_dir(target):
                raise AssertionError("entered a directory another run holds")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.lock"]
    with files.staged_dir(target) as staging:  # released with its holder
        (staging / "page.html").write_text("new\n")
    assert (target / "page.html").read_text() == "new\n"


def test_the_lock_is_reentrant_within_one_run(tmp_path):
    """The nightly job holds its targets' locks while each stage takes its own again."""
    target = tmp_path / "cubes"
    with files.claim(target), files.staged_dir(target) as staging:
        (staging / "x.parquet").write_bytes(b"x")
    assert (target / "x.parquet").exists()


def test_the_holder_removes_what_killed_runs_left(tmp_path):
    target = tmp_path / "output"
    for stale in ("output.building-12345", "output.building-1", "output.old"):
        (tmp_path / stale / "egi").mkdir(parents=True)
        (tmp_path / stale / "egi" / "index.html").write_text("half a site\n")
    for other in ("output2.building-7", "outputs.old", "data"):  # not this target's
        (tmp_path / other).mkdir()
    with files.staged_dir(target) as staging:
        assert sorted(p.name for p in tmp_path.iterdir() if ".building-" in p.name or p.name.endswith(".old")) \
            == sorted(["output2.building-7", "outputs.old", staging.name])
        (staging / "index.html").write_text("site\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "output", "output.lock", "output2.building-7",
                                                          "outputs.old"]


def test_a_failed_block_leaves_the_target_and_no_staging(tmp_path):
    target = tmp_path / "source"
    target.mkdir()
    (target / "a.parquet").write_bytes(b"old")
    with pytest.raises(OSError, match="No space"):
        with files.staged_dir(target) as staging:
            (staging / "a.parquet").write_bytes(b"new")
            raise OSError(28, "No space left on device")
    assert (target / "a.parquet").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "source.lock"]


def test_the_nightly_job_refuses_a_data_directory_in_use(tmp_path):
    """Before its export: a second nightly run on data another run holds changes nothing."""
    data = tmp_path / "data"
    with holding(data / "cubes") as pid:
        t0 = time.monotonic()
        proc = run_build("--data-dir", str(data), "--output", str(tmp_path / "out"), "--demo-scale", "small",
                         "--quiet", check=False)
        seconds = time.monotonic() - t0
    one_error_line(proc, f"{data / 'cubes'} is being built by another run (pid {pid};")
    assert seconds < 20, f"refused only after {seconds:.0f} s"  # not after an export of its own
    assert not (data / "source").exists() and not (tmp_path / "out").exists()


def test_a_second_publish_into_one_directory_fails_at_once(tmp_path):
    pub = tmp_path / "pub"
    first = tiny_site(tmp_path / "a", "a")
    run_build("publish", "--output", str(tmp_path / "a"), "--to", str(pub))
    tiny_site(tmp_path / "b", "b")
    with holding(pub, "publish") as pid:
        proc = run_build("publish", "--output", str(tmp_path / "b"), "--to", str(pub), check=False)
    one_error_line(proc, f"{pub} is being published to by another run (pid {pid};")
    assert os.readlink(pub / "current") == f"releases/{first}"
    assert sorted(p.name for p in (pub / "releases").iterdir()) == [first]


def test_a_publish_clears_what_a_killed_publish_left(tmp_path):
    pub = tmp_path / "pub"
    build_id = tiny_site(tmp_path / "site", "a")
    directory.publish(tmp_path / "site", pub)
    half = pub / "releases" / ".0123456789abcdef.tmp-99999"
    (half / "egi").mkdir(parents=True)
    (half / "egi" / "table.csv").write_text("a,b\n")
    os.symlink("releases/0123456789abcdef", pub / ".current.tmp-99999")
    (pub / "releases.json.tmp-99999-1").write_text("{")
    (pub / "current.map.tmp-99999-1").write_text("current 01")
    # Killed between the new symlink and the map: the map, which Apache serves by, is behind.
    (pub / "current.map").write_text("current 0123456789abcdef\n")
    result = directory.publish(tmp_path / "site", pub)
    assert result["status"].startswith("unchanged")
    assert sorted(p.name for p in pub.iterdir()) == [".publish.lock", "current", "current.map", "releases",
                                                     "releases.json"]
    assert [p.name for p in (pub / "releases").iterdir()] == [build_id]
    assert (pub / "current.map").read_text() == f"current {build_id}\n"
    assert json.loads((pub / "releases.json").read_text())["current"] == build_id
