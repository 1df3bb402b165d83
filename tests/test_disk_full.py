"""A full disk, for real: a small tmpfs holding a previous site, source data, cubes or
publish directory, too small for the next one. Each stage ends with one line naming the
directory and the system's reason, exit 2, the previous content byte-identical, and no
staging directory or half-written release left. Needs root (mount); skipped otherwise."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounting import manifest
from conftest import one_error_line, run_build

FULL = "No space left on device"


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


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


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.rglob("*") if ".building-" in p.name or ".tmp-" in p.name
                  or p.name.endswith(".old"))


def test_site_build_on_a_full_disk(built, small_disk, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(built["data"], data)  # the site stage writes its cache there
    disk = small_disk
    shutil.copytree(built["output"], disk / "output")
    shrink(disk, used(disk) // 2)  # room for about half of the next site
    before = tree(disk / "output")
    proc = run_build("site", "--data-dir", str(data), "--output", str(disk / "output"), "--quiet", check=False)
    one_error_line(proc, "site:", str(disk / "output"), FULL)
    assert tree(disk / "output") == before
    assert sorted(p.name for p in disk.iterdir()) == ["output", "output.lock"]


def test_demo_on_a_full_disk(built, small_disk):
    disk = small_disk
    shutil.copytree(built["source"], disk / "source")
    shrink(disk, used(disk) // 2)
    before = tree(disk / "source")
    proc = run_build("demo", "--to", str(disk / "source"), "--demo-scale", "small", "--quiet", check=False)
    one_error_line(proc, "demo:", str(disk / "source"), FULL)
    assert tree(disk / "source") == before
    assert sorted(p.name for p in disk.iterdir()) == ["source", "source.lock"]


def test_cubes_on_a_full_disk(built, small_disk):
    disk = small_disk
    shutil.copytree(built["source"], disk / "source")
    without_cubes = used(disk)
    shutil.copytree(built["cubes"], disk / "cubes")
    shrink(disk, (used(disk) - without_cubes) // 2)
    before = tree(disk)
    proc = run_build("cubes", "--data-dir", str(disk), "--quiet", check=False)
    one_error_line(proc, "cubes:", str(disk / "cubes"), FULL)
    assert {k: v for k, v in tree(disk).items() if k != "cubes.lock"} == before
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
    before = tree(disk / "pub")
    proc = run_build("publish", "--output", str(built["output"]), "--to", str(disk / "pub"), check=False)
    one_error_line(proc, "publish:", str(disk / "pub"), FULL)
    assert {k: v for k, v in tree(disk / "pub").items() if k != ".publish.lock"} == \
        {k: v for k, v in before.items() if k != ".publish.lock"}
    assert manifest.read(disk / "pub" / "current")["build_id"] == previous
    assert leftovers(disk) == []
