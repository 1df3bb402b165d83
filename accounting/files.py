"""Files written so a reader or a crash never sees half of one: a tree built beside its
target and swapped in, a file written under a temporary name and renamed; one writer at a
time per target (a lock file beside it); and the one chunked digest of a file's content."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import glob
import hashlib
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from accounting.errors import BusyError

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
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)  # never leave the target missing
        raise
    shutil.rmtree(old)


# Lock files held by this process, with how deep: a stage that locks its target for its
# whole run enters staged_dir on the same target (flock would refuse a second descriptor).
_held: dict[str, int] = {}


@contextmanager
def locked(lock_file: Path, what: Path, doing: str = "built"):
    """Hold the exclusive lock of `lock_file` (made if missing) for the block; if another
    process holds it, raise BusyError at once, having changed nothing.

    The file stays after the run: deleting it would let a third run lock a new file while a
    second still holds the old one. It records the holder's pid, for the message."""
    lock_file = Path(lock_file)
    key = os.path.abspath(lock_file)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    # Not opened with truncation: the holder's pid must survive a refused attempt.
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise BusyError(f"{what} is being {doing} by another run (pid {holder}; lock {lock_file}): "
                            "nothing was changed, run again when it has finished") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as e:  # a full disk: the pid is only for messages, the lock holds anyway
            if e.errno != errno.ENOSPC:
                raise
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the flock


def lock_path(target: Path) -> Path:
    """The lock file of a target that is swapped in whole: beside it, as it is replaced."""
    target = Path(target)
    return target.with_name(f"{target.name}.lock")


@contextmanager
def claim(target: Path):
    """Be the one writer of `target` (a tree swapped in by staged_dir) for the block, and
    first remove what killed runs left beside it: with the lock held, no other run can be
    using a `<target>.building-*` or `<target>.old`."""
    target = Path(target)
    with locked(lock_path(target), target):
        if _held[os.path.abspath(lock_path(target))] == 1:
            for stale in [*target.parent.glob(f"{glob.escape(target.name)}.building-*"),
                          target.with_name(f"{target.name}.old")]:
                remove(stale)
        yield


def remove(path: Path) -> None:
    """Delete a file, link or tree if it is there (a leftover: what cannot go stays)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:  # gone already, or not ours to delete: the run goes on without it
            pass


@contextmanager
def staged_dir(target: Path):
    """Yield an empty directory beside `target`, holding `target`'s lock; swap it in if the
    block succeeds.

    On any exception (the swap's own included) the staging directory is removed and
    `target` is untouched.
    """
    target = Path(target)
    with claim(target):
        staging = target.with_name(f"{target.name}.building-{os.getpid()}")
        staging.mkdir()
        try:
            yield staging
            swap_in(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


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
