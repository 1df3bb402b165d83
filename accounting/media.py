"""How the site's files are served, declared once: content types, precompressed
encodings, cache policy.

The build (accounting/site/precompress.py decides which files get `.br`/`.gz` siblings),
the object store (accounting/publish/s3.py sets each object's headers) and Apache
(site_templates/apache.conf.j2, rendered by accounting/publish/apache.py) all read this
table, so a file gets the same Content-Type, Content-Encoding and Cache-Control wherever
it is served from.
"""

from __future__ import annotations

import mimetypes
import os
import re

# suffix: (Content-Type, whether it compresses and so gets precompressed siblings). The
# charset is stated because browsers would otherwise guess it for CSV and plain text.
# Parquet and images are compressed already: a sibling would not be smaller. WebAssembly is
# not text but compresses like it (DuckDB-WASM's 18 MB engine is 3.3 MB as Brotli).
_TABLE = {
    ".html": ("text/html; charset=utf-8", True),
    ".css": ("text/css; charset=utf-8", True),
    ".js": ("text/javascript; charset=utf-8", True),
    ".json": ("application/json", True),
    ".csv": ("text/csv; charset=utf-8", True),
    ".svg": ("image/svg+xml", True),
    ".txt": ("text/plain; charset=utf-8", True),
    ".xml": ("application/xml", True),
    ".parquet": ("application/vnd.apache.parquet", False),
    ".png": ("image/png", False),
    ".wasm": ("application/wasm", True),  # the explorer's DuckDB-WASM (streamed compilation needs the type)
}
TYPES = {suffix: ctype for suffix, (ctype, _) in _TABLE.items()}
TEXT_SUFFIXES = frozenset(suffix for suffix, (_, text) in _TABLE.items() if text)

# Sibling suffix: Content-Encoding token, in the order of preference when a client accepts
# both (Brotli is the smaller).
ENCODINGS = {".br": "br", ".gz": "gzip"}

# A content-hashed asset (static/<name>.<12 hex of SHA-256>.<ext>, written by
# SiteWriter.write_hashed) never changes under its name, so it is cached for a year; every
# other path keeps its name across releases and is revalidated on each use.
HASHED_DIR = "static"
HASH_LENGTH = 12  # hex digits of the SHA-256 in the name
HASHED_NAME = rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+"  # the end of the file name, for Apache's FilesMatch
HASHED_ASSET = re.compile(rf"^{HASHED_DIR}/[^/]+{HASHED_NAME}$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def split_encoding(rel: str) -> tuple[str, str | None]:
    """(the original's path, the Content-Encoding) of a site path; (rel, None) if not a sibling."""
    base, ext = os.path.splitext(rel)
    encoding = ENCODINGS.get(ext)
    return (base, encoding) if encoding else (rel, None)


def content_type(rel: str) -> str:
    """The Content-Type of a file (a sibling has its original's)."""
    base = split_encoding(rel)[0]
    return TYPES.get(os.path.splitext(base)[1].lower()) or mimetypes.guess_type(base)[0] \
        or "application/octet-stream"


def mediatype(suffix: str) -> str:
    """The bare media type of a suffix, without parameters (as datapackage.json lists it)."""
    return TYPES[suffix].split(";", 1)[0]


def cache_control(rel: str) -> str:
    return IMMUTABLE if HASHED_ASSET.match(split_encoding(rel)[0]) else REVALIDATE


def wants_siblings(rel: str) -> bool:
    return os.path.splitext(rel)[1].lower() in TEXT_SUFFIXES
