#!/usr/bin/env python3
"""The API's speed and load against the real Apache in front of it (apache-config --api), on
loopback, in bounded loops: requests per second and p50/p99 latency of (a) a static page,
(b) an API view answered from its cache, (c) uncached API views (each request a view not
asked before), (d) the same view as (b) as a live SQL query on a MariaDB holding the same
demo (what the old portal did for every page view), side by side with their ratios; then a
60 s mixed load (cached, uncached, old JSON calls, the CSV dump) with the API's peak memory
and the error count.

    .venv/bin/python build.py --demo-scale default --data-dir /tmp/d/data --output /tmp/d/output
    .venv/bin/python bench/api_bench.py --output /tmp/d/output --scale default [--seconds 10]
        [--threads 4] [--mixed 60] [--no-mariadb]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import apache_server  # noqa: E402
from mariadb_server import MariaDB  # noqa: E402


def run(*args: str, env: dict | None = None) -> None:
    import os
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        sys.exit(f"build.py {' '.join(args)} failed:\n{proc.stderr[-2000:]}")


def loop(base: str, paths, seconds: float, threads: int) -> dict:
    """Each thread asks `paths()` (a function giving the next path) over one keep-alive
    connection until `seconds` pass: latencies (ms) and errors."""
    host = urlsplit(base)
    stop = time.monotonic() + seconds

    def worker():
        con = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        mine, bad = [], []
        while time.monotonic() < stop:
            path = paths()
            t0 = time.perf_counter()
            try:
                con.request("GET", path, headers={"Accept-Encoding": "br, gzip"})
                r = con.getresponse()
                r.read()
                if r.status != 200:
                    bad.append(f"{r.status} {path}")
            except (OSError, http.client.HTTPException) as e:
                bad.append(f"{type(e).__name__} {path}")
                con.close()
                con = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
            mine.append((time.perf_counter() - t0) * 1000)
        con.close()
        return mine, bad

    return threaded(worker, threads)


def threaded(worker, threads: int) -> dict:
    """`worker()` → (latencies, errors) run in `threads` threads at once, and their stats."""
    lat, errors, lock = [], [], threading.Lock()

    def one():
        mine, bad = worker()
        with lock:
            lat.extend(mine)
            errors.extend(bad)

    ts = [threading.Thread(target=one) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return stats(lat, errors, time.perf_counter() - t0)


def stats(lat: list[float], errors: list[str], wall: float) -> dict:
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    return {"n": len(lat), "rps": len(lat) / wall, "p50": statistics.median(lat) if lat else float("nan"),
            "p99": pick(0.99), "errors": errors}


def live_loop(db: MariaDB, params: dict, seconds: float, threads: int) -> dict:
    import pymysql
    sql = "\n".join(x for x in (ROOT / "bench" / "live_view.sql").read_text().splitlines() if not x.startswith("--"))
    stop = time.monotonic() + seconds

    def worker():
        con = pymysql.connect(host="127.0.0.1", port=db.port, user="portal", password="s3cret-pw", database="apel")
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            with con.cursor() as cur:
                cur.execute(sql, params)
                cur.fetchall()
            mine.append((time.perf_counter() - t0) * 1000)
        con.close()
        return mine, []

    return threaded(worker, threads)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", type=Path, required=True, help="a built site (build.py --output)")
    ap.add_argument("--scale", default="default", help="the demo scale it was built at (for MariaDB)")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--mixed", type=float, default=60)
    ap.add_argument("--no-mariadb", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from test_api import start_api  # (the tests' own: build.py api on a free port, once healthy)

    q = json.loads((args.output / "explore" / "queries.json").read_text())
    d = q["defaults"]
    months = [m["month"] for m in q["families"]["htc"]["months"]]
    view = f"/api/v1/htc?metric=normcpu&rows=NGI&cols=month&from={d['from']}&to={d['to']}&vos=egi&jobs=grid"
    print(f"site {args.output} ({args.scale}); {args.threads} threads, {args.seconds:.0f} s per loop; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    base = apache_server.publish_for_apache(args.output, run)
    db = None
    proc = apache = None
    try:
        proc, api_base = start_api("--from", str(base / "pub"))
        conf = base / "site.conf"
        run("apache-config", "--root", str(base / "pub" / "current"), "--api", api_base, "--out", str(conf))
        apache = apache_server.Apache(base / "apache", conf.read_text()).start()
        web = apache.url.rstrip("/")
        rng = random.Random(1)
        seen = set()

        def fresh() -> str:  # a view the API has not answered yet: another period and top N
            while True:
                a, b = sorted(rng.sample(range(max(0, len(months) - 60), len(months)), 2))
                path = (f"/api/v1/htc?metric=normcpu&rows=NGI&cols=quarter&from={months[a]}&to={months[b]}"
                        f"&vos=top&top={rng.randint(1, 1000)}")
                if path not in seen:
                    seen.add(path)
                    return path

        results = {"static page (/egi/)": loop(web, lambda: "/egi/", args.seconds, args.threads)}
        loop(web, lambda: view, 1, 1)  # (into the cache)
        results["API view, cached"] = loop(web, lambda: view, args.seconds, args.threads)
        # The same without Apache: what the proxy adds, and what is left for a cache to save
        # (an answer from the in-process cache is a dictionary lookup; an external store
        # would add a network round trip to it).
        results["API view, cached, direct"] = loop(api_base, lambda: view, args.seconds, args.threads)
        results["API view, uncached"] = loop(web, fresh, args.seconds, args.threads)
        if not args.no_mariadb and apache_server.available():
            print(f"loading the {args.scale} demo into a throwaway MariaDB …", flush=True)
            db = MariaDB(Path(tempfile.mkdtemp(prefix="api-bench-db-")), buffer_pool="2G").start()
            t0 = time.perf_counter()
            run("demo", "--to-db", "--demo-scale", args.scale, "--quiet", env={"ACCOUNTING_DB_URL": db.url})
            print(f"  loaded in {time.perf_counter() - t0:.0f} s", flush=True)
            params = {"first": int(d["from"].replace("-", "")), "last": int(d["to"].replace("-", ""))}
            results["live SQL on MariaDB (same view)"] = live_loop(db, params, args.seconds, args.threads)
        static = results["static page (/egi/)"]
        print(f"{'':34} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  "
              f"{'req/s vs static':>15}")
        for name, r in results.items():
            print(f"{name:34} {r['n']:9d} {r['rps']:9.1f} {r['p50']:8.2f} {r['p99']:8.2f} {len(r['errors']):6d}  "
                  f"{r['rps'] / static['rps']:15.4f}")
        if args.mixed:
            old = "/egi/normcpu/REGION/DATE/{}/{}/{}/{}/egi/onlyinfrajobs/JSON/"
            mix = [lambda: view, fresh, lambda: old.format(*d["from"].split("-"), *d["to"].split("-")),
                   lambda: "/egi/", lambda: "/api/v1/cloud?metric=cloud_core_hours&rows=Country&cols=year"]
            r = loop(web, lambda: rng.choice(mix)(), args.mixed, args.threads)
            dump = loop(web, lambda: "/csv", min(10.0, args.mixed), 1)
            print(f"mixed load {args.mixed:.0f} s: {r['n']} requests, {r['rps']:.1f}/s, p50 {r['p50']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms, {len(r['errors'])} errors; /csv dump {dump['n']} in 10 s "
                  f"(p50 {dump['p50']:.0f} ms), {len(dump['errors'])} errors; API peak RSS "
                  f"{peak_rss_mb(proc.pid):.0f} MB")
            for e in (r["errors"] + dump["errors"])[:5]:
                print("  error:", e)
    finally:
        if apache:
            apache.stop()
        if proc:
            proc.terminate()
            proc.wait(10)
        if db:
            db.stop()
            shutil.rmtree(db.base, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
