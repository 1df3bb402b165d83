"""Helpers shared by the publishing tests: a second, slightly different build of a site."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from accounting import manifest
from accounting.site import precompress


def variant(site: Path, dest: Path, source: Path, marker: str) -> dict:
    """A copy of the built `site` whose home page differs (an HTML comment added), with its
    precompressed siblings and manifest made again: another release of the same site."""
    shutil.copytree(site, dest)
    index = dest / "index.html"
    data = index.read_bytes() + f"<!-- {marker} -->\n".encode()
    index.write_bytes(data)
    for suffix in (".br", ".gz"):
        index.with_name("index.html" + suffix).unlink(missing_ok=True)
    for suffix, blob in precompress.compress("index.html", data).items():
        index.with_name("index.html" + suffix).write_bytes(blob)
    as_of = datetime.fromisoformat(manifest.read(site)["built_at"].replace("Z", "+00:00"))
    return manifest.write(dest, source, as_of)
