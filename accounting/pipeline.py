"""The nightly job's stages, top to bottom: export → cubes → site. One entry function each."""

from __future__ import annotations

import time
from pathlib import Path

from accounting import files
from accounting.cubes import build as cubes
from accounting.source import database
from accounting.site import builder as site
from accounting.source import export as export_db

class StageError(RuntimeError):
    """A stage failed; the message is the one line the operator sees."""


def export(data_dir: Path, demo_scale: str = "default", progress: bool = True, full: bool = False,
           restate_months: int = 3, bulk: bool = True) -> dict:
    """Write data/source/: from the MariaDB in ACCOUNTING_DB_URL, or the demo federation."""
    try:
        cfg = database.config_from_env()
        if cfg is not None:
            report = export_db.export(cfg, Path(data_dir), full, restate_months, progress, bulk)
            return {name: {k: v for k, v in d.items() if k != "months"} for name, d in report["datasets"].items()}
    except database.SourceError as e:
        raise StageError(str(e)) from None
    from accounting.source import demo

    with files.staged_dir(Path(data_dir) / "source") as staging:
        counts = demo.generate(staging, scale=demo_scale, progress=progress)
        # The demo's deliberately bad rows meet the same validation as an export's.
        quarantined = export_db.quarantine_source(staging)
    return {**counts, "quarantined": {k: v for k, v in quarantined.items() if v}}


def load_demo_into_db(data_dir: Path, demo_scale: str, progress: bool = True) -> dict:
    """Generate the demo federation and load it into the MariaDB of ACCOUNTING_DB_URL."""
    import tempfile

    from accounting.source import db_load
    from accounting.source import demo

    try:
        cfg = database.config_from_env()
        if cfg is None:
            raise StageError(f"{database.DB_URL_ENV} is not set: nowhere to load the demo")
        with tempfile.TemporaryDirectory(dir=data_dir if Path(data_dir).is_dir() else None) as tmp:
            demo.generate(Path(tmp), scale=demo_scale, progress=progress)
            return db_load.load(Path(tmp), cfg)
    except database.SourceError as e:
        raise StageError(str(e)) from None


def build_cubes(data_dir: Path, progress: bool = True) -> dict[str, int]:
    source = Path(data_dir) / "source"
    if not source.is_dir():
        raise StageError(f"no source data in {source}: run the export stage first")
    return cubes.build(source, Path(data_dir) / "cubes", progress)


def build_site(data_dir: Path, output: Path, progress: bool = True) -> dict:
    cubes_dir = Path(data_dir) / "cubes"
    if not (cubes_dir / "htc_monthly.parquet").exists():
        raise StageError(f"no cubes in {cubes_dir}: run the cubes stage first")
    return site.build(Path(data_dir), Path(output), progress)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0
