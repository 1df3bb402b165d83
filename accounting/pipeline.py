"""The nightly job's stages, top to bottom: source → cubes → site → publish.

One entry function per stage, each in its own package; every expected failure is an
`accounting.errors.AccountingError` (one line, no traceback).
"""

from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from accounting import files
from accounting.cubes.build import build as build_cubes_into
from accounting.errors import AccountingError
from accounting.publish import publish
from accounting.site.build import build as build_site
from accounting.source import export, load_demo_into_db, write_demo

__all__ = ["export", "write_demo", "load_demo_into_db", "build_cubes", "build_site", "publish", "timed",
           "nightly_locks"]


def build_cubes(data_dir: Path, progress: bool = True) -> dict[str, int]:
    return build_cubes_into(Path(data_dir) / "source", Path(data_dir) / "cubes", progress)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0


@contextmanager
def nightly_locks(data_dir: Path, output: Path):
    """The locks of everything the nightly job writes, held from its first stage to its last:
    a second nightly run on the same data or output fails at once, before its export, and
    no run slips in between two stages of this one (each stage takes its own lock again,
    which this process already holds)."""
    with ExitStack() as stack:
        for target in (Path(data_dir) / "source", Path(data_dir) / "cubes", Path(output)):
            try:
                stack.enter_context(files.claim(target))
            except OSError as e:
                raise AccountingError.from_os(f"cannot lock {target}", e) from None
        yield
