"""Precompressed siblings (`x.br`, `x.gz`) of the site's text files, for Apache to serve
as they are (see site_templates/apache.conf.j2). Which files get them, and the suffix of
each encoding, are accounting/media.py's (the table Apache and S3 serve by).

Both encodings are deterministic: Brotli output depends only on the bytes and the
quality, and gzip is written with mtime 0 and no file name, so two builds of the same
inputs give byte-identical siblings. Parquet and images are already compressed and get
none; a sibling that would not be smaller than its original is not written.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli

from accounting import files, media
from accounting.media import ENCODINGS, wants_siblings

# Measured on the small demo site (7,900 text files, 60 MB): quality 5 takes 1.1 s for all
# of them, quality 9 26 s for 0.7 % fewer bytes, quality 11 84 s for 12 % fewer. So pages and
# downloads get 5, and only the few hashed assets (large, cached for a year) get 11, kept
# between builds in the cache directory by content hash (the Vega bundle alone takes seconds).
ASSET_QUALITY, PAGE_QUALITY = 11, 5
# Except the explorer's engines (DuckDB-WASM, about 20 MB each): quality 11 takes 71 s for
# one, quality 5 1.0 s for 21 % more bytes (3.3 MB instead of 2.7 MB), so assets above this
# size get the page quality.
LARGE_ASSET = 4 << 20
# gzip 6 instead of 9: on 6,000 pages and CSVs of the default site (88 MB) 1.2 s instead of
# 2.6 s, for output 0.9 % larger.
GZIP_LEVEL = 6


def _brotli(data: bytes, quality: int, cache_dir: Path | None) -> bytes:
    if cache_dir is None or quality < ASSET_QUALITY:
        return brotli.compress(data, quality=quality)
    cached = cache_dir / f"{hashlib.sha256(data).hexdigest()}.q{quality}.br"
    if cached.exists():
        return cached.read_bytes()
    blob = brotli.compress(data, quality=quality)
    cache_dir.mkdir(parents=True, exist_ok=True)
    files.write_bytes(cached, blob)
    return blob


def compress(rel: str, data: bytes, cache_dir: Path | None = None) -> dict[str, bytes]:
    """{'.br': …, '.gz': …} for one file, only the encodings that make it smaller."""
    hashed = rel.startswith(f"{media.HASHED_DIR}/") and len(data) <= LARGE_ASSET
    quality = ASSET_QUALITY if hashed else PAGE_QUALITY
    blobs = {"br": _brotli(data, quality, cache_dir),
             "gzip": gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)}
    return {suffix: blobs[encoding] for suffix, encoding in ENCODINGS.items() if len(blobs[encoding]) < len(data)}


def _one(root: Path, rel: str, cache_dir: Path | None) -> int:
    path = root / rel
    written = 0
    for suffix, blob in compress(rel, path.read_bytes(), cache_dir).items():
        path.with_name(path.name + suffix).write_bytes(blob)
        written += 1
    return written


def precompress_tree(root: Path, cache_dir: Path | None = None, workers: int | None = None) -> int:
    """Write the siblings of every text file under `root`; returns how many were written."""
    root = Path(root)
    rels = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and wants_siblings(p.name))
    # zlib and brotli release the GIL while compressing: threads are enough.
    with ThreadPoolExecutor(workers or min(8, os.cpu_count() or 1)) as pool:
        return sum(pool.map(lambda rel: _one(root, rel, cache_dir), rels))
