"""Writes the site's files under one root, refusing two writes to the same path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accounting import media

# Page tables are small: statistics and dictionaries cost more time than they save bytes.
PAGE_PARQUET = dict(compression="snappy", use_dictionary=False, write_statistics=False)


class SiteWriter:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.written: dict[str, int] = {}  # site path -> bytes
        self._dirs: set[Path] = set()

    def _path(self, rel: str) -> Path:
        if rel in self.written:
            raise RuntimeError(f"two outputs for the same path: {rel}")
        path = self.root / rel
        if path.parent not in self._dirs:  # thousands of pages share few directories
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        return path

    def write(self, rel: str, data: bytes | str) -> str:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._path(rel).write_bytes(data)
        self.written[rel] = len(data)
        return rel

    def claim(self, rel: str) -> Path:
        """Reserve `rel` for a file another library writes; call `done` after."""
        path = self._path(rel)
        self.written[rel] = 0
        return path

    def done(self, rel: str) -> None:
        self.written[rel] = (self.root / rel).stat().st_size

    def adopt(self, written: dict[str, int]) -> None:
        """Files another process wrote under the same root (the report workers)."""
        for rel, size in written.items():
            if rel in self.written:
                raise RuntimeError(f"two outputs for the same path: {rel}")
            self.written[rel] = size

    def write_parquet(self, rel: str, table: pa.Table) -> str:
        # Through memory: Arrow writes a file column chunk by column chunk, dozens of small
        # writes per page table; one write per file is kinder to the disk.
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **PAGE_PARQUET)
        return self.write(rel, sink.getvalue().to_pybytes())

    def write_hashed(self, stem: str, suffix: str, data: bytes | str) -> str:
        """Write an immutable asset under a content-hashed name, e.g. static/site.1a2b3c4d.css."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:media.HASH_LENGTH]
        return self.write(f"{stem}.{digest}{suffix}", data)

    def page(self, page_dir: str, html: str) -> str:
        return self.write(page_dir + "index.html", html)
