"""A real Apache 2.4 (Debian's apache2) serves a published small site with the configuration
of `build.py apache-config`: precompressed siblings by Accept-Encoding, Vary, cache headers
by file kind, download MIME types, the 404 page, security headers (a CSP under which every
chart renders in headless Chromium), and release switches under a loop of requests."""

from __future__ import annotations

import gzip
import http.client
import shutil
import socket
import threading

import brotli
import pytest

import apache_server
from accounting import manifest
from conftest import run_build
from release_helpers import variant

pytestmark = pytest.mark.skipif(not apache_server.available(), reason="apache2 is not installed")

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def pub(built):
    """A publish directory outside pytest's private tmp (Apache's workers run as `nobody`
    when the tests run as root), with the built site as its current release."""
    base = apache_server.publish_for_apache(built["output"], run_build)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def server(pub):
    apache = apache_server.serve_published(pub, run_build)
    yield apache
    apache.stop()
    errors = [line for line in apache.error_log.read_text().splitlines() if ":error]" in line]
    assert not errors, errors


def get(server, path: str, accept_encoding: str | None = None) -> tuple[int, dict, bytes]:
    con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding is not None else {}
    con.request("GET", "/" + path, headers=headers)
    r = con.getresponse()
    body = r.read()
    con.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def decode(headers: dict, body: bytes) -> bytes:
    enc = headers.get("content-encoding")
    return brotli.decompress(body) if enc == "br" else gzip.decompress(body) if enc == "gzip" else body


def _asset(built, prefix: str, suffix: str) -> str:
    return next(p.relative_to(built["output"]).as_posix() for p in (built["output"] / "static").iterdir()
                if p.name.startswith(prefix) and p.name.endswith(suffix))


def test_generated_config_with_port_is_valid(tmp_path):
    out = tmp_path / "apache.conf"
    run_build("apache-config", "--root", str(tmp_path / "current"), "--port", "8089", "--out", str(out))
    text = out.read_text()
    assert "Listen 127.0.0.1:8089\n" in text and "<VirtualHost 127.0.0.1:8089>" in text
    assert "Options FollowSymLinks" in text
    apache_server.Apache(tmp_path / "a", text).check_config()


@pytest.mark.parametrize("path", ["", "egi/", "egi/index.html", "help/", "data/", "quality/"])
def test_pages_by_accept_encoding(built, server, path):
    original = (built["output"] / (path if path.endswith(".html") else path + "index.html")).read_bytes()
    for accept, expected in ((None, None), ("identity", None), ("gzip", "gzip"), ("br", "br"),
                             ("gzip, deflate, br, zstd", "br"), ("br;q=0, gzip", "gzip"), ("deflate", None)):
        status, headers, body = get(server, path, accept)
        assert status == 200, (path, accept)
        assert headers.get("content-encoding") == expected, (path, accept)
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "Accept-Encoding" in headers.get("vary", ""), (path, accept)
        assert headers["cache-control"] == "no-cache"
        assert decode(headers, body) == original, (path, accept)


def test_hashed_assets_are_immutable_and_precompressed(built, server):
    for prefix, suffix, ctype in (("site.", ".css", "text/css; charset=utf-8"),
                                  ("site.", ".js", "text/javascript; charset=utf-8"),
                                  ("vega.", ".js", "text/javascript; charset=utf-8"),
                                  ("favicon.", ".svg", "image/svg+xml")):
        rel = _asset(built, prefix, suffix)
        original = (built["output"] / rel).read_bytes()
        for accept, expected in ((None, None), ("gzip", "gzip"), ("br, gzip", "br")):
            status, headers, body = get(server, rel, accept)
            assert status == 200
            assert headers["cache-control"] == IMMUTABLE, rel
            assert headers["content-type"] == ctype, rel
            assert headers.get("content-encoding") == expected, (rel, accept)
            assert "Accept-Encoding" in headers["vary"]
            assert decode(headers, body) == original


def test_downloads_types_and_caching(built, server):
    cases = {"data/htc_monthly.parquet": "application/vnd.apache.parquet",
             "data/htc_monthly.csv": "text/csv; charset=utf-8",
             "data/datapackage.json": "application/json",
             "egi/table.csv": "text/csv; charset=utf-8",
             "egi/table.parquet": "application/vnd.apache.parquet",
             "manifest.json": "application/json"}
    for rel, ctype in cases.items():
        assert (built["output"] / rel).exists(), rel
        original = (built["output"] / rel).read_bytes()
        status, headers, body = get(server, rel, "br, gzip")
        assert status == 200 and headers["content-type"] == ctype, rel
        assert headers["cache-control"] == "no-cache", rel
        assert decode(headers, body) == original, rel
        if rel.endswith(".parquet"):  # already compressed: served as it is, never re-encoded
            assert "content-encoding" not in headers and body == original
        status, headers, body = get(server, rel)
        assert "content-encoding" not in headers and body == original
    assert "etag" in get(server, "data/htc_monthly.csv")[1]


def test_missing_path_gets_the_404_page(built, server):
    page = (built["output"] / "404.html").read_bytes()
    for accept in (None, "gzip", "br"):
        status, headers, body = get(server, "no/such/page/", accept)
        assert status == 404
        assert decode(headers, body) == page
        assert headers["content-type"] == "text/html; charset=utf-8"
    assert get(server, "egi/no-such.csv")[0] == 404


def request(port: int, method: str, path: str, headers: dict | None = None) -> tuple[int, dict]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    con.request(method, "/" + path, headers=headers or {})
    r = con.getresponse()
    r.read()
    con.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}


def raw(port: int, data: bytes, host: str = "127.0.0.1") -> tuple[int, dict]:
    """Bytes written to the socket as they are: a request no HTTP client would send, which
    Apache answers itself, before any <Directory> applies."""
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    return int(head[0].split()[1]), {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:])}


def responses(port: int) -> dict[str, tuple[int, dict]]:
    """One response of every kind the site gives: pages and downloads, revalidations, a
    missing path, malformed requests and a refused method."""
    out = {p or "/": request(port, "GET", p, {"Accept-Encoding": "br"})
           for p in ("", "egi/table.csv", "data/htc_monthly.parquet")}
    etag, modified = out["/"][1]["etag"], out["/"][1]["last-modified"]
    out["304 If-None-Match"] = request(port, "GET", "", {"If-None-Match": etag, "Accept-Encoding": "br"})
    out["304 If-Modified-Since"] = request(port, "GET", "egi/table.csv", {"If-Modified-Since": modified})
    out["404"] = request(port, "GET", "no/such/page/")
    out["400 request line"] = raw(port, b"GARBAGE\r\n\r\n")
    out["400 Host header"] = raw(port, b"GET / HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n")
    out["TRACE"] = request(port, "TRACE", "")
    return out


EXPECTED_STATUS = {"/": 200, "egi/table.csv": 200, "data/htc_monthly.parquet": 200, "304 If-None-Match": 304,
                   "304 If-Modified-Since": 304, "404": 404, "400 request line": 400, "400 Host header": 400,
                   "TRACE": 405}


def test_security_headers_on_every_response(server):
    """Successes, revalidations and errors alike; TRACE refused, the banner without
    version, and no HSTS unless asked for."""
    got = responses(server.port)
    assert {what: status for what, (status, _) in got.items()} == EXPECTED_STATUS
    for what, (_, headers) in got.items():
        csp = headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "script-src 'self'" in csp, what
        assert "unsafe-eval" not in csp and "unsafe-inline" not in csp, what
        assert headers.get("x-content-type-options") == "nosniff", what
        assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", what
        assert headers.get("server") == "Apache", what
        assert "strict-transport-security" not in headers, what


@pytest.fixture(scope="module")
def listening(pub):
    """Apache with `apache-config --listen 127.0.0.1:PORT --hsts 600`: its own Listen only."""
    port = apache_server.free_port()
    text = run_build("apache-config", "--root", str(pub / "pub" / "current"), "--listen", f"127.0.0.1:{port}",
                     "--hsts", "600").stdout
    apache = apache_server.Apache(pub / "apache-listen", text, port=port).start()
    yield apache
    apache.stop()


def test_listen_on_the_address_given_with_hsts(listening):
    got = responses(listening.port)
    assert {what: status for what, (status, _) in got.items()} == EXPECTED_STATUS
    for what, (_, headers) in got.items():
        assert headers.get("strict-transport-security") == "max-age=600", what
    # Bound to 127.0.0.1 alone: another loopback address of this machine is not served.
    with pytest.raises(ConnectionRefusedError):
        raw(listening.port, b"GET / HTTP/1.0\r\n\r\n", host="127.0.0.2")


def test_directory_without_slash_redirects(server):
    status, headers, _ = get(server, "egi")
    assert status == 301 and headers["location"].endswith("/egi/")


@pytest.mark.parametrize("path", ["", "egi/", "egi/njobs/lhc/onlyinfrajobs/", "benchmarks/", "storage/",
                                  "storage/ngi/NGI_DE/", "gpu/", "gpu/models/gpu_count/", "cloud/",
                                  "disciplines/", "data/", "quality/", "help/", "no/such/page/"])
def test_charts_render_under_the_csp(server, browser, path):
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    response = page.goto(server.url + path, wait_until="networkidle")
    assert response.status == (404 if path.startswith("no/") else 200)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    charts = page.locator(".vega")
    if path in ("", "egi/", "benchmarks/", "storage/", "gpu/", "cloud/"):
        assert charts.count() >= 1
    for i in range(charts.count()):
        charts.nth(i).locator("svg").wait_for(timeout=10_000)
        marks = charts.nth(i).locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path")
        assert marks.count() > 0, (path, i)
    page.wait_for_timeout(200)
    page.close()
    assert not [p for p in problems if "404" not in p or not path.startswith("no/")], problems


def test_release_switch_under_load_never_mixes_or_fails(built, pub, server, tmp_path):
    """Requests loop while releases switch back and forth: every response is complete and
    byte-equal to that path in one of the two releases."""
    second = tmp_path / "second"
    variant(built["output"], second, built["source"], "second release")
    paths = ["manifest.json", "index.html", "", "egi/"]
    versions = {}
    for p in paths:
        rel = p if p.endswith((".json", ".html")) else p + "index.html"
        versions[p] = {(built["output"] / rel).read_bytes(), (second / rel).read_bytes()}
    assert all(len(v) == 2 for k, v in versions.items() if k in ("manifest.json", "", "index.html"))
    stop, failures, seen = threading.Event(), [], {"old": 0, "new": 0}
    new_manifest = (second / "manifest.json").read_bytes()

    def loop(accept):
        while not stop.is_set():
            for p in paths:
                try:
                    status, headers, body = get(server, p, accept)
                    text = decode(headers, body)
                    if status != 200 or text not in versions[p]:
                        failures.append((p, accept, status, len(body)))
                    elif p == "manifest.json":
                        seen["new" if text == new_manifest else "old"] += 1
                except Exception as e:  # noqa: BLE001 - any failure is a test failure
                    failures.append((p, accept, repr(e)))

    threads = [threading.Thread(target=loop, args=(a,)) for a in (None, "gzip", "br", "br", None, "gzip")]
    for t in threads:
        t.start()
    try:
        for site in (second, built["output"], second, built["output"]):
            run_build("publish", "--output", str(site), "--to", str(pub / "pub"))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures[:10]
    assert seen["new"] > 0 and seen["old"] > 0
    # the fixture's release is current again
    assert manifest.read(pub / "pub" / "current")["build_id"] == manifest.read(built["output"])["build_id"]


def _request(server, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    con.request("GET", "/" + path, headers=headers or {})
    r = con.getresponse()
    body = r.read()
    con.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_explorer_csp_only_where_the_explorer_runs(built, server):
    """WebAssembly and workers are allowed for /explore/ and the DuckDB-WASM worker scripts
    (precompressed or not), nowhere else; the engine is served as application/wasm and the
    cubes by byte ranges."""
    worker = _asset(built, "duckdb-browser-eh-worker.", ".js")
    for path, encoding in (("explore/", None), ("explore/", "br"), ("explore/queries.json", "gzip"),
                           (worker, None), (worker, "br")):
        status, headers, _ = get(server, path, encoding)
        csp = headers["content-security-policy"]
        assert status == 200 and "'wasm-unsafe-eval'" in csp and "worker-src 'self'" in csp, (path, encoding)
        assert "'unsafe-eval'" not in csp and "unsafe-inline" not in csp, path
    for path in ("", "egi/", "help/", _asset(built, "duckdb-browser.", ".js"), _asset(built, "site.", ".js"),
                 "data/htc_monthly.parquet", "explorer/", "static/explore/"):
        csp = get(server, path)[1]["content-security-policy"]
        assert "wasm" not in csp and "worker-src" not in csp, path
    engine = _asset(built, "duckdb-eh.", ".wasm")
    status, headers, body = get(server, engine)
    assert status == 200 and headers["content-type"] == "application/wasm" and body[:4] == b"\0asm"
    assert headers["cache-control"] == IMMUTABLE and "content-encoding" not in headers
    # the engine travels as its Brotli sibling (a sixth of the bytes), still typed as WebAssembly
    status, headers, packed = get(server, engine, "br")
    assert status == 200 and headers["content-type"] == "application/wasm" and headers["content-encoding"] == "br"
    assert brotli.decompress(packed) == body and len(packed) < len(body) / 4
    status, headers, body = _request(server, "data/htc_monthly.parquet", {"Range": "bytes=0-3"})
    assert status == 206 and body == b"PAR1" and headers["content-range"].startswith("bytes 0-3/")


def test_explorer_answers_under_apache(server, browser):
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server.url + "explore/?metric=njobs&rows=Country&cols=year")
    page.wait_for_function("() => { const r = document.getElementById('explore-result');"
                           " return r && r.dataset.ready && r.dataset.ready !== ''; }", timeout=30_000)
    assert page.locator("#explore-result").get_attribute("data-ready") != "error", \
        page.locator("#explore-status").inner_text()
    assert page.locator("#explore-table tbody tr[data-kind=total]").count() == 1
    page.close()
    assert not problems, problems
