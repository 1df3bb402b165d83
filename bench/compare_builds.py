#!/usr/bin/env python3
"""Build the demo at two revisions and compare what they publish, file by file.

    python bench/compare_builds.py --base 2c670f7 [--other HEAD] [--scale small]

Each revision is checked out into a temporary git worktree (the working tree itself when
--other is omitted) and built with the same SOURCE_DATE_EPOCH through its own `build.py`;
then the two `manifest.json` files are compared: every site file's path and SHA-256, and
every source dataset's rows and checksum. `code_version` and `build_id`'s inputs other than
the files are not compared: code_version differs whenever the code does. Prints the
figures and the first differences; exits 1 when the builds differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPOCH = "1763942400"  # 2025-11-24, as the tests use


def build(tree: Path, work: Path, scale: str) -> tuple[dict, float]:
    env = {k: v for k, v in os.environ.items() if k != "ACCOUNTING_DB_URL"}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(tree / "build.py"), "--data-dir", str(work / "data"), "--output",
                    str(work / "output"), "--demo-scale", scale, "--quiet"], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads((work / "output" / "manifest.json").read_text()), time.perf_counter() - t0


def differences(a: dict, b: dict) -> list[str]:
    out = []
    for what in ("files", "datasets"):
        for key in sorted(set(a[what]) | set(b[what])):
            if a[what].get(key) != b[what].get(key):
                out.append(f"{what}: {key}: {a[what].get(key)} != {b[what].get(key)}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--other", default=None, help="git revision (default: the working tree)")
    ap.add_argument("--scale", default="small", choices=["small", "default", "egi"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="compare-builds-") as tmp:
        tmp = Path(tmp)
        trees = {}
        for name, rev in (("base", args.base), ("other", args.other)):
            if rev is None:
                trees[name] = ROOT
                continue
            trees[name] = tmp / f"tree-{name}"
            subprocess.run(["git", "worktree", "add", "--detach", str(trees[name]), rev], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            manifests = {}
            for name, tree in trees.items():
                manifests[name], seconds = build(tree, tmp / f"build-{name}", args.scale)
                print(f"{name:5} {args.base if name == 'base' else args.other or 'working tree'}: "
                      f"{len(manifests[name]['files'])} files, build {manifests[name]['build_id']}, {seconds:.0f} s")
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    diff = differences(manifests["base"], manifests["other"])
    for line in diff[:20]:
        print(line)
    print(f"{len(diff)} differences" if diff else "identical: every file and dataset checksum matches")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
