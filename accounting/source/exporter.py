"""Stage 1 from a database: MariaDB (APEL summaries and topology) → data/source Parquet.

Each source is one declarative `SourceTable` (dataset contract, query file, validation);
adding a data type means adding a definition. Monthly datasets are incremental: a month
is re-read when its row count or latest update changed since the last export, or when it
is within the restatement window; other months are carried over from the previous export.
A table without an update column (APEL's accelerator work in progress) is compared by a
fingerprint of each month instead: sums of its numbers and of a checksum of its rows,
computed by the server. Such a table is one of a source's `Shape`s, told apart by a
query for its columns.
Rows that fail validation go to a quarantine Parquet with their reason, never dropped,
and every month balances: rows read = exported + quarantined.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from accounting import files
from accounting.locations import EXPORT_SQL
from accounting.source import arrow_rows, bulk_read, contracts, lookups, validation
from accounting.source.contracts import Dataset
from accounting.source.database import DbConfig, SourceError, connect, describe
from accounting.source.month_spill import MonthSpill, month_numbers
from accounting.source.parquet import PARQUET_OPTIONS, conform, write_table

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
STATE_FILE = "export_state.json"
SPILL_DIR = ".spill"  # inside the staging directory: gone with it
PARQUET_WRITERS = 2
# The months queries of a nightly run share the server's cores: two connections at a time.
LISTING_CONNECTIONS = 2


@dataclass(frozen=True)
class Shape:
    """Another form of a source's table, known by the contract columns it lacks (all of
    them: a table lacking only some is no known shape, and its query names the missing
    column). Its queries give those columns as NULL."""

    name: str
    lacks: tuple[str, ...]
    query: str
    months_query: str  # listing (Year, Month, rows, fingerprint sums…) when it lacks the update column


@dataclass(frozen=True)
class SourceTable:
    """How one dataset is read from the database."""

    dataset: Dataset
    query: str  # file in export/, or a table whose contract columns are read as they are
    months_query: str | None = None  # file in export/ listing (Year, Month, rows, max update)
    updated: str | None = "UpdateTime"  # the column whose latest value the months query reports (None: sums)
    family: str = "main"  # whose database (database.family_configs)
    reads: str = ""  # the table or view the query reads (in messages; its columns tell the shape)
    shape: str = ""  # the name of the form read, where the table has others (`shapes`)
    shapes: tuple[Shape, ...] = ()
    lookups: tuple[str, ...] = ()  # the tables its query takes names from (lookups.changed)

    def sql(self) -> str:
        if self.query.endswith(".sql"):
            return (EXPORT_SQL / self.query).read_text()
        # Identifiers from the contract, never from input.
        return (EXPORT_SQL / "table.sql").read_text().format(columns=", ".join(self.dataset.schema.names),
                                                              table=self.query)

    @property
    def table(self) -> str:
        return self.query.removesuffix(".sql")

    @property
    def read_from(self) -> str:
        return self.reads or self.query


SOURCES = (
    SourceTable(contracts.HTC, "htc.sql", "htc_months.sql", reads="HybridSuperSummaries",
                lookups=("Sites", "DNs", "VOs", "VOGroups", "VORoles", "SubmitHosts")),
    SourceTable(contracts.CLOUD, "cloud.sql", "cloud_months.sql", family="cloud", reads="CloudSummaries",
                lookups=("Sites", "CloudComputeServices", "DNs", "VOs", "VOGroups", "VORoles")),
    SourceTable(contracts.STORAGE, "storage.sql", "storage_months.sql", "CreateTime", family="storage",
                reads="StarRecords", lookups=("StorageSystems", "Sites", "StorageShares", "StorageMedia",
                                              "StorageClasses", "UserIdentities", "Groups", "SubGroups", "Roles")),
    # The flat table the portal has read so far, or APEL's work in progress (pull request
    # 459, schema/apel/accelerator_pr459.sql): no FQAN (so no VO) and no UpdateTime.
    SourceTable(contracts.GPU, "gpu.sql", "gpu_months.sql", family="gpu", reads="AcceleratorSummaries",
                shape="flat", shapes=(Shape("pr459", ("FQAN", "UpdateTime"), "gpu_pr459.sql",
                                            "gpu_pr459_months.sql"),)),
    *(SourceTable(d, d.db_table) for d in contracts.TOPOLOGY_DATASETS),
)


@dataclass
class MonthResult:
    read: int = 0
    exported: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)


class Exporter:
    def __init__(self, cfgs: dict[str, DbConfig], data_dir: Path, full: bool = False, restate_months: int = 3,
                 progress: bool = True, bulk: bool = True):
        self.cfgs = cfgs
        self.cfg = cfgs["main"]  # the database being read: named in every message
        self.bulk = bulk
        self.data_dir = Path(data_dir)
        self.full = full
        self.restate_months = restate_months
        self.progress = progress
        self.previous = self.data_dir / "source"
        self.state_path = self.data_dir / STATE_FILE
        self.state = {} if full or not self.state_path.exists() else json.loads(self.state_path.read_text())
        self.queries = 0  # reported, so a test or bench can see what a run asked for
        self._count_lock = threading.Lock()

    def _execute(self, cur, sql: str, params=None, table: str = "", missing_ok: bool = False) -> str | None:
        """Run a statement; every failure becomes one line. With `missing_ok`, a missing
        table is not a failure: the server's words for it are returned instead."""
        try:
            with self._count_lock:  # the months queries run on several threads
                self.queries += 1
            cur.execute(sql, params)
        except Exception as e:  # noqa: BLE001 - pymysql raises several families; all become one line
            if missing_ok and getattr(e, "args", None) and e.args[0] == 1146:
                return str(e.args[1])
            raise SourceError(describe(e, self.cfg, table)) from None
        return None

    def _fetch_chunks(self, cur, table: str):
        while True:
            try:
                rows = cur.fetchmany(CHUNK_ROWS)
            except Exception as e:  # noqa: BLE001 - as in _execute
                raise SourceError(describe(e, self.cfg, table)) from None
            if not rows:
                return
            yield rows

    def shaped(self, db, src: SourceTable) -> SourceTable:
        """The source as its table is in this database: one query for the table's columns,
        and the first of its `shapes` whose columns the table lacks (none: the usual form).
        A missing table is left to present() to report."""
        if not src.shapes:
            return src
        cur = db.cursor()
        try:
            sql = (EXPORT_SQL / "columns.sql").read_text().format(table=src.read_from)  # from SOURCES, not input
            if self._execute(cur, sql, table=src.table, missing_ok=src.dataset.optional):
                return src
            columns = {d[0].lower() for d in cur.description}
        finally:
            cur.close()
        for shape in src.shapes:
            if not columns & {c.lower() for c in shape.lacks}:
                return replace(src, query=shape.query, months_query=shape.months_query, shape=shape.name,
                               updated=None if src.updated in shape.lacks else src.updated)
        return src

    def months_to_read(self, src: SourceTable, listed: dict) -> list[str]:
        """The months of the database's `listed` to re-read: changed in row count and latest
        update (or fingerprint) since the last export, recent, or missing."""
        known = self.state.get(src.dataset.name, {}).get("months", {})
        # Months whose every row was quarantined (a year 9999) have no file, and need none.
        empty = set(self.state.get(src.dataset.name, {}).get("empty", ()))
        # The latest months up to this one: a row dated in the future (quarantined) takes no place there.
        this_month = date.today().strftime("%Y-%m")
        recent = [k for k in sorted(listed) if k <= this_month][-self.restate_months:] if self.restate_months else []
        todo = [k for k in sorted(listed) if known.get(k) != listed[k] or k in recent
                or not (k in empty or self.previous_partition(src, k).exists())]
        return todo

    def list_months(self, src: SourceTable) -> dict:
        """What the database holds per month: its rows and latest update, or, for a table
        without an update column, the fingerprint sums of its months query (as text, as
        they are kept in the state file). Counting every row is the costly part of a
        nightly run (a scan of an index of the whole table), so the months query runs a
        year at a time on parallel connections."""
        sql = (EXPORT_SQL / src.months_query).read_text()

        def list_span(span: dict) -> list[tuple]:
            db = self._listing.get()
            try:
                cur = db.cursor()
                self._execute(cur, sql, span, table=src.table)
                rows = [r for chunk in self._fetch_chunks(cur, src.table) for r in chunk]
                cur.close()
                return rows
            finally:
                self._listing.put(db)

        with ThreadPoolExecutor(self._listing.qsize()) as pool:
            spans = list(pool.map(list_span, _year_spans(date.today().year)))
        listed = {f"{y:04d}-{m:02d}": _month_entry(n, marks, src.updated is not None)
                  for rows in spans for y, m, n, *marks in rows}
        return dict(sorted(listed.items()))

    def previous_partition(self, src: SourceTable, key: str) -> Path:
        return src.dataset.partition_path(self.previous, *_year_month(key))

    def read_months(self, db, src: SourceTable, keys: list[str] | None, listed: dict) -> Iterator[pa.Table]:
        """Arrow chunks holding the rows of the months `keys` (None: all), maybe others too, in
        any order. One scan of the whole table when those months hold at least half of its
        rows (the server reads it in key order once, far cheaper than a statement per month),
        else a statement per month. Through ConnectorX (bulk_read), or pymysql with --no-bulk."""
        cur = db.cursor()  # present() has run the query with no rows: its tables and columns exist
        any_month = keys[0] if keys else "2000-01"
        if keys is None or 2 * sum(listed[k]["rows"] for k in keys) >= sum(m["rows"] for m in listed.values()):
            params = [_month_params(any_month, all_months=True)]
        else:
            params = [_month_params(k) for k in keys]
        if self.bulk and bulk_read.available():
            statements = [cur.mogrify(src.sql(), p) for p in params]
            cur.close()
            self.queries += len(statements)
            yield from bulk_read.read(bulk_read.url_of(db), statements, src.dataset, self.cfg, src.table,
                                      src.read_from)
            return
        cur.close()
        for p in params:
            cur = db.cursor()
            self._execute(cur, src.sql(), p, table=src.table)
            try:
                for rows in self._fetch_chunks(cur, src.table):
                    yield arrow_rows.from_rows(rows, src.dataset, src.read_from)
            finally:
                cur.close()

    def export_months(self, db, src: SourceTable, keys: list[str], listed: dict, staging: Path,
                      quarantine: list) -> dict[str, MonthResult]:
        """Validate the months `keys` and write one Parquet file per month. Rows are regrouped
        by month through a spill on disk (month_spill), then the months are written two at a
        time (pyarrow's writer releases the GIL), a month's duplicate summaries quarantined
        on the way (they can only be told once the whole month is there)."""
        results = {k: MonthResult() for k in keys}
        if not keys:
            return results
        by_number = {y * 10_000 + m: k for k in keys for y, m in [_year_month(k)]}
        wanted = pa.array(sorted(by_number), pa.int64())
        spill = MonthSpill(staging / SPILL_DIR / src.dataset.name, src.dataset.schema)
        progress = tqdm(total=sum(listed[k]["rows"] for k in keys), desc=f"export {src.dataset.name}", unit="row",
                        unit_scale=True, disable=not self.progress, leave=False)

        def rejected(number: int, rows: pa.Table, reason: pa.Array) -> None:
            bad = pc.is_valid(reason)
            rows = rows.append_column("reason", reason).filter(bad)
            quarantine.append(rows)
            for r, n in zip(*_value_counts(rows["reason"])):
                q = results[by_number[number]].quarantined
                q[r] = q.get(r, 0) + n

        try:
            for chunk in self.read_months(db, src, keys, listed):
                numbers = month_numbers(chunk)
                mine = pc.is_in(numbers, wanted)
                if not pc.all(mine).as_py():  # a scan of the whole table: other months are kept as they were
                    chunk, numbers = chunk.filter(mine), numbers.filter(mine)
                for number, n in zip(*_value_counts(numbers)):
                    results[by_number[number]].read += n
                progress.update(chunk.num_rows)
                reason = validation.reasons(src.dataset, chunk)
                bad = pc.is_valid(reason)
                if pc.any(bad).as_py():
                    for number in set(numbers.filter(bad).to_pylist()):
                        month = pc.equal(numbers, number)
                        rejected(number, chunk.filter(month), reason.filter(month))
                    chunk = chunk.filter(pc.invert(bad))
                if chunk.num_rows:
                    spill.add(conform(src.dataset, chunk))
            spill.close()

            def write(number: int) -> tuple[int, pa.Table, pa.Array]:
                month = pa.concat_tables(spill.read(number))
                twice = validation.duplicates(src.dataset, month)
                kept = month.filter(pc.is_null(twice)) if twice.null_count < month.num_rows else month
                path = src.dataset.partition_path(staging, *_year_month(by_number[number]))
                path.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(kept, path, **PARQUET_OPTIONS)
                return number, month, twice

            with ThreadPoolExecutor(PARQUET_WRITERS) as pool:
                for number, month, twice in pool.map(write, spill.months()):
                    results[by_number[number]].exported = twice.null_count
                    if twice.null_count < month.num_rows:
                        rejected(number, month, twice)
        finally:
            spill.remove()
            progress.close()
        return results

    def export_table(self, db, src: SourceTable, staging: Path) -> int:
        cur = db.cursor()
        self._execute(cur, src.sql(), table=src.table)
        rows = [r for chunk in self._fetch_chunks(cur, src.table) for r in chunk]
        cur.close()
        table = arrow_rows.from_rows(rows, src.dataset, src.read_from)
        write_table(src.dataset, table, staging)
        return table.num_rows

    def run(self) -> dict:
        with bulk_read.native_stderr_captured():
            return self._run()

    def _connections(self, cfg: DbConfig) -> tuple:
        """The reading connection and the months queries' pool of one database, opened once."""
        if cfg.where not in self._open:
            self.cfg = cfg
            listing = queue.SimpleQueue()
            db = connect(cfg, streaming=True)
            for _ in range(LISTING_CONNECTIONS):
                listing.put(connect(cfg, streaming=True))
            self._open[cfg.where] = (db, listing)
        return self._open[cfg.where]

    def present(self, db, src: SourceTable) -> bool:
        """Whether the source's tables exist (an optional dataset may have none). pymysql
        runs the query with no rows: a missing table or column of a dataset that must be
        there fails here, with its one-line message, before any row is read."""
        cur = db.cursor()
        try:
            probe = (EXPORT_SQL / "probe.sql").read_text().format(query=src.sql())
            missing = self._execute(cur, probe, _month_params("2000-01"), src.table, missing_ok=src.dataset.optional)
        finally:
            cur.close()
        if missing:
            click.echo(f"warning: export: no {src.dataset.name} data at {self.cfg.where} ({missing}): "
                       "skipped, its pages say so", err=True)
        return not missing

    def _run(self) -> dict:
        self._open = {}
        report = {"datasets": {}}
        try:
            with files.staged_dir(self.previous) as staging:
                new_state = {}
                for src in SOURCES:
                    started = time.perf_counter()
                    self.cfg = self.cfgs[src.family]
                    db, self._listing = self._connections(self.cfg)
                    if not src.dataset.partitioned:
                        report["datasets"][src.dataset.name] = {"rows": self.export_table(db, src, staging)}
                        continue
                    src = self.shaped(db, src)
                    if not self.present(db, src):
                        report["datasets"][src.dataset.name] = {"absent": True, "database": self.cfg.where}
                        continue
                    new_state[src.dataset.name], report["datasets"][src.dataset.name] = self.export_dataset(
                        db, src, staging)
                    report["datasets"][src.dataset.name]["seconds"] = round(time.perf_counter() - started, 2)
                report["queries"] = self.queries
                (staging / "export_report.json").write_text(json.dumps(report, indent=1, sort_keys=True))
                main = self.cfgs["main"]
                (staging / contracts.ORIGIN_FILE).write_text(json.dumps(
                    {"source": "mariadb", "database": f"{main.host}:{main.port}/{main.database}"}))
        finally:
            for db, listing in self._open.values():
                db.close()
                while not listing.empty():
                    listing.get().close()
        # The state is only advanced once the new export is in place.
        files.write_bytes(self.state_path, json.dumps(
            {**new_state, "exported_at": datetime.now(UTC).isoformat(timespec="seconds")},
            indent=1, sort_keys=True).encode())
        return report

    def export_dataset(self, db, src: SourceTable, staging: Path) -> tuple[dict, dict]:
        """One monthly dataset: (its entry in the state file, its report)."""
        name = src.dataset.name
        known = self.state.get(name, {})
        cur = db.cursor()
        try:
            renamed, names = lookups.changed(self._execute, cur, src.lookups, known.get("lookups") if known else None)
        finally:
            cur.close()
        if renamed:
            click.echo(f"export: {name}: names in {', '.join(renamed)} changed since the last export: "
                       "every month read again", err=True)
        # Listed before the rows are read (a change made meanwhile differs from the state, and
        # is read next run), and in the source table itself: what every month must account for.
        listed = self.list_months(src)
        everything = (self.full or not known or known.get("database", self.cfg.where) != self.cfg.where or renamed
                      or "lookups" not in known)  # also when the dataset now comes from another database
        todo = sorted(listed) if everything else self.months_to_read(src, listed)
        self.carry_over(src, staging, set(listed) - set(todo))
        quarantine: list[pa.Table] = []
        months = {k: r.__dict__ for k, r in self.export_months(db, src, todo, listed, staging, quarantine).items()}
        kept = dict(listed)  # the state's months
        for key, res in months.items():
            if res["read"] != res["exported"] + sum(res["quarantined"].values()):
                raise SourceError(f"{name} {key}: rows read {res['read']} ≠ exported "
                                  f"{res['exported']} + quarantined {sum(res['quarantined'].values())}")
            res["in_source"] = listed[key]["rows"]
            if res["read"] != res["in_source"]:
                # Rows written or deleted while the export read (APEL loading): the month is left
                # out of the state, so the next run reads it again.
                click.echo(f"warning: export: {name} {key}: {res['in_source']} rows in {src.read_from}, "
                           f"{res['read']} read (changed meanwhile?): read again next run", err=True)
                del kept[key]
        self.write_quarantine(src, staging, quarantine, None if everything else set(todo))
        # Months without a file: those read now whose rows were all quarantined, and the earlier
        # ones carried over (a month not read again is one the state already called empty).
        empty = {k for k, m in months.items() if m["read"] and not m["exported"]}
        empty |= set(known.get("empty", ())) & (set(kept) - set(todo))
        return {"months": kept, "database": self.cfg.where, "lookups": names, "empty": sorted(empty)}, {
            **({"shape": src.shape} if src.shape else {}),
            "months_in_database": len(listed), "months_read": len(months),
            "rows_read": sum(m["read"] for m in months.values()),
            "rows_exported": sum(m["exported"] for m in months.values()),
            "rows_quarantined": sum(sum(m["quarantined"].values()) for m in months.values()),
            "months": months,
        }

    def carry_over(self, src: SourceTable, staging: Path, keys: set[str]) -> None:
        """Months that did not change are kept from the previous export (hard links: free);
        one whose rows were all quarantined has no file to keep."""
        for key in sorted(keys):
            old = self.previous_partition(src, key)
            if not old.exists():
                continue
            new = src.dataset.partition_path(staging, *_year_month(key))
            new.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(old, new)
            except OSError:
                shutil.copyfile(old, new)

    def write_quarantine(self, src: SourceTable, staging: Path, new: list[pa.Table], reread: set[str] | None) -> None:
        """The dataset's quarantine: previous rows of months not re-read (`reread` None: all
        were), plus this run's."""
        old_path = contracts.QUARANTINES[src.dataset.name].path(self.previous)
        parts = list(new)
        if old_path.exists() and reread is not None:
            old = pq.read_table(old_path)
            keys = pc.binary_join_element_wise(pc.cast(old["Year"], pa.string()),
                                               pc.utf8_lpad(pc.cast(old["Month"], pa.string()), 2, "0"), "-")
            parts.insert(0, old.filter(pc.invert(pc.is_in(keys, pa.array(sorted(reread), pa.string())))))
        validation.write_quarantine(staging, src.dataset, parts)


def _year_spans(this_year: int) -> list[dict]:
    """Parameters of the months query for one year each from 2000 to next year, and one
    open-ended span on either side (rows there are quarantined, but they are listed too)."""
    edges = [None, *range(2000, this_year + 3), None]
    return [{"from_year": a, "to_year": b, "from_time": _new_year(a), "to_time": _new_year(b)}
            for a, b in zip(edges, edges[1:])]


def _new_year(year: int | None) -> str | None:
    return None if year is None else f"{year:04d}-01-01 00:00:00"


def _year_month(key: str) -> tuple[int, int]:
    """'2024-05' → (2024, 5): the month keys of the state file and report."""
    return int(key[:4]), int(key[5:])


def _month_params(key: str, all_months: bool = False) -> dict:
    """Query parameters of a month: its numbers (HTC) and its span (by timestamp); with
    `all_months`, the query's filter lets every row through."""
    year, month = _year_month(key)
    start = f"{year:04d}-{month:02d}-01 00:00:00" if 1 <= month <= 12 else "0001-01-01 00:00:00"
    end = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01 00:00:00" if 1 <= month <= 12 else start
    return {"year": year, "month": month, "month_start": start, "month_end": end, "all_months": int(all_months)}


def _month_entry(rows: int, marks: list, by_update: bool) -> dict:
    """A month as the state file keeps it: its row count and latest update, or the
    fingerprint sums of its months query (as text: JSON keeps no decimals)."""
    if by_update:
        return {"rows": int(rows), "max_update": str(marks[0]) if marks[0] else None}
    return {"rows": int(rows), "sums": [None if v is None else str(v) for v in marks]}


def _value_counts(arr) -> tuple[list, list]:
    vc = pc.value_counts(arr)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def export(cfgs: dict[str, DbConfig], data_dir: Path, full: bool = False, restate_months: int = 3,
           progress: bool = True, bulk: bool = True) -> dict:
    return Exporter(cfgs, data_dir, full, restate_months, progress, bulk).run()
