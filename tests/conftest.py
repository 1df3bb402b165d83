"""Shared fixtures: one small demo site built through the real CLI, reused by the tests.

Every test belongs to one tier, so a developer can run a part of the suite:

    pytest -m unit       # seconds: no build, no server
    pytest -m site       # the shared small demo build (`built`), and copies of it
    pytest -m services   # real servers and tools: MariaDB, Apache, Chromium, S3, actionlint

The tier of a test comes from its module (`TIERS` below, the one place it is assigned), or
from an explicit `@pytest.mark.unit/site/services` on the test or its parameters, which wins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A fixed "today" so the demo (and so every page) is the same whenever the tests run.
EPOCH = "1763942400"  # 2025-11-24

TIER_MARKERS = {
    "unit": "needs no build and no server: runs in seconds",
    "site": "reads the shared small demo build (`built`) or a private copy of it",
    "services": "starts a real server or external tool (MariaDB, Apache, Chromium, S3, actionlint)",
}
# Module → tier. A module holding tests of two tiers marks the others explicitly (in the
# module, or in PER_TEST for modules whose tests carry no marks).
TIERS = {
    "test_containers": "unit",  # the Dockerfile and compose file, read statically
    "test_workflows": "unit",  # the workflow files, read statically (actionlint: PER_TEST)
    "test_demo": "site",  # generates the small demo itself (seconds, but a build)
    "test_site": "site",
    "test_wlcg": "site",
    "test_wlcg_frozen": "site",  # a restated month rebuilt over a copy of the shared build
    "test_numbers": "site",
    "test_cloud": "site",
    "test_gpu": "site",
    "test_storage": "site",
    "test_optional_data": "site",  # variants of the small demo's source, built through cubes and site
    "test_explore": "site",  # the explorer's SQL over the published cubes against the pages
    "test_explore_chart": "services",  # Chromium: the explorer's chart, sorting and downloads
    "test_publish": "site",
    "test_errors": "site",
    "test_build_locks": "site",  # real builds run together, and one killed midway
    "test_disk_full": "site",  # builds into a small tmpfs (needs root to mount)
    "test_api": "services",  # the API in its own uvicorn process
    "test_api_legacy": "services",  # the API's old-portal calls and dumps, behind Apache
    "test_export": "services",  # MariaDB
    "test_export_bad": "services",  # MariaDB: bad rows of every table, one export and one build
    "test_export_shapes": "services",  # MariaDB
    "test_limits": "services",  # MariaDB: values at the limits of their types, export to site
    "test_export_hostile": "services",  # MariaDB
    "test_hostile_names": "services",  # hostile names planted in MariaDB, exported and built once (hostile)
    "test_personal_names": "services",  # the same build: identities withheld, reserved labels
    "test_hostile_pages": "services",  # the same build in Chromium and against the database: no markup runs
    "test_apache": "services",  # Apache httpd (and Chromium)
    "test_browser": "services",  # Chromium
    "test_explore_browser": "services",  # Chromium runs the explorer (DuckDB-WASM) over the built site
    "test_legacy_browser": "services",  # old portal addresses through the real Apache and the 404 page, in Chromium
    "test_report_links": "site",  # the change-this-view links (their Chromium tests are marked services)
    "test_search": "site",  # the search index (its Chromium tests are marked services)
    "test_explore_random": "services",  # Chromium: 200 random explorer views against the source Parquet
    "test_wlcg_browser": "services",  # Chromium: the WLCG pages, axe-core, a report printed to PDF
    "test_explore_a11y": "services",  # Chromium: axe-core, keyboard use and two viewport widths
    "test_s3": "services",  # the moto S3 server
}
UNIT_PREFIX = "test_unit_"  # test_unit_*.py: unit tests, whoever writes them
PER_TEST = {
    ("test_workflows", "test_actionlint_finds_nothing"): "services",
    ("test_publish", "test_publish_without_manifest_is_a_clear_error"): "unit",
}


def pytest_configure(config):
    declared = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name, text in TIER_MARKERS.items():  # where the project's settings do not declare them
        if name not in declared:
            config.addinivalue_line("markers", f"{name}: {text}")


def tier_of(module: str, test: str) -> str | None:
    if (module, test) in PER_TEST:
        return PER_TEST[(module, test)]
    if module.startswith(UNIT_PREFIX):
        return "unit"
    return TIERS.get(module)


def pytest_collection_modifyitems(config, items):
    unassigned = set()
    for item in items:
        explicit = [m.name for m in item.iter_markers() if m.name in TIER_MARKERS]
        if len(set(explicit)) > 1:
            raise pytest.UsageError(f"{item.nodeid} is marked with two tiers: {sorted(set(explicit))}")
        if explicit:
            continue
        module = item.path.stem
        test = getattr(item, "originalname", item.name)
        tier = tier_of(module, test)
        if tier is None:
            unassigned.add(module)
            continue
        item.add_marker(getattr(pytest.mark, tier))
    if unassigned:
        raise pytest.UsageError(f"test modules without a tier: {', '.join(sorted(unassigned))}; "
                                "add them to TIERS in tests/conftest.py")


def build_env(env_extra: dict | None = None) -> dict:
    """The environment of a build.py run: ours without the portal's own settings (no database,
    the repository's templates, no debug tracebacks), with the fixed "today"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNTING_")}
    env.update({"SOURCE_DATE_EPOCH": EPOCH, **(env_extra or {})})
    return env


def run_build(*args: str, env_extra: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, env=build_env(env_extra),
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"build.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def start_build(*args: str, env_extra: dict | None = None) -> subprocess.Popen:
    """build.py running in the background (text stdout and stderr piped), to watch it work."""
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, env=build_env(env_extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_error_line(proc: subprocess.CompletedProcess, *names: str) -> str:
    """A failed command's whole report: exit status 2 and exactly one line on stderr,
    `error: …`, naming each of `names` (what failed), and no traceback. Returns the line."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, f"exit status {proc.returncode}:\n{proc.stderr[-3000:]}"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one error line:\n{proc.stderr[-3000:]}"
    assert lines[0].isprintable(), f"control characters in: {lines[0]!r}"
    for name in names:
        assert name in lines[0], f"{name!r} not named in: {lines[0]}"
    return lines[0]


def tree_sha256(root: Path) -> dict[str, str]:
    """{path under root: SHA-256} of every file: a tree's content, to compare before and after."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    """What an interrupted or failed run would leave under `parent`: staging trees
    (`*.building-PID`), swapped-out trees (`*.old`), temporary files and releases (`*.tmp-*`)."""
    return sorted(p.relative_to(parent).as_posix() for p in parent.rglob("*")
                  if ".building-" in p.name or ".tmp-" in p.name or p.name.endswith(".old"))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll `predicate` until it returns something true (returned), for at most `timeout`
    seconds: synchronisation on an observable event, never on a fixed delay."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """data/ and output/ of `build.py --demo-scale small` (the nightly job, all stages)."""
    base = tmp_path_factory.mktemp("small")
    data, output = base / "data", base / "output"
    run_build("--data-dir", str(data), "--output", str(output), "--demo-scale", "small", "--quiet")
    return {"data": data, "output": output, "source": data / "source", "cubes": data / "cubes"}


@pytest.fixture(scope="session")
def rebuilt(tmp_path_factory) -> dict[str, Path]:
    """A second nightly job from nothing, with the same inputs as `built`, ending with
    `--publish-to`: data/, output/ and the publish directory. One build serves both tests
    of a clean build (test_publish: the same manifest; test_site: the same release made
    live), a whole nightly run (a minute or more) being the costliest thing they do."""
    base = tmp_path_factory.mktemp("rebuilt")
    data, output, pub = base / "data", base / "output", base / "pub"
    run_build("--data-dir", str(data), "--output", str(output), "--demo-scale", "small", "--quiet",
              "--publish-to", str(pub))
    return {"data": data, "output": output, "pub": pub}


@pytest.fixture(scope="session")
def hostile(demo_datadir, tmp_path_factory) -> dict:
    """The small demo's MariaDB with hostile names planted (tests/hostile_names.py), exported
    and built through cubes and site: data/, output/, the running server (`db`, read by the
    tests' own SQL) and what was renamed."""
    from export_db import server_on_a_copy
    from hostile_names import plant

    base = tmp_path_factory.mktemp("hostile")
    data, output = base / "data", base / "output"
    db = server_on_a_copy(demo_datadir, base / "db")
    with db.root() as con:
        renamed = plant(con.cursor())
    run_build("export", "--data-dir", str(data), "--quiet", env_extra={"ACCOUNTING_DB_URL": db.url})
    run_build("cubes", "--data-dir", str(data), "--quiet")
    run_build("site", "--data-dir", str(data), "--output", str(output), "--quiet")
    yield {"data": data, "output": output, "db": db, **renamed}
    db.stop()


@pytest.fixture
def site_copy(built, tmp_path) -> dict[str, Path]:
    """A private copy of the built data and site, for tests that change or break them."""
    data, output = tmp_path / "data", tmp_path / "output"
    shutil.copytree(built["data"], data)
    shutil.copytree(built["output"], output)
    return {"data": data, "output": output}


@pytest.fixture
def data_copy(built, tmp_path) -> dict[str, Path]:
    """A private copy of the built data alone, for tests that change it and build no site
    (copying the site too, some 30,000 files, would be most of their time)."""
    data = tmp_path / "data"
    shutil.copytree(built["data"], data)
    return {"data": data}


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


@pytest.fixture(scope="session")
def demo_datadir(tmp_path_factory) -> Path:
    """A stopped MariaDB's data directory holding the small demo (`demo --to-db`): every
    server of the MariaDB tests starts on a copy of it, far faster than loading it again."""
    from export_db import load_demo

    return load_demo(tmp_path_factory.mktemp("mariadb-demo"))


@pytest.fixture
def own_server(demo_datadir, tmp_path):
    """A private server with the small demo loaded, for tests that break or change it."""
    from export_db import server_on_a_copy

    db = server_on_a_copy(demo_datadir, tmp_path / "db")
    yield db, {"ACCOUNTING_DB_URL": db.url}
    db.stop()
