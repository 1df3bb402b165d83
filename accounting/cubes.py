"""Stage 2: DuckDB runs `cubes/*.sql` over the source Parquet into `data/cubes/*.parquet`.

Like dbt models, each SQL file is one SELECT named by its file: `stg_*.sql` become views
used by other files, every other file becomes a published cube. `macros.sql` is run
first. The cubes directory is replaced atomically, so a failed run keeps the old cubes.
"""

from __future__ import annotations

import glob as globlib
import logging
import time
from pathlib import Path

import duckdb
from tqdm import tqdm

from . import atomic
from .catalogue import CUBES_DIR
from .contracts import SOURCE_DATASETS

log = logging.getLogger(__name__)

PARQUET_COPY = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"


def source_view_name(dataset) -> str:
    return "src_" + dataset.name.split("/")[-1]


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute((CUBES_DIR / "macros.sql").read_text())
    return con


def register_sources(con: duckdb.DuckDBPyConnection, source_dir: Path) -> None:
    for ds in SOURCE_DATASETS:
        glob = ds.file_glob(source_dir)
        if not globlib.glob(glob):
            raise FileNotFoundError(f"source dataset {ds.name!r} has no files at {glob}")
        con.execute(
            f"CREATE OR REPLACE VIEW {source_view_name(ds)} AS "
            f"SELECT * FROM read_parquet('{glob}', hive_partitioning = false, union_by_name = false)"
        )


# Rows the export quarantined (accounting/export.py); absent for the demo.
QUARANTINE_COLUMNS = "Site VARCHAR, Year INTEGER, Month INTEGER, NumberOfJobs BIGINT, WallDuration BIGINT, " \
                     "Processors INTEGER, reason VARCHAR"


def register_quarantine(con: duckdb.DuckDBPyConnection, source_dir: Path) -> None:
    path = Path(source_dir) / "quarantine" / "htc.parquet"
    names = ", ".join(c.split()[0] for c in QUARANTINE_COLUMNS.split(", "))
    if path.exists():
        con.execute(f"CREATE OR REPLACE VIEW src_quarantine_htc AS SELECT {names} FROM read_parquet('{path}')")
    else:
        con.execute(f"CREATE OR REPLACE TABLE src_quarantine_htc ({QUARANTINE_COLUMNS})")


def cube_files() -> tuple[list[Path], list[Path]]:
    files = sorted(p for p in CUBES_DIR.glob("*.sql") if p.name != "macros.sql")
    return [p for p in files if p.stem.startswith("stg_")], [p for p in files if not p.stem.startswith("stg_")]


def register_cube_views(con: duckdb.DuckDBPyConnection, cubes_dir: Path) -> None:
    """Make every published cube queryable by its name (for the site stage)."""
    for path in sorted(Path(cubes_dir).glob("*.parquet")):
        con.execute(f"CREATE OR REPLACE VIEW {path.stem} AS SELECT * FROM read_parquet('{path}')")


def build(source_dir: Path, cubes_dir: Path, progress: bool = True) -> dict[str, int]:
    """Run every cube; return {cube: rows}. Raises on any SQL error, leaving `cubes_dir` as it was."""
    con = connect()
    register_sources(con, source_dir)
    register_quarantine(con, source_dir)
    staging, published = cube_files()
    for path in staging:
        con.execute(f"CREATE OR REPLACE VIEW {path.stem} AS {path.read_text()}")
    counts: dict[str, int] = {}
    with atomic.staged_dir(cubes_dir) as out:
        for path in tqdm(published, desc="cubes", unit="cube", disable=not progress, leave=False):
            t0 = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE {path.stem} AS {path.read_text()}")
            con.execute(f"COPY {path.stem} TO '{out / (path.stem + '.parquet')}' {PARQUET_COPY}")
            counts[path.stem] = con.execute(f"SELECT count(*) FROM {path.stem}").fetchone()[0]
            log.info("cube %s: %d rows in %.1f s", path.stem, counts[path.stem], time.perf_counter() - t0)
    return counts
