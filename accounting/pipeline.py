"""The nightly job's stages, top to bottom: source → cubes → site → publish.

One entry function per stage, each in its own package; every expected failure is an
`accounting.errors.AccountingError` (one line, no traceback).
"""

from __future__ import annotations

import time
from pathlib import Path

from accounting.cubes.build import build as build_cubes_into
from accounting.publish import publish
from accounting.site.build import build as build_site
from accounting.source import export, load_demo_into_db, write_demo

__all__ = ["export", "write_demo", "load_demo_into_db", "build_cubes", "build_site", "publish", "timed"]


def build_cubes(data_dir: Path, progress: bool = True) -> dict[str, int]:
    return build_cubes_into(Path(data_dir) / "source", Path(data_dir) / "cubes", progress)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0
