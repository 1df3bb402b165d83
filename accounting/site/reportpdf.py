"""The WLCG reports as PDF downloads: each page printed by headless Chromium (its print
stylesheet: A4 landscape), from a local HTTP server of the site being built, so the
charts are drawn from the site's own script and data exactly as a reader's browser would.
Optional (`--report-pdfs`): it needs the `chromium` of the machine, and about 2 s a report.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

from accounting.errors import SiteError

# Chromium's virtual time: how long the page may run its scripts (the charts) before printing.
BUDGET_MS = 8000
TIMEOUT_S = 90


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise SiteError("--report-pdfs needs Chromium (apt-get install chromium, or CHROMIUM=/path/to/it): "
                        "none found")
    return found


def write(root: Path, pages: list[tuple[str, str]]) -> int:
    """Print each (page directory, PDF name) of the tree at root into that directory."""
    if not pages:
        return 0
    browser = chromium()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for page_dir, name in pages:
            out = Path(root) / page_dir / name
            cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   f"--virtual-time-budget={BUDGET_MS}", f"--print-to-pdf={out}",
                   f"http://127.0.0.1:{server.server_port}/{page_dir}"]
            try:
                done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise SiteError(f"Chromium did not print {page_dir} in {TIMEOUT_S} s") from None
            if done.returncode or not out.exists():
                last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
                raise SiteError(f"Chromium could not print {page_dir} to PDF: {last}")
    finally:
        server.shutdown()
        server.server_close()
    return len(pages)
