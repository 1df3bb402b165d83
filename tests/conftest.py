"""Shared fixtures: one small demo site built through the real CLI, reused by the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A fixed "today" so the demo (and so every page) is the same whenever the tests run.
EPOCH = "1763942400"  # 2025-11-24


def run_build(*args: str, env_extra: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNTING_DB_URL"}
    env.update({"SOURCE_DATE_EPOCH": EPOCH, **(env_extra or {})})
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"build.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """data/ and output/ of `build.py --demo-scale small` (the nightly job, all stages)."""
    base = tmp_path_factory.mktemp("small")
    data, output = base / "data", base / "output"
    run_build("--data-dir", str(data), "--output", str(output), "--demo-scale", "small", "--quiet")
    return {"data": data, "output": output, "source": data / "source", "cubes": data / "cubes"}


@pytest.fixture
def site_copy(built, tmp_path) -> dict[str, Path]:
    """A private copy of the built data and site, for tests that change or break them."""
    data, output = tmp_path / "data", tmp_path / "output"
    shutil.copytree(built["data"], data)
    shutil.copytree(built["output"], output)
    return {"data": data, "output": output}


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (no downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()
