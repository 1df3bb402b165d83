"""Validation of source rows and their quarantine, the same for a MariaDB export and the demo.

Each partitioned dataset has its rules: the first rule a row fails is its reason, and a row
with a reason goes to `<source>/quarantine/<dataset>.parquet` (`contracts.QUARANTINES`)
instead of the dataset, never dropped. Suspicious rows that are kept (a zero benchmark,
CPU above wall × processors) are the cubes' findings, not rules here. An absent VO
(APEL's 'None', blank: local jobs without an FQAN; NULL in accelerator summaries without
one) is no rule either: the cubes show such work under the one 'no VO' entity. A NULL
name in HTC or cloud summaries is an id with no row in its lookup table (`DANGLING`).
Summaries equal in everything but their update time are counted once (`duplicates`).

Every data type quarantines a count, duration or size above MAX_VALUE (2^63-1), and GPU
and cloud a product of them the cubes form: `value beyond the portal's range`.

NULLs in APEL's nullable cloud columns: a summary without wall time or VM count has
nothing to count and goes with its own reason, "no wall time or VM count" (not
"negative"); one without CPU time, network, memory or disk is kept, those values not
measured (many cloud middlewares do not measure CPU time; the sums count it as none, so
the cloud CPU efficiency of such a site reads low).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accounting.source import contracts
from accounting.source.contracts import Dataset
from accounting.source.parquet import PARQUET_OPTIONS

CLOUD_STATUSES = ("started", "completed", "suspended", "paused", "error", "stopped", "deleted")
FIRST_YEAR = 2000  # no grid accounting before
# The portal's range for a count, duration or size: what a signed 64-bit integer holds, so
# Arrow's int64 compute and DuckDB's BIGINT can take every value. Above it no value can be a
# measurement (2^63 s are 292 billion years, 2^63 bytes 9.2 EB in one record): in APEL's
# BIGINT UNSIGNED columns such a value is what a negative number (a client's -1) becomes
# when stored unsigned. Quarantined, never wrapped or rounded.
MAX_VALUE = 2**63 - 1
BEYOND_RANGE = "value beyond the portal's range (above 2^63-1)"


def _period(t: pa.Table, month: bool = True) -> list[tuple[str, pa.Array]]:
    """The month and year rules every summary shares (a StAR record has no month column of
    its own: its month is that of its snapshot time)."""
    last_year = date.today().year + 1
    rules = [("month not in 1-12", pc.or_(pc.less(t["Month"], 1), pc.greater(t["Month"], 12)))] if month else []
    return rules + [("year out of range", pc.or_(pc.less(t["Year"], FIRST_YEAR), pc.greater(t["Year"], last_year)))]


def _scalar(value: int, typ: pa.DataType) -> pa.Scalar:
    """An integer bound in a column's own type, so a comparison casts nothing (against an
    int64 bound Arrow would cast a uint64 column to int64, failing on a value above 2^63-1)."""
    return pa.scalar(Decimal(value) if pa.types.is_decimal(typ) else value, typ)


def _negative(t: pa.Table, *columns: str) -> pa.Array:
    failed = pa.repeat(False, t.num_rows)
    for c in columns:
        failed = pc.or_(failed, pc.less(t[c], _scalar(0, t[c].type)))
    return failed


def _beyond(t: pa.Table, dataset: Dataset) -> pa.Array:
    """A count, duration or size (the contract's uint64 columns) above MAX_VALUE; a NULL is
    no such value (the other rules say whether a NULL is allowed). The bound has the
    column's own type: the export reads these columns as decimal128(20, 0) (arrow_rows),
    wide enough for both a negative and an unsigned value above it."""
    failed = pa.repeat(False, t.num_rows)
    for f in dataset.schema:
        if f.type == pa.uint64():
            column = t[f.name]
            failed = pc.or_(failed, pc.fill_null(pc.greater(column, _scalar(MAX_VALUE, column.type)), False))
    return failed


def _product_beyond(*factors: pa.ChunkedArray) -> pa.Array:
    """A product the cubes form (GPUs × time × benchmark) above MAX_VALUE: in double
    precision (its rounding is far below the margin: the cubes' DECIMAL(38, 6) sums hold
    10^32), NULL factors counting 1 as the cubes' coalesce does."""
    product = None
    for f in factors:
        f = pc.fill_null(pc.cast(f, pa.float64(), safe=False), 1.0)
        product = f if product is None else pc.multiply(product, f)
    return pc.greater(pc.abs(product), float(MAX_VALUE))


def _empty(t: pa.Table, column: str) -> pa.Array:
    return pc.equal(pc.utf8_trim_whitespace(pc.fill_null(t[column], "")), "")


# The columns the export reads through a lookup table (export/*.sql, LEFT joins), and that
# table. APEL's lookups of HTC and cloud names are NOT NULL, so a NULL there is an id with
# no row: the summary is quarantined, not counted under a wrong name. StAR's lookups allow
# NULL names (read as absent, like 'None'), so only its site is checked.
DANGLING = {
    contracts.HTC.name: (("Site", "Sites"), ("GlobalUserName", "DNs"), ("VO", "VOs"), ("VOGroup", "VOGroups"),
                         ("VORole", "VORoles"), ("SubmitHost", "SubmitHosts")),
    contracts.CLOUD.name: (("SiteName", "Sites"), ("CloudComputeService", "CloudComputeServices"),
                           ("GlobalUserName", "DNs"), ("VO", "VOs"), ("VOGroup", "VOGroups"), ("VORole", "VORoles")),
    contracts.STORAGE.name: (("Site", "Sites"),),
}


def dangling_reason(column: str, table: str) -> str:
    return f"{'site' if table == 'Sites' else column} id not in {table}"


def _dangling(t: pa.Table, dataset: Dataset) -> list[tuple[str, pa.Array]]:
    return [(dangling_reason(c, table), pc.is_null(t[c])) for c, table in DANGLING[dataset.name]]


def _htc(t: pa.Table) -> list[tuple[str, pa.Array]]:
    """A summary APEL received normalised has ServiceLevel 0 (the column's default) and its
    normalised durations: valid, so the consistency of normalised and raw wall time is
    checked only where a benchmark value and type are known. A type APEL did not record
    ('None', 'custom', blank) is valid too; the cubes name it 'unknown benchmark'."""
    bench = pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(t["ServiceLevelType"], "")))
    known = pc.is_in(bench, pa.array(list(contracts.BENCHMARK_SPELLINGS)))
    factor = pc.if_else(pc.equal(bench, "si2k"), 1 / contracts.SI2K_PER_HS23, 1.0)
    # Unchecked casts: a tolerance of 1 % needs no exact product, and a checked cast of a
    # value above 2^53 (no longer exact in a double) would fail the whole batch.
    wall = pc.cast(t["WallDuration"], pa.float64(), safe=False)
    expected = pc.multiply(pc.multiply(wall, t["ServiceLevel"]), factor)
    off = pc.abs(pc.subtract(pc.cast(t["NormalisedWallDuration"], pa.float64(), safe=False), expected))
    return _period(t) + [
        ("negative duration or job count", _negative(t, "WallDuration", "CpuDuration", "NormalisedWallDuration",
                                                     "NormalisedCpuDuration", "NumberOfJobs")),
        (BEYOND_RANGE, _beyond(t, contracts.HTC)),
        # 0 is APEL's default where a record gave no count (kept: unknown); below 0 is impossible.
        ("negative processor or node count", _negative(t, "Processors", "NodeCount")),
        ("unknown benchmark type",
         pc.invert(pc.or_(known, pc.is_in(bench, pa.array(list(contracts.BENCHMARK_UNRECORDED)))))),
        *_dangling(t, contracts.HTC),
        ("empty site", _empty(t, "Site")),
        ("normalised wall time inconsistent with wall time × benchmark",
         pc.and_(pc.and_(known, pc.greater(t["ServiceLevel"], 0)),
                 pc.greater(off, pc.add(pc.multiply(expected, 0.01), 1.0)))),
    ]


def _storage(t: pa.Table) -> list[tuple[str, pa.Array]]:
    return [("no snapshot time", pc.is_null(t["EndTime"]))] + _period(t, month=False) + [
        ("start after end", pc.greater(t["StartTime"], t["EndTime"])),
        ("negative capacity or file count", _negative(t, "ResourceCapacityUsed", "LogicalCapacityUsed",
                                                      "ResourceCapacityAllocated", "FileCount")),
        (BEYOND_RANGE, _beyond(t, contracts.STORAGE)),
        ("no capacity used", pc.is_null(t["ResourceCapacityUsed"])),
        *_dangling(t, contracts.STORAGE),
        ("empty site", _empty(t, "Site")),
    ]


def _gpu(t: pa.Table) -> list[tuple[str, pa.Array]]:
    """Activity above availability and models missing from the model table are kept and
    flagged by the cubes."""
    return _period(t) + [
        ("negative duration or count", _negative(t, "AvailableDuration", "ActiveDuration", "Count", "NumberOfRecords")),
        (BEYOND_RANGE, pc.or_(_beyond(t, contracts.GPU), pc.or_(
            _product_beyond(t["Count"], t["AvailableDuration"], t["Benchmark"]),
            _product_beyond(t["Count"], t["ActiveDuration"], t["Benchmark"])))),
        ("empty site", _empty(t, "SiteName")),
        ("unknown record type", pc.invert(pc.is_in(pc.utf8_lower(t["AssociatedRecordType"]),
                                                   pa.array(["job", "cloud"])))),
    ]


def _cloud(t: pa.Table) -> list[tuple[str, pa.Array]]:
    """CPU time above wall time × vCPUs is kept and flagged by the cubes. Without wall time
    or VM count a summary has nothing to count; a NULL CPU time is kept (not measured)."""
    negative = [pc.fill_null(_negative(t, c), False) for c in ("WallDuration", "CpuDuration", "NumberOfVMs")]
    return _period(t) + [
        ("no wall time or VM count", pc.or_(pc.is_null(t["WallDuration"]), pc.is_null(t["NumberOfVMs"]))),
        ("negative duration or count", pc.or_(pc.or_(negative[0], negative[1]), negative[2])),
        (BEYOND_RANGE, pc.or_(_beyond(t, contracts.CLOUD),
                              _product_beyond(t["WallDuration"], t["CpuCount"], t["Benchmark"]))),
        ("zero CPU count", pc.less_equal(t["CpuCount"], 0)),
        ("unknown status", pc.invert(pc.is_in(pc.utf8_lower(t["Status"]), pa.array(CLOUD_STATUSES)))),
        *_dangling(t, contracts.CLOUD),
        ("empty site", _empty(t, "SiteName")),
    ]


# The rules of each validated dataset, and whether a rule that meets a NULL fails the row
# (a StAR record's optional columns may be NULL).
RULES: dict[str, tuple[Callable[[pa.Table], list], bool]] = {
    contracts.HTC.name: (_htc, True),
    contracts.STORAGE.name: (_storage, False),
    contracts.GPU.name: (_gpu, True),
    contracts.CLOUD.name: (_cloud, True),
}


def reasons(dataset: Dataset, t: pa.Table) -> pa.Array:
    """The first failed rule of each row (null: valid; every row valid where the dataset has no rules)."""
    if dataset.name not in RULES:
        return pa.nulls(t.num_rows, pa.string())
    rules, null_fails = RULES[dataset.name]
    reason = pa.nulls(t.num_rows, pa.string())
    for text, failed in reversed(rules(t)):  # the first rule that fails wins
        reason = pc.if_else(pc.fill_null(failed, null_fails), pa.scalar(text), reason)
    return reason


DUPLICATE = "duplicate summary"
# The summaries that are compared for duplicates, and the benchmark type column each spells
# freely: a summary APEL holds twice (possible where a key column is NULL, or under a
# benchmark type spelled in another case) would be counted twice.
DUPLICATE_CHECKED = {contracts.HTC.name: "ServiceLevelType", contracts.CLOUD.name: "BenchmarkType",
                     contracts.GPU.name: "BenchmarkType"}


def duplicates(dataset: Dataset, t: pa.Table) -> pa.Array:
    """DUPLICATE for every row equal to an earlier row of `t` (one month: duplicates share
    their month) in every column but UpdateTime (when APEL wrote it) and with the benchmark
    type compared as the portal reads it; null elsewhere. The first of equal rows is kept."""
    none = pa.nulls(t.num_rows, pa.string())
    if dataset.name not in DUPLICATE_CHECKED or t.num_rows < 2:
        return none
    bench = DUPLICATE_CHECKED[dataset.name]
    columns = [c for c in t.column_names if c != "UpdateTime"]
    keys = t.select(columns).set_column(columns.index(bench), bench, _spelled(t[bench]))
    keys = keys.append_column("_row", pa.array(range(t.num_rows), pa.int64()))
    first = keys.group_by(columns, use_threads=False).aggregate([("_row", "min")])
    if first.num_rows == t.num_rows:
        return none
    return pc.if_else(pc.is_in(keys["_row"], first["_row_min"]), none, pa.scalar(DUPLICATE))


def _spelled(types: pa.ChunkedArray) -> pa.ChunkedArray:
    """A benchmark type as the cubes read it (macros.sql canonical_benchmark): the known
    spellings of a type in any case, around spaces, are that type; the unrecorded ones
    (NULL too) are one value."""
    spellings = [*contracts.BENCHMARK_SPELLINGS, *contracts.BENCHMARK_UNRECORDED]
    read_as = pa.array([*contracts.BENCHMARK_SPELLINGS.values(), *[""] * len(contracts.BENCHMARK_UNRECORDED)])
    found = pc.index_in(pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(types, ""))), pa.array(spellings))
    return pc.if_else(pc.is_valid(found), pc.take(read_as, found), types)


def write_quarantine(source_dir: Path, dataset: Dataset, parts: list[pa.Table]) -> None:
    """The rejected rows of a dataset with their reason (no rows: no file)."""
    if not parts:
        return
    path = contracts.QUARANTINES[dataset.name].path(source_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Rows keep their read types: counts as the export reads them (a count may be negative or
    # beyond the range; a duplicate, or a demo row, comes with the contract's unsigned type),
    # and timestamps UTC whichever path read them (ConnectorX gives them without a zone), so
    # every path writes one file.
    schema = pa.schema([pa.field(f.name, contracts.UTC_TS) if pa.types.is_timestamp(f.type)
                        else pa.field(f.name, contracts.COUNT_READ_TYPE) if pa.types.is_unsigned_integer(f.type)
                        else f for f in parts[0].schema])
    pq.write_table(pa.concat_tables([p.cast(schema) for p in parts]), path, **PARQUET_OPTIONS)


def quarantine_source(source_dir: Path) -> dict[str, int]:
    """Validate source Parquet written without a database (the demo): rows that fail move
    to the quarantine file, exactly as an export would put them."""
    counts = {}
    for dataset in contracts.SOURCE_DATASETS:
        if dataset.name not in RULES:
            continue
        rejected = []
        for path in sorted(dataset.path(source_dir).glob("year=*/month=*/*.parquet")):
            table = pq.read_table(path)
            reason = reasons(dataset, table)
            kept = table.filter(pc.is_null(reason))
            twice = duplicates(dataset, kept)  # among valid rows, as the export tells them
            if kept.num_rows < table.num_rows or twice.null_count < kept.num_rows:
                rejected += [rows.filter(pc.is_valid(why)).append_column("reason", why.filter(pc.is_valid(why)))
                             for rows, why in ((table, reason), (kept, twice))]
                pq.write_table(kept.filter(pc.is_null(twice)), path, **PARQUET_OPTIONS)
        write_quarantine(Path(source_dir), dataset, rejected)
        counts[dataset.name] = sum(t.num_rows for t in rejected)
    return counts
