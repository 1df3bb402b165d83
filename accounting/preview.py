"""The local preview server (`build.py serve`, and the Chromium tests that need no Apache):
Python's own HTTP server with the site's content types (accounting/media.py) and byte-range
requests (a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, answered 206 Partial
Content or 416), as Apache and object stores serve them: the explorer's DuckDB-WASM reads
the Parquet cubes by range requests. A missing path gets the site's 404.html with status 404,
as Apache (ErrorDocument) and an object store's error document serve it."""

from __future__ import annotations

import http.server
import os
import re

from accounting import media

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` (functools.partial, as SimpleHTTPRequestHandler) quietly; a subclass
    may set `extra_headers(path) -> dict` for headers of its own (a test's CSP)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **media.TYPES}
    extra_headers = None
    quiet = True

    def log_message(self, *args):
        if not self.quiet:
            super().log_message(*args)

    def end_headers(self):
        if self.extra_headers:
            for name, value in self.extra_headers(self.path.split("?", 1)[0]).items():
                self.send_header(name, value)
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        self._remaining = None
        m = RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if not m or not os.path.isfile(path) or m.groups() == ("", ""):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = m.groups()
        if first == "":  # the last N bytes
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
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

    def send_error(self, code, message=None, explain=None):
        page = os.path.join(self.directory, "404.html")
        if code != 404 or not os.path.isfile(page):
            return super().send_error(code, message, explain)
        with open(page, "rb") as f:
            body = f.read()
        self.send_response(404)
        self.send_header("Content-Type", media.TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def copyfile(self, source, outputfile):
        remaining = self._remaining
        if remaining is None:
            return super().copyfile(source, outputfile)
        while remaining > 0:
            chunk = source.read(min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)
