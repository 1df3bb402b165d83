#!/usr/bin/env python3
"""Storage summarisation benchmark: the StAR snapshots of a demo scale (default `egi`)
summarised into the storage_monthly cube (republished records resolved, monthly min, max,
time-weighted average and end of month), timed alone, with the peak memory of the process.

    .venv/bin/python bench/storage_bench.py --scale egi
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from accounting import duck  # noqa: E402
from accounting.cubes import build as cubes  # noqa: E402
from accounting.locations import CUBES_SQL  # noqa: E402
from accounting.source import demo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["small", "default", "egi"], default="egi")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "results" / "storage")
    args = ap.parse_args()
    source = args.work / args.scale / "source"
    if not (source / "storage").exists():
        shutil.rmtree(source, ignore_errors=True)
        source.mkdir(parents=True)
        t0 = time.perf_counter()
        counts = demo.generate(source, args.scale, progress=False)
        print(f"demo {args.scale}: {counts['storage']:,} StAR records generated in {time.perf_counter() - t0:.1f} s "
              "(with the HTC demo)")
    con = duck.connect()
    cubes.register_sources(con, source)
    cubes.register_quarantine(con, source)
    staging, _ = cubes.cube_files()
    for path in staging:
        con.sql(duck.sql(path)).create_view(path.stem)
    records = con.table("src_storage").shape[0]
    t0 = time.perf_counter()
    con.sql(duck.sql(CUBES_SQL / "storage_monthly.sql")).create("storage_monthly")
    seconds = time.perf_counter() - t0
    rows = con.table("storage_monthly").shape[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"storage summarisation ({args.scale}): {records:,} StAR records -> {rows:,} monthly rows "
          f"in {seconds:.2f} s ({records / seconds:,.0f} records/s), peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
