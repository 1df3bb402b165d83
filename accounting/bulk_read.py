"""The fast path for rows: the `mariadb` client's batch output parsed by DuckDB's CSV reader.

pymysql builds a Python object per value (about 65 k rows/s here); `mariadb --batch --quick`
streams text at the speed of the server, and DuckDB parses it in C++ into Arrow batches.
pymysql stays the driver for connecting, metadata and every error message: this module is
only used after a pymysql query has shown the columns exist, and a failure of the client is
turned into the same one-line `SourceError` through `database.describe`.

What the client's batch format cannot say, and how it is handled:
- Tabs, newlines, NULs and backslashes inside values are escaped with a backslash; values
  holding one are unescaped here (rare, so per value in Python).
- NULL is printed as the word NULL. `bulk_possible` only allows this path when no text
  column can be NULL, so a text value NULL is never mistaken for a missing one.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .database import DbConfig, SourceError, describe

BATCH_ROWS = 100_000

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR", pa.int8(): "TINYINT", pa.int16(): "SMALLINT", pa.int32(): "INTEGER",
    pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.timestamp("s"): "TIMESTAMP",
}
_ESCAPES = {"0": "\0", "t": "\t", "n": "\n", "\\": "\\"}
_CLIENT_ERROR = re.compile(r"ERROR (\d+) \([^)]*\)(?: at line \d+)?: (.*)")


class _ClientError(Exception):
    """A client failure shaped like a pymysql error (code, text) for `describe`."""


def client() -> str | None:
    return shutil.which("mariadb") or shutil.which("mysql")


def bulk_possible(description, schema: pa.Schema) -> bool:
    """Whether the rows of a query with this cursor description can take the fast path."""
    if client() is None or any(f.type not in _DUCKDB_TYPES for f in schema):
        return False
    return not any(f.name in nullable(description) for f in schema if f.type == pa.string())


@contextmanager
def _option_file(cfg: DbConfig):
    """Credentials for the client in a private file: never on its command line (ps shows it)."""
    with tempfile.TemporaryDirectory(prefix="accounting-") as d:
        path = os.path.join(d, "client.cnf")
        lines = [f"!include {cfg.option_file}"] if cfg.option_file else []
        lines += ["[client]", f"user={cfg.user}"]
        if cfg.password is not None:
            lines.append(f"password={cfg.password}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        yield path


def nullable(description) -> set[str]:
    return {d[0] for d in description if d[6]}


def read(cfg: DbConfig, sql: str, schema: pa.Schema, table: str, nullable: set[str]) -> Iterator[pa.Table]:
    """Batches of the rows of `sql` (one or more statements, run in order), typed as `schema`.
    `nullable`: the columns the server says can be NULL (none of them text: bulk_possible)."""
    # A lone backslash is never a whole field (the client prints one as two), so nothing is
    # read as NULL by the CSV reader; the word NULL becomes one only in nullable columns.
    columns = "{" + ", ".join(f"'{f.name}': '{'VARCHAR' if f.name in nullable else _DUCKDB_TYPES[f.type]}'"
                              for f in schema) + "}"
    select = ", ".join(f"CAST(NULLIF(\"{f.name}\", 'NULL') AS {_DUCKDB_TYPES[f.type]}) AS \"{f.name}\""
                       if f.name in nullable else f'"{f.name}"' for f in schema)
    with _option_file(cfg) as options, tempfile.TemporaryFile() as stderr, tempfile.TemporaryFile() as script:
        script.write(sql.encode() + b";\n")  # on stdin: hundreds of months exceed an argument's limit
        script.seek(0)
        proc = subprocess.Popen(
            [client(), f"--defaults-extra-file={options}", "--batch", "--quick", "--skip-column-names",
             "--connect-timeout=10", "--init-command=SET time_zone = '+00:00'",
             "-h", cfg.host, "-P", str(cfg.port), "--protocol=TCP", cfg.database],
            stdout=subprocess.PIPE, stderr=stderr, stdin=script)
        con = duckdb.connect()
        batches = None
        try:
            try:
                reader = con.sql(
                    f"SELECT {select} FROM read_csv('/dev/fd/{proc.stdout.fileno()}', delim = '\t',"
                    f" header = false, quote = '', escape = '', nullstr = '\\', auto_detect = false,"
                    f" columns = {columns})"
                ).to_arrow_reader(BATCH_ROWS)
                batches = _prefetched(reader)
                for batch in batches:
                    yield _unescape(pa.Table.from_batches([batch]).cast(schema))
            except duckdb.Error as e:
                _raise_if_client_failed(proc, stderr, cfg, table)
                raise SourceError(f"cannot parse the rows of {table} from {cfg.where}: "
                                  f"{str(e).splitlines()[0]}") from None
            _raise_if_client_failed(proc, stderr, cfg, table)
        finally:
            if proc.poll() is None:
                proc.kill()  # first: a reader thread blocked on the pipe then sees its end
            if batches is not None:
                batches.close()
            con.close()
            proc.wait()
            proc.stdout.close()


def _prefetched(reader, depth: int = 2):
    """DuckDB parses the next batches in a thread while the caller validates and writes
    this one (both release the GIL), so reading and writing overlap."""
    done, stop = object(), threading.Event()
    q: queue.Queue = queue.Queue(depth)

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def pump():
        try:
            for batch in reader:
                if not put(batch):
                    return
            put(done)
        except BaseException as e:  # handed to the consumer, raised there
            put(e)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _raise_if_client_failed(proc, stderr, cfg: DbConfig, table: str) -> None:
    proc.stdout.close()  # a client still writing gets EPIPE instead of blocking forever
    if proc.wait() == 0:
        return
    stderr.seek(0)
    text = stderr.read().decode(errors="replace").strip()
    m = _CLIENT_ERROR.search(text)
    error = _ClientError(int(m.group(1)), m.group(2)) if m else _ClientError(None, text.splitlines()[-1]
                                                                               if text else "client failed")
    raise SourceError(describe(error, cfg, table))


def _unescape(t: pa.Table) -> pa.Table:
    for i, f in enumerate(t.schema):
        if f.type == pa.string() and pc.any(pc.match_substring(t.column(i), "\\")).as_py():
            values = [None if v is None else re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), v)
                      for v in t.column(i).to_pylist()]
            t = t.set_column(i, f, pa.array(values, pa.string()))
    return t
