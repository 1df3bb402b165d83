"""Stage 1: the accounting source as Parquet in `data/source/` (layout: `contracts`).

From the MariaDB of ACCOUNTING_DB_URL (APEL's summaries and the portal's topology tables,
`export`), or, with no database configured, from the built-in demo federation (`demo`).
Both meet the same validation (`validation`): rows that fail are quarantined with their
reason, never dropped.
"""

from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from pathlib import Path

from accounting import files
from accounting.errors import SourceError
from accounting.source import contracts, database, validation


def export(data_dir: Path, demo_scale: str = "default", progress: bool = True, full: bool = False,
           restate_months: int = 3, bulk: bool = True) -> dict:
    """Write data/source/: from the MariaDB in ACCOUNTING_DB_URL, or the demo federation."""
    cfgs = database.family_configs()
    if cfgs is None:
        return write_demo(Path(data_dir) / "source", demo_scale, progress)
    from accounting.source import exporter

    target = Path(data_dir) / "source"
    # Locked from before the previous export's state is read until the new state is written
    # after the swap: a second export can neither read a state about to change nor race it.
    with _writing(target):
        report = exporter.export(cfgs, Path(data_dir), full, restate_months, progress, bulk)
    return {name: {k: v for k, v in d.items() if k != "months"} for name, d in report["datasets"].items()}


def write_demo(target: Path, demo_scale: str = "default", progress: bool = True) -> dict:
    """The demo federation as source Parquet in `target` (replaced atomically)."""
    from accounting.source import demo

    with _writing(target), files.staged_dir(target) as staging:
        counts = demo.generate(staging, scale=demo_scale, progress=progress)
        (staging / contracts.ORIGIN_FILE).write_text(json.dumps({"source": "demo", "scale": demo_scale}))
        # The demo's deliberately bad rows meet the same validation as an export's.
        quarantined = validation.quarantine_source(staging)
    return {**counts, "quarantined": {k: v for k, v in quarantined.items() if v}}


@contextmanager
def _writing(target: Path):
    """The lock of `target` for the block, and any I/O failure in it (a full disk, an
    unwritable directory) as one line; the previous `target` stays as it was."""
    try:
        with files.claim(target):
            yield
    except OSError as e:
        raise SourceError.from_os(f"cannot write the source data into {target}", e) from None


def load_demo_into_db(demo_scale: str = "default", progress: bool = True, gpu_shape: str = "flat") -> dict:
    """Generate the demo federation and load it into the MariaDB of ACCOUNTING_DB_URL, its
    accelerator table in `gpu_shape` (db_load.GPU_SHAPES)."""
    from accounting.source import db_load, demo

    cfgs = database.family_configs()
    if cfgs is None:
        raise SourceError(f"{database.DB_URL_ENV} is not set: nowhere to load the demo")
    with tempfile.TemporaryDirectory() as tmp:
        demo.generate(Path(tmp), scale=demo_scale, progress=progress)
        return db_load.load(Path(tmp), cfgs, gpu_shape)
