"""A built site served by the portal's preview server (accounting/preview.py: the site's
content types and byte ranges) on a free loopback port, for Chromium tests that need no
Apache; `headers(path)`, if given, adds headers of the test's own (the explorer test sends
the Content-Security-Policy the generated Apache configuration would)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from accounting.preview import Handler


@contextmanager
def serving(root: Path, headers: Callable[[str], dict] | None = None) -> Iterator[str]:
    """The base URL (ending in /) of `root` served until the block ends."""
    handler = type("_Handler", (Handler,), {"extra_headers": staticmethod(headers) if headers else None})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
