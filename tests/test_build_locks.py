"""Two real builds into one directory, and a build killed midway, through the command line:
the second run fails at once with one line while the first completes its site, and the run
after a SIGKILL succeeds and removes what the killed one left."""

from __future__ import annotations

import hashlib
import shutil
import signal
import time
from pathlib import Path

from accounting import manifest
from conftest import leftovers, one_error_line, run_build, start_build, tree_sha256, wait_until


def assert_complete(site: Path) -> None:
    """Every file the manifest lists, with its SHA-256, and nothing else."""
    m = manifest.read(site)
    assert tree_sha256(site) == {**{rel: meta["sha256"] for rel, meta in m["files"].items()},
                          "manifest.json": hashlib.sha256((site / "manifest.json").read_bytes()).hexdigest()}


def test_a_second_build_into_one_output_fails_at_once(built, tmp_path):
    data, out = tmp_path / "data", tmp_path / "output"
    shutil.copytree(built["data"], data)
    for stale in ("output.building-99999", "output.old"):  # from runs killed long ago
        (tmp_path / stale / "egi").mkdir(parents=True)
    first = start_build("site", "--data-dir", str(data), "--output", str(out), "--quiet")
    try:
        # The first run holds the lock once its pid is in the lock file.
        wait_until(lambda: (tmp_path / "output.lock").exists()
                   and (tmp_path / "output.lock").read_text().strip() == str(first.pid), 60, "the first build's lock")
        t0 = time.monotonic()
        second = run_build("site", "--data-dir", str(data), "--output", str(out), "--quiet", check=False)
        seconds = time.monotonic() - t0
        assert first.poll() is None, "the first build ended before the second was refused: nothing was tested"
        one_error_line(second, "site:", f"{out} is being built by another run (pid {first.pid};")
        assert seconds < 15, f"refused only after {seconds:.0f} s"
        assert not out.exists()
    finally:
        _, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-3000:]
    assert_complete(out)
    # Every file (manifest.json too) the same as the shared build's: this is also the test
    # that the site stage, run again on the same data, builds an identical site.
    assert tree_sha256(out) == tree_sha256(built["output"])
    assert leftovers(tmp_path) == []


def test_a_build_killed_midway_is_cleaned_up_by_the_next(built, tmp_path):
    target = tmp_path / "source"
    killed = start_build("demo", "--to", str(target), "--demo-scale", "small", "--quiet")
    staging = tmp_path / f"source.building-{killed.pid}"
    try:
        wait_until(lambda: staging.is_dir() and any(staging.rglob("*.parquet")), 120, "the demo's first Parquet")
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL and staging.is_dir(), "not killed midway: nothing was tested"
    assert not target.exists()
    run_build("demo", "--to", str(target), "--demo-scale", "small", "--quiet")
    assert leftovers(tmp_path) == []
    # The demo is deterministic: complete, it is what the shared build's export wrote (the
    # one test that `demo --to DIR` writes the source the nightly job exports).
    assert tree_sha256(target) == tree_sha256(built["source"])
