"""A real, throwaway MariaDB server (Debian's mariadb-server) on a private data directory
and a free loopback port, for tests and benchmarks. No mocks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pymysql

USER, PASSWORD, DATABASE = "portal", "s3cret-pw", "apel"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    def __init__(self, base: Path, buffer_pool: str = "512M"):
        self.base = Path(base).resolve()  # the server changes into its data directory
        self.buffer_pool = buffer_pool
        self.datadir = self.base / "data"
        self.socket = self.base / "mysqld.sock"
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> MariaDB:
        binary = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        if not self.datadir.exists():
            self.datadir.mkdir(parents=True)
            subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
                            "--auth-root-authentication-method=normal", "--skip-test-db"],
                           check=True, capture_output=True)
            first = True
        else:
            first = False
        # Its own temporary directory: grouping by long names puts internal temporary
        # tables on disk, and in a /tmp that other servers and runs share one lost its
        # file in the middle of a query ("Error on delete of '/tmp/#sql-temptable-…'").
        (self.base / "tmp").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--no-defaults", f"--datadir={self.datadir}", f"--tmpdir={self.base / 'tmp'}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.socket}", "--user=root",
             f"--pid-file={self.base / 'mysqld.pid'}", "--skip-log-bin",
             f"--innodb-buffer-pool-size={self.buffer_pool}",
             "--innodb-flush-log-at-trx-commit=2", "--local-infile=1", f"--log-error={self.base / 'error.log'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            try:
                con = pymysql.connect(unix_socket=str(self.socket), user="root")
                break
            except pymysql.err.OperationalError:
                if time.time() > deadline or self.proc.poll() is not None:
                    log = (self.base / "error.log").read_text()[-2000:]
                    raise RuntimeError(f"MariaDB did not start: {log}") from None
                time.sleep(0.2)
        if first:
            with con.cursor() as cur:
                # APEL's tables are created without table options, so they take the
                # database's: a case-insensitive collation, and a 3-byte character set,
                # as on the servers APEL was written for (its CloudSummaries primary key
                # is longer than InnoDB's 3072 bytes in utf8mb4).
                cur.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci")
                for host in ("127.0.0.1", "localhost"):
                    cur.execute(f"CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'")
                    cur.execute(f"GRANT ALL ON {DATABASE}.* TO '{USER}'@'{host}'")
        con.close()
        return self

    def root(self) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=str(self.socket), user="root", database=DATABASE, autocommit=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self.proc = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None


def available() -> bool:
    return bool(shutil.which("mariadbd") or os.path.exists("/usr/sbin/mariadbd"))
