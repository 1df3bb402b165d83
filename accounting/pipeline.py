"""The nightly job's stages, top to bottom: source → cubes → site → publish.

One entry function per stage, each in its own package; every expected failure is an
`accounting.errors.AccountingError` (one line, no traceback).
"""

from __future__ import annotations

import time
from pathlib import Path

from accounting import publish as publish_stage
from accounting import source
from accounting.cubes.build import build as build_cubes_into
from accounting.site.build import build as build_site_into


def export(data_dir: Path, demo_scale: str = "default", progress: bool = True, full: bool = False,
           restate_months: int = 3, bulk: bool = True) -> dict:
    return source.export(data_dir, demo_scale, progress, full, restate_months, bulk)


def write_demo(to: Path, demo_scale: str = "default", progress: bool = True) -> dict:
    return source.write_demo(Path(to), demo_scale, progress)


def load_demo_into_db(demo_scale: str = "default", progress: bool = True) -> dict:
    return source.load_demo_into_db(demo_scale, progress)


def build_cubes(data_dir: Path, progress: bool = True) -> dict[str, int]:
    return build_cubes_into(Path(data_dir) / "source", Path(data_dir) / "cubes", progress)


def build_site(data_dir: Path, output: Path, progress: bool = True) -> dict:
    return build_site_into(Path(data_dir), Path(output), progress)


def publish(output: Path, to: str, keep: int = 5, rollback: bool = False) -> dict:
    return publish_stage.publish(Path(output), to, keep, rollback)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0
