#!/usr/bin/env python3
"""Build the demo at one or more scales and print rows, time and peak memory per stage,
pages written and output size. Each stage runs as its own process (the real CLI) so its
peak RSS is its own.

    .venv/bin/python bench/build_bench.py                 # default and egi
    .venv/bin/python bench/build_bench.py --scale small
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Each command takes only its own options.
STAGE_OPTIONS = {"export": lambda output, scale: ["--demo-scale", scale], "cubes": lambda output, scale: [],
                 "site": lambda output, scale: ["--output", str(output)]}


def run_stage(args: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, stderr) of one `build.py` stage in its own process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), *args, "--quiet"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"stage {args[0]} failed:\n{err}")
    return seconds, usage.ru_maxrss / 1024, err


def tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def bench(scale: str, work: Path) -> dict:
    data, output = work / scale / "data", work / scale / "output"
    result = {"scale": scale}
    for stage in ("export", "cubes", "site"):
        args = [stage, "--data-dir", str(data), *STAGE_OPTIONS[stage](output, scale)]
        seconds, rss, err = run_stage(args)
        result[stage] = {"seconds": round(seconds, 2), "peak_rss_mib": round(rss)}
        print(f"  {scale:8s} {stage:7s} {seconds:8.1f} s  peak {rss:8.0f} MiB", flush=True)
    import pyarrow.parquet as pq

    rows = lambda files: sum(pq.read_metadata(f).num_rows for f in files)  # noqa: E731
    result["htc_rows"] = rows((data / "source" / "htc").glob("year=*/month=*/*.parquet"))
    result["cube_rows"] = {p.stem: rows([p]) for p in sorted((data / "cubes").glob("*.parquet"))}
    result["pages"] = sum(1 for _ in output.rglob("index.html"))
    result["output_files"], result["output_bytes"] = tree_size(output)
    result["source_bytes"] = tree_size(data / "source")[1]
    result["cubes_plus_site_seconds"] = round(result["cubes"]["seconds"] + result["site"]["seconds"], 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", action="append", choices=["small", "default", "egi"],
                    help="scale to build (repeatable; default: default and egi)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "results", help="where to build")
    args = ap.parse_args()
    for scale in args.scale or ["default", "egi"]:
        r = bench(scale, args.work)
        print(f"{scale}: {r['htc_rows']:,} HTC rows ({r['source_bytes'] / 1e6:.0f} MB Parquet); "
              f"cubes + site {r['cubes_plus_site_seconds']} s; {r['pages']:,} pages, "
              f"{r['output_files']:,} files, {r['output_bytes'] / 1e6:.0f} MB output; peak RSS "
              f"export {r['export']['peak_rss_mib']} / cubes {r['cubes']['peak_rss_mib']} / "
              f"site {r['site']['peak_rss_mib']} MiB")
        print(json.dumps(r, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
