"""Stage 1 from a database: MariaDB (APEL summaries and topology) → data/source Parquet.

Each source is one declarative `SourceTable` (dataset contract, query file, validation);
adding a data type means adding a definition. Monthly datasets are incremental: a month
is re-read when its row count or latest update changed since the last export, or when it
is within the restatement window; other months are carried over from the previous export.
Rows that fail validation go to a quarantine Parquet with their reason, never dropped,
and every month balances: rows read = exported + quarantined.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from . import atomic, bulk_read, contracts
from .catalogue import ROOT
from .contracts import Dataset
from .database import DbConfig, SourceError, connect, describe
from .source_io import PARQUET_OPTIONS, conform, write_table

log = logging.getLogger(__name__)

QUERIES = ROOT / "export"
CHUNK_ROWS = 50_000
STATE_FILE = "export_state.json"
QUARANTINE_DIR = "quarantine"


# -- validation -----------------------------------------------------------------------

def _reasons_htc(t: pa.Table) -> pa.Array:
    """The first failed rule of each row (null: valid). Rules of DESIGN §3 / issue 3."""
    today = date.today()
    bench = pc.utf8_lower(pc.fill_null(t["ServiceLevelType"], ""))
    factor = pc.if_else(pc.equal(bench, "si2k"), 1 / contracts.SI2K_PER_HS23, 1.0)
    expected = pc.multiply(pc.multiply(pc.cast(t["WallDuration"], pa.float64()), t["ServiceLevel"]), factor)
    off = pc.abs(pc.subtract(pc.cast(t["NormalisedWallDuration"], pa.float64()), expected))
    rules = [
        ("month not in 1-12", pc.or_(pc.less(t["Month"], 1), pc.greater(t["Month"], 12))),
        ("year out of range", pc.or_(pc.less(t["Year"], 2000), pc.greater(t["Year"], today.year + 1))),
        ("negative duration or job count", pc.or_(
            pc.or_(pc.less(t["WallDuration"], 0), pc.less(t["CpuDuration"], 0)),
            pc.or_(pc.or_(pc.less(t["NormalisedWallDuration"], 0), pc.less(t["NormalisedCpuDuration"], 0)),
                   pc.less(t["NumberOfJobs"], 0)))),
        ("unknown benchmark type", pc.invert(pc.is_in(bench, pa.array(["si2k", "hepspec", "hepscore23"])))),
        ("empty site", _empty(t, "Site")),
        ("empty VO", _empty(t, "VO")),
        ("normalised wall time inconsistent with wall time × benchmark",
         pc.greater(off, pc.add(pc.multiply(expected, 0.01), 1.0))),
    ]
    return _first_failed(rules, t.num_rows, null_fails=True)


def _reasons_storage(t: pa.Table) -> pa.Array:
    """The first failed rule of each StAR record (null: valid)."""
    today = date.today()
    rules = [
        ("no snapshot time", pc.is_null(t["EndTime"])),
        ("year out of range", pc.or_(pc.less(t["Year"], 2000), pc.greater(t["Year"], today.year + 1))),
        ("start after end", pc.greater(t["StartTime"], t["EndTime"])),
        ("negative capacity or file count", pc.or_(
            pc.or_(pc.less(t["ResourceCapacityUsed"], 0), pc.less(t["LogicalCapacityUsed"], 0)),
            pc.or_(pc.less(t["ResourceCapacityAllocated"], 0), pc.less(t["FileCount"], 0)))),
        ("no capacity used", pc.is_null(t["ResourceCapacityUsed"])),
        ("empty site", _empty(t, "Site")),
        ("empty VO", _empty(t, "Group")),
    ]
    return _first_failed(rules, t.num_rows, null_fails=False)  # optional columns may be NULL


def _reasons_gpu(t: pa.Table) -> pa.Array:
    """The first failed rule of each accelerator summary (null: valid). Activity above
    availability and models missing from the model table are kept and flagged by the cubes."""
    today = date.today()
    rules = [
        ("month not in 1-12", pc.or_(pc.less(t["Month"], 1), pc.greater(t["Month"], 12))),
        ("year out of range", pc.or_(pc.less(t["Year"], 2000), pc.greater(t["Year"], today.year + 1))),
        ("negative duration or count", pc.or_(
            pc.or_(pc.less(t["AvailableDuration"], 0), pc.less(t["ActiveDuration"], 0)),
            pc.or_(pc.less(t["Count"], 0), pc.less(t["NumberOfRecords"], 0)))),
        ("empty site", _empty(t, "SiteName")),
        ("empty VO", _empty(t, "FQAN")),
        ("unknown record type", pc.invert(pc.is_in(pc.utf8_lower(t["AssociatedRecordType"]),
                                                   pa.array(["job", "cloud"])))),
    ]
    return _first_failed(rules, t.num_rows, null_fails=True)


CLOUD_STATUSES = ("started", "completed", "suspended", "paused", "error", "stopped", "deleted")


def _reasons_cloud(t: pa.Table) -> pa.Array:
    """The first failed rule of each cloud summary (null: valid). CPU time above wall time
    × vCPUs is kept and flagged by the cubes."""
    today = date.today()
    rules = [
        ("month not in 1-12", pc.or_(pc.less(t["Month"], 1), pc.greater(t["Month"], 12))),
        ("year out of range", pc.or_(pc.less(t["Year"], 2000), pc.greater(t["Year"], today.year + 1))),
        ("negative duration or count", pc.or_(
            pc.or_(pc.less(t["WallDuration"], 0), pc.less(t["CpuDuration"], 0)), pc.less(t["NumberOfVMs"], 0))),
        ("zero CPU count", pc.less_equal(t["CpuCount"], 0)),
        ("unknown status", pc.invert(pc.is_in(pc.utf8_lower(t["Status"]), pa.array(CLOUD_STATUSES)))),
        ("empty site", _empty(t, "SiteName")),
        ("empty VO", _empty(t, "VO")),
    ]
    return _first_failed(rules, t.num_rows, null_fails=True)


def _empty(t: pa.Table, column: str) -> pa.Array:
    return pc.equal(pc.utf8_trim_whitespace(pc.fill_null(t[column], "")), "")


def _first_failed(rules: list[tuple[str, pa.Array]], n: int, null_fails: bool) -> pa.Array:
    """`null_fails`: whether a rule that cannot be evaluated (a NULL) fails the row."""
    reason = pa.nulls(n, pa.string())
    for text, failed in reversed(rules):  # the first rule that fails wins
        reason = pc.if_else(pc.fill_null(failed, null_fails), pa.scalar(text), reason)
    return reason


@dataclass(frozen=True)
class SourceTable:
    """How one dataset is read from the database."""

    dataset: Dataset
    query: str  # file in export/, or a table whose contract columns are read as they are
    months_query: str | None = None  # file in export/ listing (Year, Month, rows, max update)
    validate: Callable[[pa.Table], pa.Array] | None = None

    def sql(self) -> str:
        if self.query.endswith(".sql"):
            return (QUERIES / self.query).read_text()
        return f"SELECT {', '.join(self.dataset.schema.names)} FROM {self.query}"

    @property
    def table(self) -> str:
        return self.query.removesuffix(".sql")


SOURCES = (
    SourceTable(contracts.HTC, "htc.sql", "htc_months.sql", _reasons_htc),
    SourceTable(contracts.CLOUD, "cloud.sql", "cloud_months.sql", _reasons_cloud),
    SourceTable(contracts.STORAGE, "storage.sql", "storage_months.sql", _reasons_storage),
    SourceTable(contracts.GPU, "gpu.sql", "gpu_months.sql", _reasons_gpu),
    SourceTable(contracts.SITES, "topology_sites"),
    SourceTable(contracts.VOS, "topology_vos"),
    SourceTable(contracts.DISCIPLINES, "topology_disciplines"),
    SourceTable(contracts.PLEDGES, "topology_pledges"),
    SourceTable(contracts.GPU_MODELS, "topology_gpu_models"),
)


# -- reading --------------------------------------------------------------------------

# Read types: wide enough to see bad values (a negative count) before the contract's;
# MariaDB's BOOLEAN is a TINYINT.
_READ_TYPES = {pa.uint64(): pa.int64(), contracts.UTC_TS: pa.timestamp("s"), pa.bool_(): pa.int8()}


def _to_arrow(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """Rows as the bulk connection returns them (timestamps and decimals as text) → Arrow."""
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    arrays = []
    for values, f in zip(cols, schema):
        typ = _READ_TYPES.get(f.type, f.type)
        if typ in (pa.float64(), pa.timestamp("s")) and any(isinstance(v, str) for v in values):
            arr = pa.array(values, pa.string()).cast(typ)  # Arrow's parsers round correctly
        else:
            arr = pa.array(values, typ)
        if f.type in (contracts.UTC_TS, pa.bool_()):
            arr = arr.cast(f.type)  # timestamps: the session runs in UTC
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=schema.names)


@dataclass
class MonthResult:
    read: int = 0
    exported: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)


class Exporter:
    def __init__(self, cfg: DbConfig, data_dir: Path, full: bool = False, restate_months: int = 3,
                 progress: bool = True, bulk: bool = True):
        self.cfg = cfg
        self.bulk = bulk
        self.data_dir = Path(data_dir)
        self.full = full
        self.restate_months = restate_months
        self.progress = progress
        self.previous = self.data_dir / "source"
        self.state_path = self.data_dir / STATE_FILE
        self.state = {} if full or not self.state_path.exists() else json.loads(self.state_path.read_text())
        self.queries = 0  # reported, so a test or bench can see what a run asked for

    def _execute(self, cur, sql: str, params=None, table: str = "") -> None:
        try:
            self.queries += 1
            cur.execute(sql, params)
        except Exception as e:  # pymysql raises several families; all become one line
            raise SourceError(describe(e, self.cfg, table)) from None

    def _fetch_chunks(self, cur, table: str):
        while True:
            try:
                rows = cur.fetchmany(CHUNK_ROWS)
            except Exception as e:
                raise SourceError(describe(e, self.cfg, table)) from None
            if not rows:
                return
            yield rows

    def months_to_read(self, db, src: SourceTable) -> tuple[list[str], dict]:
        """(months to re-read, the database's month list) by row count and latest update."""
        cur = db.cursor()
        self._execute(cur, (QUERIES / src.months_query).read_text(), table=src.table)
        listed = {f"{y:04d}-{m:02d}": {"rows": int(n), "max_update": str(mu) if mu else None}
                  for chunk in self._fetch_chunks(cur, src.table) for y, m, n, mu in chunk}
        cur.close()
        known = self.state.get(src.dataset.name, {}).get("months", {})
        recent = sorted(listed)[-self.restate_months:] if self.restate_months else []
        todo = [k for k in sorted(listed) if self.full or known.get(k) != listed[k] or k in recent
                or not self.previous_partition(src, k).exists()]
        return todo, listed

    def previous_partition(self, src: SourceTable, key: str) -> Path:
        return src.dataset.partition_path(self.previous, *_year_month(key))

    def read_months(self, db, src: SourceTable, keys: list[str]):
        """Arrow chunks of the months `keys`, in month order: through the client's bulk path
        where the columns allow it (bulk_read), else through pymysql."""
        if not keys:
            return
        cur = db.cursor()
        # pymysql runs the query first with no rows: a missing table or column fails here,
        # with its one-line message, and the description tells whether bulk is safe.
        self._execute(cur, f"SELECT * FROM ({src.sql()}) AS q LIMIT 0", _month_params(keys[0]), src.table)
        description = cur.description
        cur.close()
        read_schema = _read_schema(src.dataset.schema)
        if self.bulk and bulk_read.bulk_possible(description, read_schema):
            self.queries += len(keys)
            statements = ";\n".join(src.sql() % _month_params(k) for k in keys)
            yield from bulk_read.read(self.cfg, statements, read_schema, src.table,
                                      bulk_read.nullable(description))
            return
        for key in keys:
            cur = db.cursor()
            self._execute(cur, src.sql(), _month_params(key), table=src.table)
            try:
                for rows in self._fetch_chunks(cur, src.table):
                    yield _to_arrow(rows, src.dataset.schema)
            finally:
                cur.close()

    def export_months(self, db, src: SourceTable, keys: list[str], staging: Path,
                      quarantine: list) -> dict[str, MonthResult]:
        """Validate and write the months `keys`; one Parquet file per month."""
        results = {k: MonthResult() for k in keys}
        by_number = {y * 10_000 + m: k for k in keys for y, m in [_year_month(k)]}
        writer, current = None, None
        progress = tqdm(total=len(keys), desc=f"export {src.dataset.name}", unit="month",
                        disable=not self.progress, leave=False)
        try:
            for chunk in self.read_months(db, src, keys):
                reason = src.validate(chunk) if src.validate else pa.nulls(chunk.num_rows, pa.string())
                chunk = chunk.append_column("reason", reason)
                for key, part in _split_months(chunk, by_number):
                    if key != current:
                        if writer is not None:
                            writer.close()
                        writer, current = None, key
                        progress.update()
                    result = results[key]
                    result.read += part.num_rows
                    bad = pc.is_valid(part["reason"])
                    if pc.any(bad).as_py():
                        rejected = part.filter(bad)
                        quarantine.append(rejected)
                        for r, n in zip(*_value_counts(rejected["reason"])):
                            result.quarantined[r] = result.quarantined.get(r, 0) + n
                        part = part.filter(pc.invert(bad))
                    if part.num_rows:
                        if writer is None:
                            path = src.dataset.partition_path(staging, *_year_month(key))
                            path.parent.mkdir(parents=True, exist_ok=True)
                            writer = pq.ParquetWriter(path, src.dataset.schema,
                                                      compression=PARQUET_OPTIONS["compression"])
                        writer.write_table(conform(src.dataset, part))
                        result.exported += part.num_rows
        finally:
            if writer is not None:
                writer.close()
            progress.close()
        return results

    def export_table(self, db, src: SourceTable, staging: Path) -> int:
        cur = db.cursor()
        self._execute(cur, src.sql(), table=src.table)
        rows = [r for chunk in self._fetch_chunks(cur, src.table) for r in chunk]
        cur.close()
        table = _to_arrow(rows, src.dataset.schema)
        write_table(src.dataset, table, staging)
        return table.num_rows

    def run(self) -> dict:
        db = connect(self.cfg, streaming=True)
        report = {"datasets": {}}
        try:
            with atomic.staged_dir(self.previous) as staging:
                new_state = {}
                for src in SOURCES:
                    started = time.perf_counter()
                    if not src.dataset.partitioned:
                        report["datasets"][src.dataset.name] = {"rows": self.export_table(db, src, staging)}
                        continue
                    todo, listed = self.months_to_read(db, src)
                    self.carry_over(src, staging, set(listed) - set(todo))
                    quarantine: list[pa.Table] = []
                    months = {k: r.__dict__ for k, r in self.export_months(db, src, todo, staging, quarantine).items()}
                    for key, res in months.items():
                        if res["read"] != res["exported"] + sum(res["quarantined"].values()):
                            raise SourceError(f"{src.dataset.name} {key}: rows read {res['read']} ≠ exported "
                                              f"{res['exported']} + quarantined {sum(res['quarantined'].values())}")
                    self.write_quarantine(src, staging, quarantine, set(todo))
                    new_state[src.dataset.name] = {"months": listed}
                    report["datasets"][src.dataset.name] = {
                        "months_in_database": len(listed), "months_read": len(todo),
                        "rows_read": sum(m["read"] for m in months.values()),
                        "rows_exported": sum(m["exported"] for m in months.values()),
                        "rows_quarantined": sum(sum(m["quarantined"].values()) for m in months.values()),
                        "months": months,
                        "seconds": round(time.perf_counter() - started, 2),  # for bench/export_bench.py
                    }
                report["queries"] = self.queries
                (staging / "export_report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
        finally:
            db.close()
        # The state is only advanced once the new export is in place.
        atomic.write_bytes(self.state_path, json.dumps(
            {**new_state, "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
            indent=1, sort_keys=True).encode())
        return report

    def carry_over(self, src: SourceTable, staging: Path, keys: set[str]) -> None:
        """Months that did not change are kept from the previous export (hard links: free)."""
        for key in sorted(keys):
            old = self.previous_partition(src, key)
            new = src.dataset.partition_path(staging, *_year_month(key))
            new.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(old, new)
            except OSError:
                shutil.copyfile(old, new)

    def write_quarantine(self, src: SourceTable, staging: Path, new: list[pa.Table], reread: set[str]) -> None:
        """The dataset's quarantine: previous rows of months not re-read, plus this run's."""
        old_path = self.previous / QUARANTINE_DIR / f"{src.dataset.name}.parquet"
        parts = list(new)
        if old_path.exists() and not self.full:
            old = pq.read_table(old_path)
            keys = pc.binary_join_element_wise(pc.cast(old["Year"], pa.string()),
                                               pc.utf8_lpad(pc.cast(old["Month"], pa.string()), 2, "0"), "-")
            parts.insert(0, old.filter(pc.invert(pc.is_in(keys, pa.array(sorted(reread), pa.string())))))
        _write_quarantine_file(staging, src, parts)


def _write_quarantine_file(source_dir: Path, src: SourceTable, parts: list[pa.Table]) -> None:
    """source_dir/quarantine/<dataset>.parquet: the rejected rows with their reason (none: no file)."""
    if not parts:
        return
    path = source_dir / QUARANTINE_DIR / f"{src.dataset.name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = parts[-1].schema
    pq.write_table(pa.concat_tables([p.cast(schema) for p in parts]), path, **PARQUET_OPTIONS)


def quarantine_source(source_dir: Path) -> dict[str, int]:
    """The export's validation over source Parquet written without a database (the demo):
    rows that fail move to the quarantine file, exactly as an export would put them."""
    counts = {}
    for src in SOURCES:
        if not (src.dataset.partitioned and src.validate):
            continue
        rejected = []
        for path in sorted(src.dataset.path(source_dir).glob("year=*/month=*/*.parquet")):
            table = pq.read_table(path)
            reason = src.validate(table)
            bad = pc.is_valid(reason)
            if pc.any(bad).as_py():
                rejected.append(table.filter(bad).append_column("reason", reason.filter(bad)))
                pq.write_table(table.filter(pc.invert(bad)), path, **PARQUET_OPTIONS)
        _write_quarantine_file(Path(source_dir), src, rejected)
        counts[src.dataset.name] = sum(t.num_rows for t in rejected)
    return counts


def _year_month(key: str) -> tuple[int, int]:
    """'2024-05' → (2024, 5): the month keys of the state file and report."""
    return int(key[:4]), int(key[5:])


def _month_params(key: str) -> dict:
    """Query parameters of a month: its numbers (HTC) and its span (by timestamp)."""
    year, month = _year_month(key)
    start = f"{year:04d}-{month:02d}-01 00:00:00" if 1 <= month <= 12 else "0001-01-01 00:00:00"
    end = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01 00:00:00" if 1 <= month <= 12 else start
    return {"year": year, "month": month, "month_start": start, "month_end": end}


def _read_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _READ_TYPES.get(f.type, f.type)) for f in schema])


def _split_months(chunk: pa.Table, by_number: dict[int, str]):
    """A chunk cut where (Year, Month) changes (the statements ran month after month);
    `by_number` maps Year × 10000 + Month to the month key."""
    numbers = pc.add(pc.multiply(pc.cast(chunk["Year"], pa.int64()), 10_000), pc.cast(chunk["Month"], pa.int64()))
    runs = pc.run_end_encode(numbers.combine_chunks())
    start = 0
    for number, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
        yield by_number[number], chunk.slice(start, end - start)
        start = end


def _value_counts(arr) -> tuple[list, list]:
    vc = pc.value_counts(arr)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def export(cfg: DbConfig, data_dir: Path, full: bool = False, restate_months: int = 3,
           progress: bool = True, bulk: bool = True) -> dict:
    return Exporter(cfg, data_dir, full, restate_months, progress, bulk).run()
