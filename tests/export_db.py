"""What the MariaDB tests share (tests/test_export*.py): the small demo loaded once per
session into a server's data directory (conftest's `demo_datadir`), servers started on
copies of it (`own_server`), and the export's
report and failures read the same way."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from conftest import run_build
from mariadb_server import PASSWORD, MariaDB

# HybridSuperSummaries' columns in the order the tests' INSERT ... SELECT give them (APEL's
# table has UpdateTime first).
HSS_COLUMNS = """(SiteID, Month, Year, GlobalUserNameID, VOID, VOGroupID,
               VORoleID, SubmitHostId, Infrastructure, InfrastructureDescription, ServiceLevelType, ServiceLevel,
               NodeCount, Processors, EarliestEndTime, LatestEndTime, WallDuration, CpuDuration,
               NormalisedWallDuration, NormalisedCpuDuration, NumberOfJobs, UpdateTime)"""


def hashes(root: Path) -> dict[str, str]:
    """Every data file under `root` by its digest. A stage's lock file (`source.lock`,
    accounting/files.py) is left out: each run, a refused or failed one too, writes its pid
    there, and it holds no data."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".lock"}


def load_demo(base: Path, *options: str) -> Path:
    """A stopped server's data directory holding the small demo (`demo --to-db` with options)."""
    db = MariaDB(base).start()
    try:
        run_build("demo", "--to-db", "--demo-scale", "small", *options, "--quiet",
                  env_extra={"ACCOUNTING_DB_URL": db.url})
    finally:
        db.stop()
    return db.datadir


def server_on_a_copy(datadir: Path, base: Path) -> MariaDB:
    base.mkdir(parents=True)
    shutil.copytree(datadir, base / "data")
    return MariaDB(base).start()


def export_report(data: Path, dataset: str = "htc") -> dict:
    return json.loads((data / "source" / "export_report.json").read_text())["datasets"][dataset]


def run_fails(data: Path, env: dict) -> tuple[str, dict]:
    """A failed export: one error line, the previous data unchanged, no password shown."""
    before = hashes(data)
    proc = run_build("export", "--data-dir", str(data), "--quiet", env_extra=env, check=False)
    assert proc.returncode != 0
    assert hashes(data) == before, "a failed export changed the previous data"
    assert PASSWORD not in proc.stderr and "secretpw" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0], before

