"""The read-only API (`build.py api`, a real uvicorn process) over a publish directory holding
the shared small build: its views equal an independent SQL recomputation over the SOURCE
Parquet and the static pages' downloads; CSV, Parquet and JSON hold the same table; bad
requests get a one-line JSON error naming what was not understood; answers carry the release
and an ETag; a release switch during a loop of requests gives no error and no answer that
mixes two releases."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pyarrow.parquet as pq
import pytest

from accounting.publish import directory
from apache_server import free_port
from conftest import ROOT, run_build
from test_explore import assert_same, page_table
from test_explore_browser import TYPE_VIEWS, assert_table, expected, source, totals_named  # noqa: F401  (fixture)


def get(base: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def start_api(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`build.py api ARGS` on a free port, once it answers /api/health: (process, base URL)."""
    import tempfile

    port = free_port()
    # Its log to a file, not a pipe: a pipe nobody reads fills up and then blocks the server's
    # event loop on its next log line (a long benchmark did exactly that).
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "api", *args, "--port", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if get(base, "/api/health")[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(5)
    log.seek(0)
    pytest.fail(f"the API did not start: {log.read()[-2000:]}")


@pytest.fixture(scope="module")
def api(built):
    """The API following a publish directory with the small build as its current release, and
    the real Apache in front of it (`web`: apache-config --api), as deployed."""
    import apache_server

    base = apache_server.publish_for_apache(built["output"], run_build)  # (readable by Apache's workers)
    pub = base / "pub"
    proc, api_base = start_api("--from", str(pub))
    conf = base / "site.conf"
    run_build("apache-config", "--root", str(pub / "current"), "--api", api_base, "--out", str(conf))
    apache = apache_server.Apache(base / "apache", conf.read_text()).start() if apache_server.available() else None
    yield {"base": api_base, "pub": pub, "proc": proc, "web": apache.url.rstrip("/") if apache else None}
    if apache:
        apache.stop()
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(base, ignore_errors=True)


def as_table(body: dict) -> dict:
    """A JSON answer as {row: {column header: value}} (the row-kind column left out)."""
    header = body["header"]
    return {r[header[0]]: {h: r[h] for h in header[1:]} for r in body["rows"]}


def view_json(api, query: str) -> dict:
    status, headers, raw = get(api["base"], "/api/v1/htc?" + query)
    assert status == 200, raw
    assert headers["content-type"] == "application/json"
    return json.loads(raw)


VIEWS = [  # (query string of the API, the same view as the browser test's parameters)
    ("", {}),
    ("metric=njobs&rows=NGI&cols=year&from=2024-01&jobs=grid", {"metric": "njobs", "cols": "year", "from": "2024-01",
                                                                "jobs": "grid"}),
    ("metric=normcpu&rows=VO&cols=quarter&vos=custom&vo=atlas,cms&vo=lhcb",
     {"rows": "VO", "cols": "quarter", "vos": "custom", "vo": ["atlas", "cms", "lhcb"]}),
    ("rows=Country&cols=half&vos=top&top=5&from=2024-06", {"rows": "Country", "cols": "half", "vos": "top", "top": "5",
                                                            "from": "2024-06"}),
    ("metric=cpueff&rows=NGI&cols=year&vos=lhc&jobs=local&from=2024-01",
     {"metric": "cpueff", "cols": "year", "vos": "lhc", "jobs": "local", "from": "2024-01"}),
    ("metric=normcpu,njobs,cpueff&rows=Country", {"metric": "normcpu,njobs,cpueff", "rows": "Country"}),
]


@pytest.mark.parametrize("query, params", VIEWS, ids=[q or "default" for q, _ in VIEWS])
def test_views_equal_the_source(api, source, query, params):  # noqa: F811
    body = view_json(api, query)
    v = body["view"]
    want = {"metric": ",".join(v["metric"]), "rows": v["rows"], "cols": v["cols"], "from": v["from"], "to": v["to"],
            "vos": v["vos"], "top": str(v["top"]), "jobs": v["jobs"], **params}
    if "metric" in params and "," in params["metric"]:
        want["cols"] = "metric"
    want = {k: (val if isinstance(val, list) else [val]) for k, val in want.items()}
    assert_table(as_table(body), expected(source, want), query or "default")


@pytest.mark.parametrize("query", TYPE_VIEWS)
def test_cloud_gpu_and_storage_views_equal_the_source(api, built, source, query):  # noqa: F811
    """The explorer's cloud, GPU and storage views (test_explore_browser.TYPE_VIEWS: per-period
    metrics, units, storage's average and peak over quarters and years, several metrics)
    asked of the API equal the same independent recomputation from the source."""
    q = json.loads((built["output"] / "explore" / "queries.json").read_text())
    first = {d: f["months"][0]["month"] for d, f in q["families"].items()}
    query = query.format(last=q["defaults"]["to"], **first)
    params = parse_qs(query[1:])
    data = params.pop("data")[0]
    status, _, raw = get(api["base"], f"/api/v1/{data}?" + "&".join(f"{k}={v[0]}" for k, v in params.items()))
    assert status == 200, raw
    body = json.loads(raw)
    assert_table(totals_named(as_table(body)), expected(source, {"data": [data], **params}), query)


def test_time_as_rows_is_the_transposed_table(api):
    """Years as rows, NGIs as columns: every cell and total is the NGI × year view's, and the
    years run in time order."""
    common = "metric=cpueff&vos=lhc&jobs=local&from=2024-01"
    by_year = as_table(view_json(api, f"{common}&rows=year&cols=NGI"))
    by_ngi = as_table(view_json(api, f"{common}&rows=NGI&cols=year"))
    years = [k for k in by_year if k != "Total"]
    assert years == sorted(years) and len(years) >= 2
    assert {(r, c): v for r, cells in by_year.items() for c, v in cells.items()} == \
        {(c, r): v for r, cells in by_ngi.items() for c, v in cells.items()}


@pytest.mark.parametrize("page, query", [
    ("egi/table.csv", ""),
    ("egi/njobs/lhc/onlyinfrajobs/table.csv", "metric=njobs&vos=lhc&jobs=grid"),
    ("egi/cpueff/egi/onlylocaljobs/table.csv", "metric=cpueff&vos=egi&jobs=local"),
    ("egi/vo/atlas/table.csv", "rows=Site&VO=atlas"),
])
def test_views_equal_the_pages(api, built, page, query):
    got = as_table(view_json(api, query))
    assert_same({r: {c: v for c, v in cells.items()} for r, cells in got.items()},
                page_table(built["output"] / page), page)


def test_csv_and_parquet_hold_the_json_table(api):
    query = "metric=normcpu&rows=VO&cols=quarter&from=2024-01"
    body = view_json(api, query)
    status, headers, raw = get(api["base"], f"/api/v1/htc?{query}&format=csv")
    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    name = f"htc-normcpu-VO-by-quarter-2024-01-{body['view']['to']}.csv"
    assert headers["content-disposition"] == f'attachment; filename="{name}"'
    rows = list(csv.reader(io.StringIO(raw.decode())))
    assert rows[0] == [*body["header"], "row_kind"]
    for rec, want in zip(rows[1:], body["rows"], strict=True):
        assert rec[0] == want[body["header"][0]] and rec[-1] == want["row_kind"]
        assert [float(x) if x else None for x in rec[1:-1]] == [want[h] for h in body["header"][1:]]
    status, headers, raw = get(api["base"], f"/api/v1/htc?{query}&format=parquet")
    assert status == 200 and headers["content-type"] == "application/vnd.apache.parquet"
    t = pq.read_table(io.BytesIO(raw)).to_pylist()
    assert t == body["rows"]


def test_answers_name_their_release_and_revalidate(api):
    status, headers, raw = get(api["base"], "/api/v1/htc?rows=Country")
    body = json.loads(raw)
    release = Path(os.path.realpath(api["pub"] / "current")).name
    assert body["build_id"] == headers["x-build-id"] == release
    assert body["data_as_of"] == body["view"]["to"]
    assert headers["cache-control"] == "public, no-cache" and headers["etag"].startswith('"')
    status, again, raw304 = get(api["base"], "/api/v1/htc?rows=Country", {"If-None-Match": headers["etag"]})
    assert status == 304 and raw304 == b"" and again["etag"] == headers["etag"]
    # the same view asked differently is the same answer (one canonical form, one ETag)
    _, other, _ = get(api["base"], "/api/v1/htc?rows=Country&vos=all&metric=normcpu")
    assert other["etag"] == headers["etag"]
    assert get(api["base"], "/api/v1/htc?rows=NGI")[1]["etag"] != headers["etag"]


@pytest.mark.parametrize("path, status, message", [
    ("/api/v1/nope", 404, "unknown data type 'nope'"),
    ("/api/v1/htc?metric=walltime_x", 400, "unknown metric 'walltime_x' for htc"),
    ("/api/v1/htc?rows=Planet", 400, "unknown rows 'Planet'"),
    ("/api/v1/htc?cols=Planet", 400, "unknown cols 'Planet'"),
    ("/api/v1/htc?rows=NGI&cols=NGI", 400, "rows and cols are both 'NGI'"),
    ("/api/v1/htc?from=2025-13", 400, "from='2025-13' is not a month (YYYY-MM)"),
    ("/api/v1/htc?from=2025-1", 400, "from='2025-1' is not a month (YYYY-MM)"),
    ("/api/v1/htc?to=1999-01", 400, "to=1999-01 is outside the data"),
    ("/api/v1/htc?vos=friends", 400, "unknown vos 'friends'"),
    ("/api/v1/htc?vos=top&top=0", 400, "top='0' is not a number from 1 to 1000"),
    ("/api/v1/htc?vos=custom", 400, "vos=custom needs vo="),
    ("/api/v1/htc?jobs=onlygrid", 400, "unknown jobs 'onlygrid'"),
    ("/api/v1/htc?NGI=NGI_NOWHERE", 404, "unknown NGI 'NGI_NOWHERE'"),
    ("/api/v1/htc?vos=custom&vo=" + ",".join(f"vo{i}" for i in range(201)), 400, "vo lists 201 values, at most 200"),
    ("/api/v1/htc?format=xlsx", 400, "unknown format 'xlsx'"),
    ("/api/v1/htc?colour=red", 400, "unknown parameter 'colour' for htc"),
    ("/api/v1/cloud?jobs=grid", 400, "unknown parameter 'jobs' for cloud"),
    ("/api/v1/htc?stat=peak", 400, "unknown parameter 'stat' for htc"),
    ("/api/v1/htc?metric=cpueff&unit=day", 400, "unknown parameter 'unit' for htc"),
    ("/api/v1/htc?unit=week", 400, "unknown unit 'week'"),
    ("/api/v1/storage?stat=median", 400, "unknown stat 'median'"),
    ("/api/v1/storage?vos=lhc", 400, "unknown vos 'lhc' for storage"),
    ("/api/v1/htc?rows=NGI&rows=VO", 400, "rows is given 2 times"),
    ("/api/v1/htc?metric=normcpu,njobs&cols=month", 400, "several metrics need cols=metric"),
    ("/api/v2/htc", 404, "not found"),
    ("/api/v1/htc?vos=custom&vo=" + "x" * 4100, 414, "the address is 4125 characters long, at most 4096"),
    ("/egi/normcpu/REGION/DATE/2024/1/2024/12/custom-" + "x" * 4100 + "/onlyinfrajobs/JSON/", 414,
     "the address is 4167 characters long, at most 4096"),
    ("/egi/mixed/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/JSON/", 404,
     ("/egi/mixed/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/ is not an old portal view the API can answer: "
      "segment 2 ('mixed')")),
    ("/etc/passwd", 404, "not found"),
], ids=lambda x: x[:60] if isinstance(x, str) else str(x))
def test_bad_requests_get_one_line_errors(api, path, status, message):
    got, headers, raw = get(api["base"], path)
    assert got == status and headers["content-type"] == "application/json"
    assert raw.count(b"\n") <= 1 and b"Traceback" not in raw and str(ROOT).encode() not in raw
    err = json.loads(raw)
    assert err["status"] == status and err["error"].startswith(message), err


def test_openapi_describes_what_the_api_answers(api):
    """The description lists each data type's path with the release's own choices, and each
    parameter's default and enumerated values are accepted by the API."""
    status, _, raw = get(api["base"], "/api/v1/openapi.json")
    doc = json.loads(raw)
    assert status == 200 and doc["openapi"].startswith("3.1")
    op = doc["paths"]["/api/v1/htc"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert {"metric", "rows", "cols", "from", "to", "vos", "top", "vo", "jobs", "format", "NGI", "VO"} <= set(params)
    for name in ("rows", "cols", "vos", "jobs", "format"):
        for value in params[name]["schema"]["enum"]:
            if name == "cols" and value in (params["rows"]["schema"]["default"], "metric"):
                continue
            query = f"{name}={value}" + ("&vo=atlas" if (name, value) == ("vos", "custom") else "")
            got = get(api["base"], f"/api/v1/htc?{query}")
            assert got[0] == 200, (query, got[2])
    assert get(api["base"], "/api/v1/htc?metric=" + params["metric"]["schema"]["examples"][1])[0] == 200


def _second_release(pub: Path, factor: int) -> str:
    """A copy of the current release whose HTC cube holds every sum times `factor`: another
    release whose figures differ from the first in a known way."""
    cur = Path(os.path.realpath(pub / "current"))
    build_id = f"{cur.name}x{factor}"
    new = pub / "releases" / build_id
    shutil.copytree(cur, new, copy_function=os.link)
    cube = new / "data" / "htc_monthly.parquet"
    con = duckdb.connect()
    sums = json.loads((new / "explore" / "queries.json").read_text())["families"]["htc"]["sums"]
    cols = ", ".join(f'"{c}" * {factor} AS "{c}"' for c in sums)
    tmp = new / "data" / "htc_monthly.tmp.parquet"
    con.execute(f"COPY (SELECT * REPLACE ({cols}) FROM read_parquet('{cube}')) TO '{tmp}' (FORMAT PARQUET)")
    cube.unlink()
    tmp.rename(cube)
    manifest = json.loads((new / "manifest.json").read_text())
    manifest["build_id"] = build_id
    (new / "manifest.json").unlink()  # a hard link to the first release's: never write through it
    (new / "manifest.json").write_text(json.dumps(manifest))
    return build_id


def test_a_release_switch_mixes_nothing(api):
    """Requests in a loop while `current` switches to a release with every HTC sum tripled:
    each answer is wholly the release it names (its grand total is the first's or three times
    it, matching its build id), none fails, and the new release is picked up."""
    pub = api["pub"]
    first = Path(os.path.realpath(pub / "current")).name
    query = "/api/v1/htc?metric=njobs&rows=NGI&cols=month&from=2024-01"

    def grand(body):
        return next(r for r in body["rows"] if r["row_kind"] == "total")["Total"]

    first_body = json.loads(get(api["base"], query)[2])
    base_total, last = grand(first_body), first_body["view"]["to"]
    y, m = map(int, last.split("-"))
    months = (last, f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}")  # the last month and the one before
    second = _second_release(pub, 3)
    seen, failures, stop = [], [], threading.Event()

    def loop():
        n = 0
        while not stop.is_set():
            n += 1
            status, headers, raw = get(api["base"], query + f"&to={months[n % 2]}")
            if status != 200:
                failures.append((status, raw))
                continue
            body = json.loads(raw)
            seen.append((body["build_id"], headers["x-build-id"], body["view"]["to"], grand(body)))

    threads = [threading.Thread(target=loop) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    directory.switch(pub, second)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(s[0] == second for s in seen[-5:]):
        time.sleep(0.1)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert {s[0] for s in seen} == {first, second}, "the switch was not picked up"
    totals = {}
    for build_id, header_id, to, total in seen:
        assert build_id == header_id
        totals.setdefault((build_id, to), set()).add(total)
    for (build_id, to), values in totals.items():
        assert len(values) == 1, (build_id, to, values)
    for to in months:
        if (first, to) in totals and (second, to) in totals:
            assert totals[(second, to)] == {3 * t for t in totals[(first, to)]}
    assert totals.get((first, months[0]), {base_total}) == {base_total}


def _minimal_tree(src: Path, dest: Path) -> Path:
    """What the API reads of a release (manifest, queries, old ids, cubes), as a publishable tree."""
    from accounting.publish import s3

    q = json.loads((src / "explore" / "queries.json").read_text())
    for rel in ["explore/queries.json", "explore/legacy.json", *(f"data/{f['file']}" for f in q["families"].values())]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dest / rel)
    files = s3.file_listing(dest)
    (dest / "manifest.json").write_text(json.dumps({"build_id": s3.build_id_of(files), "built_at": "x",
                                                    "code_version": "test", "datasets": {}, "files": files}))
    return dest


def test_the_api_follows_an_s3_release(api, tmp_path, monkeypatch):
    """`build.py api --from s3://…` answers from the release the pointer names, as the
    directory API does, and moves to the next release once it is published."""
    from accounting.publish import s3
    from test_s3 import start_moto

    moto, endpoint = start_moto()
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing-secret", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("ACCOUNTING_S3_ENDPOINT_URL", None)
    proc = None
    try:
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(k, env[k])
        monkeypatch.delenv("ACCOUNTING_S3_ENDPOINT_URL", raising=False)
        s3.client().create_bucket(Bucket="api-test")
        current = Path(os.path.realpath(api["pub"] / "current"))
        first = _minimal_tree(current, tmp_path / "one")
        s3.publish(first, "s3://api-test/portal")
        proc, base = start_api("--from", "s3://api-test/portal", "--cache", str(tmp_path / "cache"), env=env)
        query = "/api/v1/htc?metric=njobs&rows=Country&cols=year&from=2024-01"
        want = json.loads(get(api["base"], query)[2])
        got = json.loads(get(base, query)[2])
        assert got["rows"] == want["rows"]
        assert got["build_id"] == json.loads((first / "manifest.json").read_text())["build_id"]
        second = tmp_path / "two"
        shutil.copytree(first, second)
        (second / "manifest.json").unlink()
        con = duckdb.connect()
        cube = second / "data" / "htc_monthly.parquet"
        sums = json.loads((second / "explore" / "queries.json").read_text())["families"]["htc"]["sums"]
        cols = ", ".join(f'"{c}" * 3 AS "{c}"' for c in sums)
        con.execute(f"COPY (SELECT * REPLACE ({cols}) FROM read_parquet('{first / 'data' / 'htc_monthly.parquet'}'))"
                    f" TO '{cube}' (FORMAT PARQUET)")
        _minimal_tree(second, tmp_path / "two-tree")
        second_id = s3.publish(tmp_path / "two-tree", "s3://api-test/portal")["release"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and json.loads(get(base, "/api/health")[2])["build_id"] != second_id:
            time.sleep(0.2)
        tripled = json.loads(get(base, query)[2])
        assert tripled["build_id"] == second_id
        total = lambda b: next(r for r in b["rows"] if r["row_kind"] == "total")["Total"]  # noqa: E731
        assert total(tripled) == 3 * total(got)
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        moto.terminate()
        moto.wait(10)


def test_an_unexpected_failure_is_one_line_and_the_service_goes_on(api, tmp_path):
    """A release the API cannot read as it expects (here its htc type lost its VO groups):
    the view answers a one-line JSON 500, the server's log has one line naming what failed
    and no traceback, and the service still answers."""
    tree = _minimal_tree(Path(os.path.realpath(api["pub"] / "current")), tmp_path / "broken")
    q = json.loads((tree / "explore" / "queries.json").read_text())
    del q["families"]["htc"]["vo_groups"]
    (tree / "explore" / "queries.json").write_text(json.dumps(q))
    proc, base = start_api("--from", str(tree))
    try:
        status, headers, raw = get(base, "/api/v1/htc?rows=Country")
        assert status == 500 and json.loads(raw) == {"error": "internal error (KeyError)", "status": 500}
        assert get(base, "/api/health")[0] == 200 and get(base, "/api/v1/cloud")[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)
    proc.log.seek(0)
    text = proc.log.read()
    assert "Traceback" not in text and "KeyError" in text and "/api/v1/htc" in text, text
    assert len([line for line in text.splitlines() if "KeyError" in line]) == 1, text
