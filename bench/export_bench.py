#!/usr/bin/env python3
"""Export benchmark against a real, throwaway MariaDB: load the demo at a scale, then time
a full export (rows/s, peak RSS) beside the raw client dump of the same rows
(`mariadb --batch --quick`, the practical limit), and a nightly incremental run (the three
restated months).

    .venv/bin/python bench/export_bench.py --scale default
    .venv/bin/python bench/export_bench.py --scale egi
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from mariadb_server import DATABASE, PASSWORD, USER, MariaDB  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from build_bench import run_stage  # noqa: E402


def raw_dump(db: MariaDB) -> float:
    sql = (ROOT / "export" / "htc.sql").read_text()
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    sql = re.sub(r"WHERE .*", "", sql, flags=re.S)
    t0 = time.perf_counter()
    # To /dev/null, as the issue says: holding the dump here would also inflate the peak RSS
    # measured for the stages started after it (a fork copies this process's pages).
    subprocess.run(["mariadb", "--batch", "--quick", "-h", "127.0.0.1", "-P", str(db.port), "-u", USER,
                    f"-p{PASSWORD}", DATABASE, "-e", sql], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def _dataset_report(data: Path, name: str) -> dict:
    return json.loads((data / "source" / "export_report.json").read_text())["datasets"][name]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["small", "default", "egi"], default="default")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "results" / "export")
    args = ap.parse_args()
    work = args.work / args.scale
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = MariaDB(work / "mariadb").start()
    os.environ["ACCOUNTING_DB_URL"] = db.url
    try:
        data = work / "data"
        seconds, rss, _ = run_stage(["demo", "--to-db", "--demo-scale", args.scale, "--data-dir", str(data)])
        print(f"load demo {args.scale} into MariaDB: {seconds:.1f} s")
        with db.root() as con:
            cur = con.cursor()
            cur.execute("SELECT COUNT(*) FROM HybridSuperSummaries")
            rows = cur.fetchone()[0]
        # Twice: the first dump also reads the table into the server's buffer pool (just after
        # loading, the other datasets fill it); the warm one is the practical limit.
        cold_s = raw_dump(db)
        dump_s = raw_dump(db)
        print(f"raw client dump, cold: {rows / cold_s:,.0f} rows/s")
        print(f"raw client dump (mariadb --batch --quick): {rows:,} rows in {dump_s:.1f} s = "
              f"{rows / dump_s:,.0f} rows/s")
        for label, extra in (("pymysql only (--no-bulk)", ["--no-bulk"]), ("bulk path (default)", [])):
            seconds, rss, _ = run_stage(["export", "--data-dir", str(data), "--full", *extra])
            htc = _dataset_report(data, "htc")
            print(f"full export, {label}: {seconds:.1f} s in all, peak RSS {rss:.0f} MiB; HTC {rows:,} rows in "
                  f"{htc['seconds']:.1f} s = {rows / htc['seconds']:,.0f} rows/s "
                  f"({rows / htc['seconds'] / (rows / dump_s):.2f} of the raw dump)")
        for name in ("cloud", "storage", "gpu"):
            d = _dataset_report(data, name)
            print(f"  {name}: {d['rows_read']:,} rows in {d['seconds']:.1f} s")
        seconds, rss, _ = run_stage(["export", "--data-dir", str(data)])
        print(f"nightly incremental export (3 restated months of every dataset, nothing else changed): "
              f"{seconds:.1f} s, peak RSS {rss:.0f} MiB")
    finally:
        db.stop()


if __name__ == "__main__":
    main()
