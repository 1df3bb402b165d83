"""The published release the API answers from, and how it follows the publish target.

A release is a built site: its manifest (build id, when it was built), the explorer's query
file (explore/queries.json: the one definition of a view's SQL, shared with the browser) and
the cubes it publishes under data/. The API opens a release's cubes read-only with its own
in-memory DuckDB and never connects to the accounting database.

The target is a publish directory (`DIR/current` -> `releases/<build-id>`, switched by one
rename), an object store publish target (`s3://BUCKET/PREFIX`: its `current.json` pointer
names the release, whose manifest, queries and cubes are fetched once into a local cache
directory, completely before use) or a plain built site. A request takes the current `Release` object once and is
answered wholly from it; a new release is opened completely before it replaces the old one,
so no answer mixes two releases. In a publish directory a release never changes under its
name; a plain site directory is replaced as a whole by the site stage, so there the switch
is atomic only per build (documented in the README).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from accounting.errors import AccountingError
from accounting.publish.directory import CURRENT
from accounting.site.explore import ident, sql_text

MANIFEST, QUERIES = "manifest.json", "explore/queries.json"
LEGACY = "explore/legacy.json"  # the old portal's ids (accounting/site/legacy.py), for its JSON/CSV calls
# Each query may use this much memory and so many threads; a bigger view fails alone with a
# clear error instead of taking the service down (the API serves several requests at once).
MEMORY_LIMIT, THREADS = "1GB", 2


class ReleaseError(AccountingError):
    pass


@dataclass
class Release:
    root: Path
    build_id: str
    built_at: str
    queries: dict
    legacy: dict
    con: duckdb.DuckDBPyConnection = field(repr=False)

    @property
    def data_as_of(self) -> str:
        """The last month the release's data covers (YYYY-MM)."""
        return self.queries["defaults"]["to"]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one request (DuckDB connections are not shared by threads)."""
        return self.con.cursor()


def _manifest_head(path: Path) -> dict:
    """build_id and built_at of a manifest without parsing its (large) file list."""
    m = json.loads(path.read_text(encoding="utf-8"))
    return {"build_id": m["build_id"], "built_at": m.get("built_at", "")}


def open_release(root: Path) -> Release:
    root = Path(root)
    try:
        head = _manifest_head(root / MANIFEST)
        queries = json.loads((root / QUERIES).read_text(encoding="utf-8"))
        legacy = json.loads((root / LEGACY).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as e:
        raise ReleaseError(f"{root} is not a built site with an explorer ({type(e).__name__}: {e})") from None
    con = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT, "threads": THREADS})
    for statement in queries["setup"]:
        con.execute(statement)
    for fam in queries["families"].values():
        cube = root / "data" / fam["file"]
        if not cube.is_file():
            raise ReleaseError(f"release {head['build_id']} has no cube {cube}")
        con.execute(f"CREATE VIEW {ident(fam['cube'])} AS SELECT * FROM read_parquet({sql_text(str(cube))})")
    return Release(root, head["build_id"], head["built_at"], queries, legacy, con)


def _fetch_s3(url: str, cache: Path) -> tuple[Path, str]:
    """The live release of an S3 publish target, as a local directory of what the API reads."""
    from accounting.publish import s3

    store = s3.open_store(url)
    pointer = store.get_json(store.key(s3.POINTER))
    if not pointer:
        raise ReleaseError(f"{url} has no current release ({s3.POINTER})")
    release = pointer["release"]
    root = cache / release
    if root.is_dir():
        return root, release
    tmp = cache / f".{release}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)

    def fetch(rel: str) -> bytes:
        body = store.call("get_object", Key=store.key("releases", release, rel))["Body"].read()
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_bytes(body)
        return body

    fetch(MANIFEST)
    queries = json.loads(fetch(QUERIES))
    fetch(LEGACY)
    for fam in queries["families"].values():
        fetch(f"data/{fam['file']}")
    os.replace(tmp, root)
    for old in sorted(p for p in cache.iterdir() if p.is_dir() and p.name != release and not p.name.startswith(".")):
        shutil.rmtree(old, ignore_errors=True)  # a request still on it holds its open files
    return root, release


def resolve(target, cache: Path | None = None) -> tuple[Path, object]:
    """The directory of the target's live release and a token that changes when it does."""
    if str(target).startswith("s3://"):
        cache = Path(cache or tempfile.gettempdir()) / "accounting-api"
        cache.mkdir(parents=True, exist_ok=True)
        return _fetch_s3(str(target), cache)
    target = Path(target)
    link = target / CURRENT
    if link.is_symlink():
        root = Path(os.path.realpath(link))
        return root, root.name
    st = os.stat(target / MANIFEST)  # a plain site: replaced as a whole, so a new manifest inode
    return target, (st.st_ino, st.st_mtime_ns, st.st_size)


class Follower:
    """The target's current release, checked at most every `every` seconds."""

    def __init__(self, target, every: float = 1.0, cache: Path | None = None):
        self.target, self.every, self.cache = target, every, cache
        self._lock = threading.Lock()
        root, self._token = resolve(self.target, cache)
        self._release = open_release(root)
        self._checked = time.monotonic()

    def current(self) -> Release:
        if time.monotonic() - self._checked >= self.every:
            with self._lock:
                if time.monotonic() - self._checked >= self.every:
                    self._refresh()
        return self._release

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        try:
            root, token = resolve(self.target, self.cache)
            if token != self._token:
                self._release, self._token = open_release(root), token
        except (OSError, AccountingError):
            pass  # a publish in progress or a broken new release: keep answering from the last good one
