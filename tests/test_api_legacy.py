"""The old portal's calls and the whole-dataset dumps of the API (`build.py api`, a real
uvicorn process) behind the real Apache (`apache-config --api`), over a publish directory
holding the shared small build: every old view address of tests/legacy_urls.py with JSON/
or CSV/ appended answers the old shapes with the numbers of an independent recomputation
from the SOURCE Parquet; addresses not understood get one-line errors; /csv and /json
stream PEAR's columns, equal to the source; the proxy sends these and /api/ to the API and
nothing else. (tests/test_api.py: the API's own grammar.)"""

# ruff: noqa: F811  (the fixtures `api` and `source`, imported, are parameters of the tests)
from __future__ import annotations

import csv
import io
import json
import math
import urllib.error
import urllib.request
from urllib.parse import quote

import duckdb
import pytest

from test_api import api, get  # noqa: F401  (api: fixture)
from test_explore_browser import source  # noqa: F401  (fixture)


def old_table(raw: bytes) -> dict:
    """The old portal's JSON as {row: {column: value}} (Percent strings as numbers), its
    xlegend, ylegend and var."""
    rows = json.loads(raw)
    table, meta = {}, {}
    for r in rows:
        rid = r.pop("id")
        if rid in ("xlegend", "ylegend", "var"):
            meta[rid] = r
        else:
            table[rid] = {k: (float(v[:-1]) if isinstance(v, str) and v.endswith("%") else v) for k, v in r.items()}
    return table, meta


def assert_old_rounding(got: dict, want: dict, what: str) -> None:
    """The old portal's rounding: cells to 4 decimals, Total to an integer, Percent to 2."""
    assert set(got) == set(want), f"{what}: rows {sorted(set(got) ^ set(want))}"
    for row, cells in got.items():
        for col, g in cells.items():
            w = want[row].get("Total" if col in ("Average", "Peak") else col, 0 if g is not None else None)
            if w is None or g is None:
                assert g == w or (w is None and g == 0), f"{what} [{row}][{col}]: {g} != {w}"
                continue
            digits = 0 if col == "Total" else 2 if col == "Percent" or row == "Percent" else 4
            assert abs(g - w) <= 0.5 * 10 ** -digits + 1e-9 * abs(w), f"{what} [{row}][{col}]: {g} != {w}"


def test_old_portal_json_and_csv_calls_equal_the_source(api, source):
    """Through the real Apache in front of the API: every old view address of
    tests/legacy_urls.py (HTC and cloud scopes) with JSON/ appended gives the old shape
    of the view the explorer opens for it (the same table as /api/v1 with the explorer's
    parameters), equal to the source recomputation within the old rounding; its CSV/ holds
    the same numbers; the newest client's benchmark segment and months without leading
    zeros change nothing."""
    from legacy_urls import CLOUD_MAPPED, MAPPED

    web = api["web"] or pytest.skip("apache2 is not installed")
    for path, want in MAPPED + CLOUD_MAPPED:
        status, headers, raw = get(web, quote(path) + "JSON/")
        assert status == 200, (path, raw)
        assert headers["content-type"] == "application/json" and headers["x-build-id"]
        got, meta = old_table(raw)
        params = {k: v for k, v in want.items() if k != "data"}
        body = view_json_of(api, want["data"][0], params)
        assert_old_rounding(got, source.expected(body["view"]), path)
        labels = [r for r in got if r not in ("Total", "Percent")]
        assert [meta["xlegend"][str(i)] for i in range(len(labels))] == labels, path
        assert meta["ylegend"][str(len(meta["ylegend"]) - 1)] == "id"
        status, headers, raw_csv = get(web, quote(path) + "CSV/")
        assert status == 200 and headers["content-type"].startswith("text/csv"), path
        lines = list(csv.reader(io.StringIO(raw_csv.decode())))
        cols = [c for c in next(iter(got.values()))]
        assert lines[0][1:] == cols, path
        for line in lines[1:]:
            assert [None if x == "" else float(x) for x in line[1:]] == \
                [None if got[line[0]].get(c) is None else float(got[line[0]][c]) for c in cols], (path, line)
    old = "/egi/elap_processors/REGION/Year/2025/01/2025/02/custom-biomed/onlyinfrajobs/"
    for variant in ("/egi/elap_processors/REGION/Year/2025/1/2025/2/custom-biomed/onlyinfrajobs/hepspec06/",
                    "/egi/elap_processors/REGION/Year/2025/1/2025/2/custom-biomed/onlyinfrajobs/json"):
        assert old_table(get(api["base"], variant + ("" if variant.endswith("json") else "JSON/"))[2]) == \
            old_table(get(api["base"], old + "JSON/")[2]), variant
    _, meta = old_table(get(api["base"], old + "JSON/")[2])
    assert meta["var"] == {"xrange": "Year", "yrange": "REGION", "query": "elap_processors"}


def test_old_addresses_not_understood_get_one_line_errors(api):
    from legacy_urls import UNMAPPED

    for path, index, segment, reason in UNMAPPED:
        status, headers, raw = get(api["base"], quote(path) + "JSON/")
        assert status == 404 and headers["content-type"] == "application/json", path
        message = json.loads(raw)["error"]
        assert f"segment {index} ({segment!r})" in message and reason in message and "\n" not in message, message
    for path in ("/egi/normcpu/", "/nowhere/JSON/", "/egi/index.html"):
        status, _, raw = get(api["base"], path)
        assert status == 404 and "error" in json.loads(raw), path


def view_json_of(api, data: str, params: dict) -> dict:
    from urllib.parse import urlencode

    status, _, raw = get(api["base"], f"/api/v1/{data}?" + urlencode([(k, x) for k, v in params.items() for x in v]))
    assert status == 200, raw
    return json.loads(raw)


def test_whole_dataset_dumps_equal_the_source(api, built, tmp_path):
    """/csv and /json: PEAR's columns, streamed (chunked, no length known in advance), the
    same rows in both, and each month's jobs and hours by infrastructure equal to the
    source's summaries (HTC: Grid and Grid-Local; cloud)."""
    status, headers, raw = get(api["base"], "/csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert headers["x-build-id"] and get(api["base"], "/csv", {"If-None-Match": headers["etag"]})[0] == 304
    (tmp_path / "dump.csv").write_bytes(raw)
    lines = raw.decode().splitlines()
    assert lines[0].split(",") == ["time", "vo", "tier", "country", "federation", "site", "infra", "benchmark", "ngi",
                                   "raw_wc_time", "raw_wc_work", "raw_cpu_time", "raw_cpu_work", "raw_cpu_eff",
                                   "job_count", "memory_used", "disk_used", "vm_count", "cpu_core_count",
                                   "network_in", "network_out"]
    status, _, raw_json = get(api["base"], "/json")
    body = json.loads(raw_json)
    series = body["results"][0]["series"][0]
    assert series["name"] == "accounting" and series["columns"] == lines[0].split(",")
    assert len(series["values"]) == len(lines) - 1
    con = duckdb.connect()
    got = {(r[0], r[1]): r[2:] for r in con.execute(
        f"""SELECT strftime(time::TIMESTAMP, '%Y-%m'), infra, sum(job_count), sum(raw_cpu_time), sum(raw_wc_time),
                   sum(vm_count) FROM read_csv('{tmp_path / "dump.csv"}', header = true) GROUP BY ALL""").fetchall()}
    src = built["source"]
    want = {(r[0], r[1]): r[2:] for r in con.execute(f"""
        SELECT printf('%04d-%02d', Year, Month), CASE WHEN lower(Infrastructure) = 'local' THEN 'Grid-Local'
                                                      ELSE 'Grid' END,
               sum(NumberOfJobs), sum(CpuDuration) / 3600, sum(WallDuration * Processors) / 3600, NULL
        FROM read_parquet('{src}/htc/*/*/*.parquet', hive_partitioning = false) GROUP BY ALL
        UNION ALL
        SELECT printf('%04d-%02d', Year, Month::INTEGER), 'Cloud', NULL, sum(CpuDuration) / 3600,
               sum(WallDuration * CpuCount) / 3600, sum(NumberOfVMs)
        FROM read_parquet('{src}/cloud/*/*/*.parquet', hive_partitioning = false) GROUP BY ALL""").fetchall()}
    assert set(got) == set(want)
    for key, w in want.items():
        for g, x in zip(got[key], w):
            assert (g is None and x is None) or math.isclose(g, x, rel_tol=1e-9), (key, got[key], w)
    # the JSON holds the same rows as the CSV (first and last)
    assert series["values"][0][:9] == [None if x == "" else x for x in next(csv.reader([lines[1]]))[:9]]


def test_apache_proxies_the_api_and_the_old_calls_and_nothing_else(api):
    """The generated Apache configuration with --api: /api/ and the old …/JSON/ and …/CSV/
    addresses reach the API (same bytes, its ETag and a 304 through the proxy, the site's
    security headers on them); pages stay files, and an old view address without a format
    still goes to the explorer."""
    if api["web"] is None:
        pytest.skip("apache2 is not installed")
    web, api_base = api["web"], api["base"]
    old = "/egi/elap_processors/REGION/Year/2025/01/2025/02/custom-biomed/onlyinfrajobs/"
    for path in ("/api/health", "/api/v1/htc?rows=Country&cols=year", quote(old) + "JSON/", old + "CSV/",
                 quote("/egi/country/United Kingdom/njobs/SITE/DATE/2025/1/2025/6/egi/onlyinfrajobs/JSON/")):
        status, headers, body = get(web, path)
        direct = get(api_base, path)
        assert status == 200 == direct[0] and body == direct[2], (path, body[:200])
        assert headers["x-build-id"] == direct[1]["x-build-id"] and "content-security-policy" in headers, path
        if path != "/api/health":
            assert headers["etag"] == direct[1]["etag"], path
            assert get(web, path, {"If-None-Match": headers["etag"]})[0] == 304, path
    status, headers, body = get(web, "/egi/")
    assert status == 200 and "x-build-id" not in headers and b"<html" in body[:200].lower()
    req = urllib.request.Request(web + quote(old))
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    try:
        opener.open(req, timeout=10)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 302 and "/explore/?legacy=" in e.headers["Location"]
    assert get(web, "/api/v1/nothing")[0] == 404 and get(web, "/nothing/JSON/")[0] == 404
    for dump in ("/csv", "/json"):  # the dumps too, streamed through the proxy
        status, headers, body = get(web, dump)
        assert status == 200 and body == get(api_base, dump)[2] and headers["x-build-id"], dump
