"""A built site served by Python's own HTTP server on a free loopback port, for Chromium
tests that need no Apache. It answers byte-range requests (a single `bytes=a-b` range with
206 Partial Content), as Apache and object stores do: the explorer's DuckDB-WASM reads the
Parquet cubes by range requests. It sends the headers `headers(path)` returns, if given
(the explorer test sends the Content-Security-Policy Apache would)."""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".parquet": "application/vnd.apache.parquet"}
    extra_headers: Callable[[str], dict] | None = None

    def log_message(self, *args):
        pass

    def end_headers(self):
        if self.extra_headers:
            for name, value in self.extra_headers(self.path.split("?", 1)[0]).items():
                self.send_header(name, value)
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        m = RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if not m or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = m.groups()
        if first == "":  # the last N bytes
            start, end = max(0, size - int(last or 0)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        f = open(path, "rb")  # closed by the server once copyfile has sent it
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        self._remaining = None
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


@contextmanager
def serving(root: Path, headers: Callable[[str], dict] | None = None) -> Iterator[str]:
    """The base URL (ending in /) of `root` served until the block ends."""
    handler = type("_Handler", (_Quiet,), {"extra_headers": staticmethod(headers) if headers else None})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
