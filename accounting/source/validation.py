"""Validation of source rows and their quarantine, the same for a MariaDB export and the demo.

Each partitioned dataset has its rules: the first rule a row fails is its reason, and a row
with a reason goes to `<source>/quarantine/<dataset>.parquet` (`contracts.QUARANTINES`)
instead of the dataset, never dropped. Suspicious rows that are kept (a zero benchmark,
CPU above wall × processors) are the cubes' findings, not rules here. An absent VO
(APEL's 'None', blank: local jobs without an FQAN; NULL in accelerator summaries without
one) is no rule either: the cubes show such work under the one 'no VO' entity. A NULL
name in HTC or cloud summaries is an id with no row in its lookup table (`DANGLING`).
Summaries equal in everything but their update time are counted once (`duplicates`).

NULLs in APEL's nullable cloud columns: a summary without wall time or VM count has
nothing to count and goes with its own reason, "no wall time or VM count" (not
"negative"); one without CPU time, network, memory or disk is kept, those values not
measured (many cloud middlewares do not measure CPU time; the sums count it as none, so
the cloud CPU efficiency of such a site reads low).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accounting.source import contracts
from accounting.source.contracts import Dataset
from accounting.source.parquet import PARQUET_OPTIONS

CLOUD_STATUSES = ("started", "completed", "suspended", "paused", "error", "stopped", "deleted")
FIRST_YEAR = 2000  # no grid accounting before


def _period(t: pa.Table, month: bool = True) -> list[tuple[str, pa.Array]]:
    """The month and year rules every summary shares (a StAR record has no month column of
    its own: its month is that of its snapshot time)."""
    last_year = date.today().year + 1
    rules = [("month not in 1-12", pc.or_(pc.less(t["Month"], 1), pc.greater(t["Month"], 12)))] if month else []
    return rules + [("year out of range", pc.or_(pc.less(t["Year"], FIRST_YEAR), pc.greater(t["Year"], last_year)))]


def _negative(t: pa.Table, *columns: str) -> pa.Array:
    failed = pc.less(t[columns[0]], 0)
    for c in columns[1:]:
        failed = pc.or_(failed, pc.less(t[c], 0))
    return failed


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
    expected = pc.multiply(pc.multiply(pc.cast(t["WallDuration"], pa.float64()), t["ServiceLevel"]), factor)
    off = pc.abs(pc.subtract(pc.cast(t["NormalisedWallDuration"], pa.float64()), expected))
    return _period(t) + [
        ("negative duration or job count", _negative(t, "WallDuration", "CpuDuration", "NormalisedWallDuration",
                                                     "NormalisedCpuDuration", "NumberOfJobs")),
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
        ("no capacity used", pc.is_null(t["ResourceCapacityUsed"])),
        *_dangling(t, contracts.STORAGE),
        ("empty site", _empty(t, "Site")),
    ]


def _gpu(t: pa.Table) -> list[tuple[str, pa.Array]]:
    """Activity above availability and models missing from the model table are kept and
    flagged by the cubes."""
    return _period(t) + [
        ("negative duration or count", _negative(t, "AvailableDuration", "ActiveDuration", "Count", "NumberOfRecords")),
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
    # Rows keep their read types, counts signed (a count may be negative; a duplicate comes
    # with the contract's unsigned ones), and timestamps are UTC whichever path read them
    # (ConnectorX gives them without a zone), so every path writes one file.
    schema = pa.schema([pa.field(f.name, contracts.UTC_TS) if pa.types.is_timestamp(f.type)
                        else pa.field(f.name, pa.int64()) if pa.types.is_unsigned_integer(f.type) else f
                        for f in parts[0].schema])
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
