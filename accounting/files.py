"""Files written so a reader or a crash never sees half of one: a tree built beside its
target and swapped in, a file written under a temporary name and renamed; and the one
chunked digest of a file's content."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def swap_in(new: Path, target: Path) -> None:
    """Make `new` the content of `target`; readers never see a half-written tree."""
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now holds the previous tree
        return
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old)


@contextmanager
def staged_dir(target: Path):
    """Yield an empty directory beside `target`; swap it in if the block succeeds.

    On any exception the staging directory is removed and `target` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, target)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file through a temporary name so a crash never leaves half a file."""
    path = Path(path)
    # Unique per process and thread: two writers of the same path (parallel builds sharing
    # a cache) each rename a complete file of their own, and the last one wins.
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in chunks (a file may be larger than memory)."""
    # Content addresses and S3 ETags, not signatures: MD5 stays allowed on FIPS systems.
    h = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
