"""A full disk, for real: a small tmpfs holding a previous site, source data, cubes or
publish directory, too small for the next one. Each stage ends with one line naming the
directory and the system's reason, exit 2, the previous content byte-identical, and no
staging directory or half-written release left. Needs root (mount); skipped otherwise."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounting import manifest
from conftest import leftovers, one_error_line, run_build, tree_sha256

FULL = "No space left on device"


def used(disk: Path) -> int:
    return shutil.disk_usage(disk).used


def shrink(disk: Path, spare: int) -> None:
    """Leave `spare` bytes free on the tmpfs `disk` (measured by the tmpfs itself, which
    counts whole pages per file, unlike lengths or another filesystem's blocks)."""
    subprocess.run(["mount", "-o", f"remount,size={used(disk) + spare}", str(disk)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    """A fresh tmpfs, roomy until `shrink`; unmounted at the end."""
    disk = tmp_path / "disk"
    disk.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", str(disk)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("stage", ["site", "demo"])
def test_a_tree_swapped_in_whole_on_a_full_disk(built, small_disk, tmp_path, stage):
    name = {"site": "output", "demo": "source"}[stage]
    target = small_disk / name
    shutil.copytree(built[name], target)
    shrink(small_disk, used(small_disk) // 2)  # room for about half of the next one
    before = tree_sha256(target)
    if stage == "site":
        data = tmp_path / "data"
        shutil.copytree(built["data"], data)  # the site stage writes its cache there
        args = ["site", "--data-dir", str(data), "--output", str(target)]
    else:
        args = ["demo", "--to", str(target), "--demo-scale", "small"]
    proc = run_build(*args, "--quiet", check=False)
    one_error_line(proc, f"{stage}:", str(target), FULL)
    assert tree_sha256(target) == before
    assert sorted(p.name for p in small_disk.iterdir()) == [name, f"{name}.lock"]


def test_cubes_on_a_full_disk(built, small_disk):
    disk = small_disk
    shutil.copytree(built["source"], disk / "source")
    without_cubes = used(disk)
    shutil.copytree(built["cubes"], disk / "cubes")
    shrink(disk, (used(disk) - without_cubes) // 2)
    before = tree_sha256(disk)
    proc = run_build("cubes", "--data-dir", str(disk), "--quiet", check=False)
    one_error_line(proc, "cubes:", str(disk / "cubes"), FULL)
    assert {k: v for k, v in tree_sha256(disk).items() if k != "cubes.lock"} == before
    assert leftovers(disk) == []


def test_publish_on_a_full_disk(built, small_disk, tmp_path):
    """A release that does not fit: the live one stays current, no half-assembled release."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "index.html").write_text("<p>the previous release</p>\n")
    previous = manifest.write(tiny, tmp_path / "no-source", datetime(2025, 11, 24, tzinfo=UTC))["build_id"]
    disk = small_disk
    shutil.copytree(built["output"], disk / "probe")
    half_a_site = used(disk) // 2
    shutil.rmtree(disk / "probe")
    run_build("publish", "--output", str(tiny), "--to", str(disk / "pub"))
    shrink(disk, half_a_site)
    before = tree_sha256(disk / "pub")
    proc = run_build("publish", "--output", str(built["output"]), "--to", str(disk / "pub"), check=False)
    one_error_line(proc, "publish:", str(disk / "pub"), FULL)
    assert {k: v for k, v in tree_sha256(disk / "pub").items() if k != ".publish.lock"} == \
        {k: v for k, v in before.items() if k != ".publish.lock"}
    assert manifest.read(disk / "pub" / "current")["build_id"] == previous
    assert leftovers(disk) == []
