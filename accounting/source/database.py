"""Connecting to the source MariaDB: the URL, where the password comes from, and one clear
line for every way it can fail (never the password)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pymysql
from pymysql.constants import FIELD_TYPE

from accounting.errors import SourceError

DB_URL_ENV = "ACCOUNTING_DB_URL"
PASSWORD_ENV = "ACCOUNTING_DB_PASSWORD"
OPTION_FILE_ENV = "ACCOUNTING_DB_OPTION_FILE"
# Every session reads and writes timestamps in UTC, whatever the server's zone.
SESSION_UTC = "SET time_zone = '+00:00'"


@dataclass(frozen=True)
class DbConfig:
    host: str
    port: int
    user: str
    database: str
    password: str | None  # from the URL or ACCOUNTING_DB_PASSWORD; None: the option file's
    option_file: str | None

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def __repr__(self) -> str:  # never print the password
        return f"DbConfig({self.where})"


# APEL deployments keep each kind of accounting in its own database (the cloud and storage
# schemas recreate the lookup tables): a URL per dataset family, each defaulting to the
# main one. The portal's topology tables always come from ACCOUNTING_DB_URL.
FAMILY_URL_ENV = {"cloud": "ACCOUNTING_CLOUD_DB_URL", "storage": "ACCOUNTING_STORAGE_DB_URL",
                  "gpu": "ACCOUNTING_GPU_DB_URL"}


def config_from_env(environ=os.environ, variable: str = DB_URL_ENV) -> DbConfig | None:
    url = environ.get(variable)
    if not url:
        return None
    u = urlparse(url)
    if u.scheme not in ("mysql", "mariadb") or not u.hostname or not u.path.strip("/"):
        raise SourceError(f"{variable} must look like mysql://user:password@host:port/db")
    option_file = environ.get(OPTION_FILE_ENV)
    if option_file is None and Path("~/.my.cnf").expanduser().exists():
        option_file = str(Path("~/.my.cnf").expanduser())
    password = unquote(u.password) if u.password is not None else environ.get(PASSWORD_ENV)
    return DbConfig(u.hostname, u.port or 3306, unquote(u.username or ""), u.path.strip("/"),
                    password, option_file)


def family_configs(environ=os.environ) -> dict[str, DbConfig] | None:
    """The database of each dataset family ("main": HTC and topology), or None without
    ACCOUNTING_DB_URL. The same password sources serve every URL."""
    main = config_from_env(environ)
    if main is None:
        return None
    return {"main": main, **{family: config_from_env(environ, variable) or main
                             for family, variable in FAMILY_URL_ENV.items()}}


# For rows read through pymysql (--no-bulk), timestamps and decimals stay text: Arrow parses
# whole columns of them far faster than Python builds a datetime or Decimal per value.
BULK_CONVERSIONS = dict(pymysql.converters.conversions)
for _t in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.NEWDECIMAL, FIELD_TYPE.DECIMAL):
    BULK_CONVERSIONS[_t] = str


def connect(cfg: DbConfig, streaming: bool = False) -> pymysql.connections.Connection:
    kwargs = dict(host=cfg.host, port=cfg.port, user=cfg.user, database=cfg.database,
                  charset="utf8mb4", connect_timeout=10, read_timeout=600, write_timeout=600,
                  init_command=SESSION_UTC, local_infile=True)
    if cfg.password is not None:
        kwargs["password"] = cfg.password
    if cfg.option_file:
        kwargs["read_default_file"] = cfg.option_file
    if streaming:
        kwargs["cursorclass"] = pymysql.cursors.SSCursor
        kwargs["conv"] = BULK_CONVERSIONS
    try:
        return pymysql.connect(**kwargs)
    except pymysql.err.OperationalError as e:
        raise SourceError(describe(e, cfg)) from None


def describe(e: Exception, cfg: DbConfig, table: str | None = None) -> str:
    """One line for an error from the server or the connection."""
    code = e.args[0] if getattr(e, "args", None) else None
    text = str(e.args[1]) if getattr(e, "args", None) and len(e.args) > 1 else str(e)
    if cfg.password:
        text = text.replace(cfg.password, "***")
    if code in (2002, 2003, 2005):
        return f"cannot reach the database server at {cfg.host}:{cfg.port} ({text})"
    if code == 1045:
        return f"the database refused the credentials of user {cfg.user!r} at {cfg.host}:{cfg.port}"
    if code == 1049:
        return f"no database {cfg.database!r} at {cfg.host}:{cfg.port}"
    if code == 1146:
        return f"missing table at {cfg.where}: {text}"
    if code == 1054:
        return f"missing column{' in ' + table if table else ''} at {cfg.where}: {text}"
    if code in (2006, 2013, 2014) or isinstance(e, (pymysql.err.InterfaceError, ConnectionError)):
        return f"lost the connection to {cfg.host}:{cfg.port}{' while reading ' + table if table else ''} ({text})"
    return f"database error at {cfg.where}{' in ' + table if table else ''}: {text}"
