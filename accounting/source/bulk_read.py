"""The fast path for rows: ConnectorX reads MariaDB's binary protocol straight into Arrow.

pymysql builds a Python object per value (about 65 k rows/s here). ConnectorX decodes the
binary protocol into Arrow batches in Rust, on its own thread, so the server, the decoding
and our validation and writing run side by side (bench/export_bench.py has the figures).
Unlike the `mariadb` client's text output, it keeps NULL apart from the text 'NULL' and
needs no unescaping, so every dataset can take this path.

pymysql stays the driver for connecting, metadata and every error message: this module
only runs after a pymysql connection has succeeded (its host, port, user and password,
option file included, are the ones reused here) and a pymysql `LIMIT 0` has shown that the
columns exist. A failure while reading becomes the same one-line `SourceError` through
`database.describe`; a value that does not fit, the one line of `arrow_rows`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from accounting.source import arrow_rows
from accounting.source.contracts import Dataset
from accounting.source.database import SESSION_UTC, DbConfig, SourceError, describe

# Rust's logger would print connection-pool errors on stderr itself, beside our one line.
os.environ.setdefault("RUST_LOG", "off")

BATCH_ROWS = 50_000
# A panic report: "thread '…' panicked at <place>:", its message line, then any backtrace
# (indented lines) and `note:` lines.
_PANIC = re.compile(r"^thread '[^\n]*' (?:\(\d+\) )?panicked at [^\n]*\n[^\n]*\n"
                    r"(?:(?:stack backtrace:| +[^\n]*|note: [^\n]*)\n)*", re.M)
_DB_ERROR = re.compile(r"ERROR (\d+) \([^)]*\): ([^}]*)")
_CONNECTION_LOST = re.compile(r"io ?error|broken pipe|connection (reset|refused|closed|aborted)|"
                              r"unexpected eof|lost connection|server has gone away", re.I)


class _ReadError(Exception):
    """A ConnectorX failure shaped like a pymysql error (code, text) for `describe`."""


def available() -> bool:
    return importlib.util.find_spec("connectorx") is not None


def url_of(db) -> str:
    """The URL of an open pymysql connection: what it actually used, option file included."""
    password = db.password.decode("latin1") if isinstance(db.password, bytes) else (db.password or "")
    user = db.user.decode() if isinstance(db.user, bytes) else db.user
    database = db.db.decode() if isinstance(db.db, bytes) else db.db
    return f"mysql://{quote(user, safe='')}:{quote(password, safe='')}@{db.host}:{db.port}/{quote(database)}"


def read(url: str, statements: list[str], dataset: Dataset, cfg: DbConfig, name: str, table: str) -> Iterator:
    """Arrow tables of the rows of `statements` (run one after another), in the dataset's
    read types (arrow_rows). `name` is the source's in messages, `table` the table read."""
    import connectorx

    for sql in statements:
        try:
            reader = connectorx.read_sql(url, sql, return_type="arrow_stream", protocol="binary",
                                         batch_size=BATCH_ROWS, pre_execution_query=[SESSION_UTC])
            for batch in reader:
                if batch.num_rows:
                    yield arrow_rows.from_batch(batch, dataset, table)
        except (KeyboardInterrupt, SystemExit, GeneratorExit, SourceError):
            raise
        except BaseException as e:  # noqa: BLE001 - a failure mid-stream is a Rust panic, a BaseException
            raise SourceError(describe(_read_error(e), cfg, name)) from None


@contextmanager
def native_stderr_captured() -> Iterator[None]:
    """ConnectorX reports a failure in the middle of a stream as a Rust panic, whose hook
    prints it (and maybe a backtrace) on file descriptor 2 before Python sees the exception,
    beside the one line we print. Around the export, fd 2 goes to a file and Python's own
    `sys.stderr` to a copy of the real one; afterwards what native code wrote is passed on,
    panic reports left out."""
    sys.stderr.flush()
    real_fd = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        python_stderr, sys.stderr = sys.stderr, open(os.dup(real_fd), "w", buffering=1, encoding="utf-8")
        try:
            yield
        finally:
            sys.stderr.close()
            sys.stderr = python_stderr
            os.dup2(real_fd, 2)
            os.close(real_fd)
            capture.seek(0)
            sys.stderr.write(_PANIC.sub("", capture.read().decode(errors="replace")))
            sys.stderr.flush()


def _read_error(e: Exception) -> _ReadError:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    m = _DB_ERROR.search(text)
    if m:
        return _ReadError(int(m.group(1)), m.group(2).strip())
    return _ReadError(2013 if _CONNECTION_LOST.search(text) else None, text)
