"""The nightly job's stages, top to bottom: export → cubes → site. One entry function each."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from . import atomic, cubes, site

log = logging.getLogger(__name__)

DB_URL_ENV = "ACCOUNTING_DB_URL"


class StageError(RuntimeError):
    """A stage failed; the message is the one line the operator sees."""


def export(data_dir: Path, demo_scale: str = "default", progress: bool = True) -> dict[str, int]:
    """Write data/source/: from the MariaDB in ACCOUNTING_DB_URL, or the demo federation."""
    if os.environ.get(DB_URL_ENV):
        raise StageError(f"{DB_URL_ENV} is set, but the MariaDB export is not built yet; "
                         f"unset it to build from the demo federation")
    from . import demo

    with atomic.staged_dir(Path(data_dir) / "source") as staging:
        counts = demo.generate(staging, scale=demo_scale, progress=progress)
    return counts


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
