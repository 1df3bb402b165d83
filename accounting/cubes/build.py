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
from tqdm import tqdm

from accounting import files
from accounting.locations import CUBES_SQL, PAGE_QUERIES
from accounting.source.contracts import SOURCE_DATASETS

log = logging.getLogger(__name__)

PARQUET_COPY = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"


def source_view_name(dataset) -> str:
    return "src_" + dataset.name.split("/")[-1]


def query(name: str) -> str:
    """A page query of the site stage (cubes/queries/<name>.sql)."""
    return (PAGE_QUERIES / f"{name}.sql").read_text()


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute((CUBES_SQL / "macros.sql").read_text())
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


# Rows the export quarantined (accounting/export.py), the columns the findings use; absent
# for the demo and for a dataset nothing was quarantined from.
QUARANTINE_COLUMNS = {
    "htc": "Site VARCHAR, Year INTEGER, Month INTEGER, NumberOfJobs BIGINT, WallDuration BIGINT, "
           "Processors INTEGER, reason VARCHAR",
    "storage": "Site VARCHAR, Year INTEGER, Month INTEGER, reason VARCHAR",
    "gpu": "Site VARCHAR, Year INTEGER, Month INTEGER, reason VARCHAR",
    "cloud": "Site VARCHAR, Year INTEGER, Month INTEGER, reason VARCHAR",
}
_QUARANTINE_RENAMES = {"gpu": {"Site": "SiteName"}, "cloud": {"Site": "SiteName"}}  # the dataset's own name of a column


def register_quarantine(con: duckdb.DuckDBPyConnection, source_dir: Path) -> None:
    for dataset, columns in QUARANTINE_COLUMNS.items():
        path = Path(source_dir) / "quarantine" / f"{dataset}.parquet"
        renames = _QUARANTINE_RENAMES.get(dataset, {})
        names = ", ".join(f"{renames.get(c.split()[0], c.split()[0])} AS {c.split()[0]}" for c in columns.split(", "))
        if path.exists():
            con.execute(f"CREATE OR REPLACE VIEW src_quarantine_{dataset} AS SELECT {names} FROM read_parquet('{path}')")
        else:
            con.execute(f"CREATE OR REPLACE TABLE src_quarantine_{dataset} ({columns})")


def cube_files() -> tuple[list[Path], list[Path]]:
    """(staging views, published cubes); a cube that reads another comes after it."""
    files = sorted(p for p in CUBES_SQL.glob("*.sql") if p.name != "macros.sql")
    staging = [p for p in files if p.stem.startswith("stg_")]
    pending = {p.stem: p for p in files if not p.stem.startswith("stg_")}
    needs = {name: {other for other in pending if other != name
                    and re.search(rf"\b{other}\b", path.read_text())} for name, path in pending.items()}
    ordered: list[Path] = []
    while pending:
        ready = sorted(n for n in pending if not needs[n] & set(pending))
        if not ready:
            raise ValueError(f"cubes that read each other: {', '.join(sorted(pending))}")
        ordered += [pending.pop(n) for n in ready]
    return staging, ordered


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
    with files.staged_dir(cubes_dir) as out:
        for path in tqdm(published, desc="cubes", unit="cube", disable=not progress, leave=False):
            t0 = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE {path.stem} AS {path.read_text()}")
            con.execute(f"COPY {path.stem} TO '{out / (path.stem + '.parquet')}' {PARQUET_COPY}")
            counts[path.stem] = con.execute(f"SELECT count(*) FROM {path.stem}").fetchone()[0]
            log.info("cube %s: %d rows in %.1f s", path.stem, counts[path.stem], time.perf_counter() - t0)
    return counts
