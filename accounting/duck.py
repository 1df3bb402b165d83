"""DuckDB as the cubes and the site stage use it: one connection with the shared macros,
SQL read from the repository's .sql files, Parquet files attached as views.

File paths never go into SQL text: views are made from relations (the path is an argument),
and COPY takes the target as a parameter.
"""

from __future__ import annotations

import errno
import os
import re
from functools import cache
from pathlib import Path

import duckdb

from accounting import catalogue
from accounting.locations import CUBES_SQL
from accounting.source import contracts

# Run by `connect` before any query, in this order; not cubes.
SETUP = (CUBES_SQL / "sum_columns.sql", CUBES_SQL / "labels.sql", CUBES_SQL / "benchmarks.sql",
         CUBES_SQL / "wlcg.sql", CUBES_SQL / "macros.sql")

Error = duckdb.Error
IOException = duckdb.IOException


def os_error(e: duckdb.IOException, path: Path | str) -> OSError:
    """DuckDB's failure to write `path` as the OSError it reports in its message (a full
    disk: `"errno":"28"` inside a JSON blob), so it reads like every other I/O failure."""
    code = re.search(r'"errno":\s*"?(\d+)', str(e))
    if code:
        return OSError(int(code.group(1)), os.strerror(int(code.group(1))), str(path))
    return OSError(errno.EIO, " ".join(str(e).split()), str(path))


@cache
def sql(path: Path) -> str:
    """The text of one .sql file of the repository (read once per process)."""
    return Path(path).read_text()


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for family in catalogue.load().families.values():
        con.execute(sql(SETUP[0]).format(family=family.id), {"columns": list(family.sums)})
    for name, value in catalogue.load().labels.items():
        con.execute(sql(SETUP[1]).format(name=name), {"value": value})
    for name, value in (("spellings", list(contracts.BENCHMARK_SPELLINGS)),
                        ("types", list(contracts.BENCHMARK_SPELLINGS.values())),
                        ("unrecorded", list(contracts.BENCHMARK_UNRECORDED))):
        con.execute(sql(SETUP[2]).format(name=name), {"value": value})
    wlcg = catalogue.load().wlcg
    for name, value in (("vos", list(wlcg["experiments"])), ("experiments", list(wlcg["experiments"].values())),
                        ("other", wlcg["other"])):
        con.execute(sql(SETUP[3]).format(name=name), {"value": value})
    con.execute(sql(SETUP[4]))
    return con


def view_parquet(con: duckdb.DuckDBPyConnection, name: str, files: str | Path | list[str]) -> None:
    """Make `name` a view over Parquet files (a path, a glob or a list), read as they are."""
    files = [str(f) for f in files] if isinstance(files, list) else str(files)
    con.read_parquet(files, hive_partitioning=False, union_by_name=False).create_view(name, replace=True)


def copy_to(con: duckdb.DuckDBPyConnection, query: str, path: Path, options: str) -> None:
    """COPY (query) TO path (options): the path as a parameter, the options from our code."""
    try:
        con.execute(sql(CUBES_SQL / "queries" / "copy.sql").format(query=query, options=options),
                    {"path": str(path)})
    except duckdb.IOException as e:
        raise os_error(e, path) from None
