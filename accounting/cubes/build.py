"""Stage 2: DuckDB runs `cubes/*.sql` over the source Parquet into `data/cubes/*.parquet`.

Like dbt models, each SQL file is one SELECT named by its file: `stg_*.sql` become views
used by other files, every other file becomes a published cube. `macros.sql` is run
first. The cubes directory is replaced atomically, so a failed run keeps the old cubes.
"""

from __future__ import annotations

import glob as globlib
import logging
import re
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from tqdm import tqdm

from accounting import duck, files
from accounting.errors import CubesError
from accounting.locations import CUBES_SQL, PAGE_QUERIES
from accounting.source.contracts import PERSONAL_COLUMNS, QUARANTINES, SOURCE_DATASETS, UNPUBLISHED_COLUMNS

log = logging.getLogger(__name__)

# Cubes are published as they are (pages, downloads): none may carry a column that
# identifies a person or may (the contract's classification), nor a value that looks like one.
PERSONAL = frozenset(c for table in (PERSONAL_COLUMNS, UNPUBLISHED_COLUMNS) for columns in table.values()
                     for c in columns)

# Small row groups: the cubes are sorted by month (ORDER BY ALL starts with Year, Month), so
# the explorer's DuckDB-WASM skips, by their statistics, the row groups outside a view's years
# and fetches only the others by HTTP ranges. Measured at the default demo: 8.87 MB of
# htc_monthly read for the explorer's first view with 122,880-row groups, 1.43 MB with 16,384.
PARQUET = dict(compression="zstd", row_group_size=16384)



def source_view_name(dataset) -> str:
    return "src_" + dataset.name.split("/")[-1]


def register_sources(con: duckdb.DuckDBPyConnection, source_dir: Path) -> None:
    for ds in SOURCE_DATASETS:
        glob = ds.file_glob(source_dir)
        paths = sorted(globlib.glob(glob))
        # An optional dataset without files (absent, or without rows) is an empty table of
        # its contract, so every cube builds, empty.
        if not paths and ds.optional:
            log.info("source dataset %s has no files: its cubes are empty", ds.name)
            con.register(source_view_name(ds), ds.schema.empty_table())
            continue
        if not paths:
            raise CubesError(f"source dataset {ds.name!r} has no files at {glob}: run the export stage first")
        try:
            duck.view_parquet(con, source_view_name(ds), glob)
        except duck.Error as e:
            raise CubesError(f"cannot read source dataset {ds.name!r} at {glob}: {e}") from None


def register_quarantine(con: duckdb.DuckDBPyConnection, source_dir: Path) -> None:
    """Rows the export quarantined, as the findings read them; an empty table where nothing was."""
    for q in QUARANTINES.values():
        path = q.path(source_dir)
        if path.exists():
            try:
                table = pq.read_table(path, columns=q.source_columns)
            except (OSError, ValueError) as e:
                raise CubesError(f"cannot read the quarantine file {path}: {e}") from None
            table = table.rename_columns(q.schema.names).cast(q.schema)
        else:
            table = q.schema.empty_table()
        con.register(q.view, table)


def _by_dependency(paths: list[Path]) -> list[Path]:
    """The SQL files in an order where a file that reads another (names it in its SQL,
    comments aside: a name in a comment is no edge) comes after it."""
    pending = {p.stem: p for p in paths}
    code = {name: re.sub(r"--[^\n]*", "", duck.sql(path)) for name, path in pending.items()}
    needs = {name: {other for other in pending if other != name and re.search(rf"\b{other}\b", code[name])}
             for name in pending}
    ordered: list[Path] = []
    while pending:
        ready = sorted(n for n in pending if not needs[n] & set(pending))
        if not ready:
            raise CubesError(f"cubes that read each other: {', '.join(sorted(pending))}")
        ordered += [pending.pop(n) for n in ready]
    return ordered


def cube_files() -> tuple[list[Path], list[Path]]:
    """(staging views, published cubes), each in dependency order."""
    sql_files = sorted(p for p in CUBES_SQL.glob("*.sql") if p not in duck.SETUP)
    return (_by_dependency([p for p in sql_files if p.stem.startswith("stg_")]),
            _by_dependency([p for p in sql_files if not p.stem.startswith("stg_")]))


def _run(con: duckdb.DuckDBPyConnection, path: Path, what):
    try:
        return what(con.sql(duck.sql(path)))
    except duck.Error as e:
        raise CubesError(f"cube {path.stem} ({path.relative_to(CUBES_SQL.parent)}): {e}") from None


def _refuse_personal(con: duckdb.DuckDBPyConnection, name: str, cube: duckdb.DuckDBPyRelation) -> None:
    """A cube with a personal column, or a text value that looks like a person's identity,
    is an error naming the columns (never the values: the error goes to logs and mails)."""
    personal = PERSONAL & set(cube.columns)
    if personal:
        raise CubesError(f"cube {name} would publish personal data: {', '.join(sorted(personal))}")
    text = [c for c, t in zip(cube.columns, cube.types) if t == duckdb.sqltype("VARCHAR")]
    if not text:
        return
    sql = duck.sql(PAGE_QUERIES / "personal_values.sql").format(cube=name)
    found = [f"{c} ({n} rows)" for c, n in zip(text, con.execute(sql, {"text": text}).fetchall()[0]) if n]
    if found:
        raise CubesError(f"cube {name} would publish values that look like a person's identity in "
                         f"{', '.join(found)}: a name column read without published_name (cubes/macros.sql)")


def build(source_dir: Path, cubes_dir: Path, progress: bool = True) -> dict[str, int]:
    """Run every cube; return {cube: rows}. Raises CubesError, leaving `cubes_dir` as it was."""
    try:
        with files.claim(cubes_dir):
            return _build(Path(source_dir), Path(cubes_dir), progress)
    except OSError as e:
        raise CubesError.from_os(f"cannot write the cubes into {cubes_dir}", e) from None


def _build(source_dir: Path, cubes_dir: Path, progress: bool) -> dict[str, int]:
    if not source_dir.is_dir():
        raise CubesError(f"no source data in {source_dir}: run the export stage first")
    con = duck.connect()
    register_sources(con, source_dir)
    register_quarantine(con, source_dir)
    staging, published = cube_files()
    for path in staging:
        _run(con, path, lambda rel, name=path.stem: rel.create_view(name, replace=True))
    counts: dict[str, int] = {}
    with files.staged_dir(cubes_dir) as out:
        for path in tqdm(published, desc="cubes", unit="cube", disable=not progress, leave=False):
            t0 = time.perf_counter()
            _run(con, path, lambda rel, name=path.stem: rel.create(name))
            cube = con.table(path.stem)
            _refuse_personal(con, path.stem, cube)
            try:
                cube.write_parquet(str(out / f"{path.stem}.parquet"), **PARQUET)
            except duck.IOException as e:
                raise duck.os_error(e, cubes_dir / f"{path.stem}.parquet") from None
            except duck.Error as e:
                raise CubesError(f"cannot write cube {path.stem} into {cubes_dir}: {e}") from None
            counts[path.stem] = cube.shape[0]
            log.info("cube %s: %d rows in %.1f s", path.stem, counts[path.stem], time.perf_counter() - t0)
    return counts
