#!/usr/bin/env python3
"""The explorer's speed in headless Chromium (Debian's, through Playwright) against the real
Apache serving a built site with the configuration of `build.py apache-config`.

Prints: the first result of a cold explorer (a new browser context: engine and data not
cached) in seconds and bytes; a scripted session of view changes (seeded random views from
explore/queries.json, changed by history.pushState as back/forward do) with the median and
p95 ms per change and bytes per change; and the bytes read for an entity view (one NGI, one
site, one VO) and the whole infrastructure, each opened in a browser context of its own (the
cube bytes it reads, apart from the engine's). Bytes are what Apache
sent (its access log's %b: bodies as sent, compressed where they were), so no guess.

    .venv/bin/python build.py --demo-scale default --data-dir /tmp/d/data --output /tmp/d/output
    .venv/bin/python bench/explore_bench.py /tmp/d/output [--views 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import apache_server  # noqa: E402
from explore_views import random_view, view_search  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READY = ("() => { const r = document.getElementById('explore-result');"
         " return r && (r.dataset.ready === location.search || r.dataset.ready === 'error'); }")
# Change the view as back/forward does and time it in the page, to the table being shown.
CHANGE = """async (search) => {
    const r = document.getElementById('explore-result');
    const t0 = performance.now();
    history.pushState(null, '', search);
    dispatchEvent(new PopStateEvent('popstate'));
    while (!(r.dataset.ready === location.search || r.dataset.ready === 'error')) {
        await new Promise((ok) => setTimeout(ok, 1));
    }
    if (r.dataset.ready === 'error') { throw new Error(document.getElementById('explore-status').textContent); }
    return performance.now() - t0; }"""


def run(*args: str) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"build.py {' '.join(args)} failed:\n{proc.stderr}")


class Log:
    """Bytes Apache sent since the last mark, by its access log (`%h %r %>s %b`)."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def since(self, part: str = "") -> tuple[int, int]:
        """(bytes, requests) since the mark, of requests whose path contains `part`."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            lines = f.read().decode().splitlines()
        sent = [int(b) if b.isdigit() else 0 for line in lines if part in line for b in [line.rsplit(" ", 1)[-1]]]
        return sum(sent), len(sent)


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def change(page, log: Log, search: str) -> tuple[float, int]:
    log.mark()
    ms = page.evaluate(CHANGE, search)
    time.sleep(0.05)  # the last log line is written after the response
    return ms, log.since()[0]


def entity_views(q: dict, names: dict) -> dict[str, str]:
    """One NGI, one site, one VO (each the largest of its kind: the heaviest entity view) and
    the whole infrastructure, for the last 12 months, in the explorer's one spelling."""
    d = q["defaults"]
    base = {"data": "htc", "metric": ["normcpu"], "from": d["from"], "to": d["to"], "vos": "all", "top": 10,
            "vo": [], "jobs": "both", "cols": "month"}
    return {"whole infrastructure (NGI x month)": view_search({**base, "rows": "NGI", "filters": {}}, q),
            "one NGI (Site x month)": view_search({**base, "rows": "Site", "filters": {"NGI": [names["NGI"]]}}, q),
            "one site (VO x month)": view_search({**base, "rows": "VO", "filters": {"Site": [names["Site"]]}}, q),
            "one VO (Site x month)": view_search({**base, "rows": "Site", "filters": {"VO": [names["VO"]]}}, q)}


def biggest(output: Path, q: dict) -> dict[str, str]:
    import duckdb

    cube = output / "data" / q["families"]["htc"]["file"]
    con = duckdb.connect()
    return {dim: con.execute(f"SELECT {dim} FROM read_parquet(?) WHERE {dim} IS NOT NULL GROUP BY 1 "
                             "ORDER BY sum(normcpu_s) DESC LIMIT 1", [str(cube)]).fetchone()[0]
            for dim in ("NGI", "Site", "VO")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", type=Path, help="a built site (build.py --output)")
    ap.add_argument("--views", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    q = json.loads((args.output / "explore" / "queries.json").read_text())
    cube = args.output / "data" / q["families"]["htc"]["file"]
    print(f"site {args.output}: {cube.name} {mb(cube.stat().st_size)}; {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    base = apache_server.publish_for_apache(args.output, run)
    apache = apache_server.serve_published(base, run)
    log = Log(base / "apache" / "access.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_context().new_page()
            log.mark()
            t0 = time.perf_counter()
            page.goto(apache.url + "explore/")
            page.wait_for_function(READY, timeout=120_000, polling=10)
            cold = time.perf_counter() - t0
            time.sleep(0.2)
            total, requests = log.since()
            data, _ = log.since("/data/")
            print(f"cold first result: {cold:.2f} s, {mb(total)} in {requests} requests ({mb(data)} of cube data)")

            rng = random.Random(args.seed)
            times, sent = [], []
            for _ in range(args.views):
                ms, n = change(page, log, view_search(random_view(q, rng), q))
                times.append(ms)
                sent.append(n)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
            print(f"{args.views} view changes: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
                  f"max {times[-1]:.0f} ms; bytes per change median {mb(int(statistics.median(sent)))}, "
                  f"max {mb(max(sent))}")

            # Each entity view opened afresh, in a browser context of its own (no HTTP cache,
            # a new DuckDB: no cube byte held from before): the cube bytes it reads (/data/;
            # the engine's own download is the rest of "in all"). The DuckDB of a page that
            # stays open keeps what it read, so the session's changes above read less.
            for what, search in entity_views(q, biggest(args.output, q)).items():
                fresh = browser.new_context().new_page()
                log.mark()
                t0 = time.perf_counter()
                fresh.goto(apache.url + "explore/" + search)
                fresh.wait_for_function(READY, timeout=120_000, polling=10)
                took = time.perf_counter() - t0
                time.sleep(0.2)
                data, requests = log.since("/data/")
                total, _ = log.since()
                print(f"{what}: {mb(data)} of cube data in {requests} requests, {mb(total)} in all, "
                      f"first result {took:.2f} s")
                fresh.context.close()
            browser.close()
    finally:
        apache.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
