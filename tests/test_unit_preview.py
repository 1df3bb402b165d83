"""The preview server (`build.py serve`, tests/static_server.py) answers byte ranges as Apache
does, which the explorer's DuckDB-WASM needs, with the site's content types."""

from __future__ import annotations

import http.client

from static_server import serving


def get(url: str, path: str, headers: dict | None = None):
    host, port = url.split("//")[1].rstrip("/").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=10)
    con.request("GET", path, headers=headers or {})
    r = con.getresponse()
    body = r.read()
    con.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def test_ranges_and_types(tmp_path):
    data = bytes(range(256)) * 4
    (tmp_path / "cube.parquet").write_bytes(data)
    (tmp_path / "engine.wasm").write_bytes(b"\0asm")
    with serving(tmp_path) as url:
        status, headers, body = get(url, "/cube.parquet")
        assert status == 200 and body == data and headers["accept-ranges"] == "bytes"
        assert headers["content-type"] == "application/vnd.apache.parquet"
        status, headers, body = get(url, "/cube.parquet", {"Range": "bytes=10-19"})
        assert status == 206 and body == data[10:20] and headers["content-range"] == "bytes 10-19/1024"
        status, headers, body = get(url, "/cube.parquet", {"Range": "bytes=1000-"})
        assert status == 206 and body == data[1000:] and headers["content-range"] == "bytes 1000-1023/1024"
        status, headers, body = get(url, "/cube.parquet", {"Range": "bytes=-4"})
        assert status == 206 and body == data[-4:]
        status, headers, _ = get(url, "/cube.parquet", {"Range": "bytes=2000-"})
        assert status == 416 and headers["content-range"] == "bytes */1024"
        assert get(url, "/engine.wasm")[1]["content-type"] == "application/wasm"
