"""`build.py demo --to-db`: create the APEL-shaped source schema in MariaDB and load the
demo federation into it, so the real export path can be tried and tested end to end.

The HTC and cloud summaries of the months APEL summarises every night arrive as a server
receives them (schema/load/htc_routes.sql, cloud_routes.sql): as job records, summaries,
normalised summaries and VM records, summarised into HybridSuperSummaries and
CloudSummaries by the schema's procedures, some with VO spellings that the lookup
functions merge. The round trip (export, then cubes and pages equal to the
demo's own) checks that the procedures give back what the demo wrote."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from accounting.duck import copy_to, sql, view_parquet
from accounting.errors import SourceError
from accounting.locations import SCHEMA_SQL
from accounting.source import contracts
from accounting.source.database import DbConfig, connect
from accounting.source.demo import federation as fed

# The schema files of each dataset family's database (database.family_configs): APEL's
# grid tables and the portal's topology in the main one; cloud, storage and the flat
# accelerator shape in theirs (one database when their URLs are the same; a file two
# families share runs once there). The indexes the portal recommends follow, each in the
# database holding its table.
FAMILY_SCHEMA = {"main": ("server.sql", "routines.sql", "portal.sql"), "cloud": ("cloud.sql", "routines.sql"),
                 "storage": ("storage.sql",), "gpu": ("accelerator.sql",)}
APEL_SQL = SCHEMA_SQL / "apel"
_INDEXED = re.compile(r" ON `?(\w+)`? \(")
LOAD_SQL = SCHEMA_SQL / "load"
# Who sent the routed summaries: a host's DN, not a person's (APEL records the publisher of
# every record it receives).
PUBLISHER_DN = "/C=EU/O=EGI Demo/CN=apel-publisher.demo.example"
_CREATED = re.compile(r"^CREATE (?:OR REPLACE )?(TABLE|VIEW)(?: IF NOT EXISTS)? `?(\w+)`?", re.I)


@dataclass(frozen=True)
class Fact:
    """An APEL fact table and the dataset it is loaded from: names become lookup-table ids
    (a flat table, like the accelerator one, has no lookups and keeps the names)."""

    dataset: contracts.Dataset
    table: str
    lookups: tuple[tuple[str, str, str], ...]  # lookup table, the dataset's name column, the fact's id column
    columns: tuple[str, ...]  # copied as they are
    updated: tuple[str, str] | None  # LastUpdated.Type, and the column whose maximum is its UpdateTime
    family: str = "main"
    view: str = ""  # the DuckDB view of its rows, if not the dataset's
    then: str = ""  # the procedure that summarises the table into the one the export reads

    @property
    def rows(self) -> str:
        return self.view or self.dataset.name


# Who a summary row is for: the lookups HTC and cloud summaries share.
_OWNER_LOOKUPS = (("DNs", "GlobalUserName", "GlobalUserNameID"), ("VOs", "VO", "VOID"),
                  ("VOGroups", "VOGroup", "VOGroupID"), ("VORoles", "VORole", "VORoleID"))
_CLOUD_LOOKUPS = (("Sites", "SiteName", "SiteID"),
                  ("CloudComputeServices", "CloudComputeService", "CloudComputeServiceID"), *_OWNER_LOOKUPS)

_HTC_LOOKUPS = (("Sites", "Site", "SiteID"), *_OWNER_LOOKUPS, ("SubmitHosts", "SubmitHost", "SubmitHostId"))
_PUBLISHER = ("DNs", "PublisherDN", "PublisherDNID")
_HTC_SUMS = ("EarliestEndTime", "LatestEndTime", "WallDuration", "CpuDuration")

# The routed HTC tables come first: each is summarised into HybridSuperSummaries before the
# archive's rows are loaded and LastUpdated records the load.
FACTS = (
    Fact(contracts.HTC, "JobRecords",
         (("Sites", "Site", "SiteID"), ("SubmitHosts", "SubmitHost", "SubmitHostID"),
          ("MachineNames", "MachineName", "MachineNameID"), ("Queues", "Queue", "QueueID"), *_OWNER_LOOKUPS,
          _PUBLISHER),
         ("LocalJobId", "WallDuration", "CpuDuration", "NodeCount", "Processors", "StartTime", "EndTime", "EndYear",
          "EndMonth", "InfrastructureType", "ServiceLevelType", "ServiceLevel"),
         None, view="htc_jobs", then="SummariseJobs"),
    Fact(contracts.HTC, "Summaries", (*_HTC_LOOKUPS, _PUBLISHER),
         ("Month", "Year", "InfrastructureType", "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors",
          *_HTC_SUMS, "NumberOfJobs"),
         None, view="htc_summaries", then="NormaliseSummaries"),
    Fact(contracts.HTC, "NormalisedSummaries", (*_HTC_LOOKUPS, _PUBLISHER),
         ("Month", "Year", "Infrastructure", "ServiceLevelType", "NodeCount", "Processors", *_HTC_SUMS,
          "NormalisedWallDuration", "NormalisedCpuDuration", "NumberOfJobs"),
         None, view="htc_normalised", then="CopyNormalisedSummaries"),
    Fact(contracts.HTC, "HybridSuperSummaries", _HTC_LOOKUPS,
         ("Month", "Year", "Infrastructure", "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors",
          *_HTC_SUMS, "NormalisedWallDuration", "NormalisedCpuDuration", "NumberOfJobs", "UpdateTime"),
         ("HTC", "UpdateTime"), view="htc_archive"),
    Fact(contracts.STORAGE, "StarRecords",
         (("StorageSystems", "StorageSystem", "StorageSystemID"), ("Sites", "Site", "SiteID"),
          ("StorageShares", "StorageShare", "StorageShareID"), ("StorageMedia", "StorageMedia", "StorageMediaID"),
          ("StorageClasses", "StorageClass", "StorageClassID"), ("UserIdentities", "UserIdentity", "UserIdentityID"),
          ("Groups", "Group", "GroupID"), ("SubGroups", "SubGroup", "SubGroupID"), ("Roles", "Role", "RoleID")),
         ("RecordId", "CreateTime", "FileCount", "DirectoryPath", "LocalUser", "LocalGroup", "StartTime", "EndTime",
          "ResourceCapacityUsed", "LogicalCapacityUsed", "ResourceCapacityAllocated"),
         ("STORAGE", "CreateTime"), "storage"),
    Fact(contracts.GPU, "AcceleratorSummaries", (), tuple(contracts.GPU.schema.names), ("GPU", "UpdateTime"), "gpu"),
    Fact(contracts.CLOUD, "CloudRecords", (*_CLOUD_LOOKUPS, _PUBLISHER),
         ("VMUUID", "Status", "CloudType", "ImageId", "StartTime", "MeasurementTime", "RecordCreateTime",
          "MeasurementMonth", "MeasurementYear", "WallDuration", "CpuDuration", "CpuCount", "NetworkInbound",
          "NetworkOutbound", "Memory", "Disk", "BenchmarkType", "Benchmark"),
         None, "cloud", view="cloud_records", then="SummariseVMs"),
    Fact(contracts.CLOUD, "CloudSummaries", _CLOUD_LOOKUPS,
         tuple(c for c in contracts.CLOUD.schema.names if c not in {name for _, name, _ in _CLOUD_LOOKUPS}),
         ("CLOUD", "UpdateTime"), "cloud", view="cloud_archive"),
)


def statements(path: Path) -> list[str]:
    """The statements of a schema file as the mariadb client splits them: at the current
    delimiter (`;`, or what a `DELIMITER` line sets, for routines whose bodies hold `;`)
    at the end of a line; comment lines dropped."""
    out, current, delimiter = [], [], ";"
    for line in path.read_text().splitlines():
        text = line.strip()
        if text.startswith("--") or not text and not current:
            continue
        if text.upper().startswith("DELIMITER "):
            delimiter = text.split(None, 1)[1]
            continue
        if text.endswith(delimiter):
            current.append(line.rstrip()[:-len(delimiter)])
            out.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    if "".join(current).strip():
        raise ValueError(f"{path.name}: the last statement has no {delimiter!r}")
    return out


def schema_statements(families: list[str], schema: dict = FAMILY_SCHEMA) -> list[str]:
    """The schema statements of one database holding `families` (their files in `schema`),
    preceded by dropping what they or FAMILY_SCHEMA's create (the demo replaces the tables,
    whatever an earlier version or accelerator shape looked like) and followed by the
    recommended indexes of its tables."""
    names = dict.fromkeys(name for family in families for name in schema[family])
    created = [st for name in names for st in statements(APEL_SQL / name)]
    usual = [st for name in dict.fromkeys(n for family in families for n in FAMILY_SCHEMA[family]) if name not in names
             for st in statements(APEL_SQL / name)]
    drops = {}
    for st in usual + created:
        m = _CREATED.match(st)
        if m:
            drops[m.group(2)] = f"DROP {m.group(1).upper()} IF EXISTS `{m.group(2)}`"
    indexes = [st for st in statements(APEL_SQL / "indexes.sql") if _INDEXED.search(st).group(1) in drops]
    return [*reversed(drops.values()), *created, *indexes]


def _sql(file: str, **identifiers: str) -> str:
    """A statement of schema/load/; identifiers come from the contracts and FACTS above, never from data."""
    return sql(LOAD_SQL / f"{file}.sql").format(**identifiers)


def rows(source_dir: Path, today: dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB with a view of each fact's rows (FACTS' `rows`) over the Parquet in source_dir,
    the months before today's previous one going straight into HybridSuperSummaries."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # the wall-clock text written for LOAD DATA is UTC
    for dataset in dict.fromkeys(fact.dataset for fact in FACTS):
        view_parquet(con, dataset.name, dataset.file_glob(source_dir))
    today = today or fed.today()
    for name, value in (("resummarised_from", today.year * 12 + today.month - fed.RESUMMARISED_MONTHS),
                        ("spelled", list(fed.DEFECT_VO_SPELLINGS)),
                        ("spelled_vo", list(fed.DEFECT_VO_SPELLINGS.values())), ("publisher", PUBLISHER_DN)):
        con.execute(_sql("set_variable", name=name), {"value": value})
    con.execute(_sql("htc_routes"))
    con.execute(_sql("cloud_routes"))
    return con


# `demo --to-db --gpu-shape`: the flat accelerator table, the shape of APEL's work in
# progress (accelerator_pr459.sql: no FQAN, no UpdateTime, a publisher id), or none.
GPU_SHAPES = ("flat", "pr459", "none")


def _gpu_shaped(gpu_shape: str) -> tuple[dict, tuple[Fact, ...]]:
    """FAMILY_SCHEMA and FACTS with the accelerator table in `gpu_shape`."""
    gpu = next(fact for fact in FACTS if fact.dataset is contracts.GPU)
    if gpu_shape == "none":
        return {**FAMILY_SCHEMA, "gpu": ()}, tuple(fact for fact in FACTS if fact is not gpu)
    if gpu_shape == "pr459":
        pr459 = replace(gpu, columns=(*(c for c in gpu.columns if c not in ("FQAN", "UpdateTime")), "PublisherDNID"),
                        updated=None)
        return {**FAMILY_SCHEMA, "gpu": ("accelerator_pr459.sql",)}, tuple(pr459 if f is gpu else f for f in FACTS)
    return FAMILY_SCHEMA, FACTS


def load(source_dir: Path, cfgs: dict[str, DbConfig], gpu_shape: str = "flat") -> dict[str, int]:
    """Replace the accounting and topology tables of each family's database (`cfgs`, as
    database.family_configs gives them) with the Parquet in source_dir, the accelerator
    table in `gpu_shape` (GPU_SHAPES)."""
    con = rows(source_dir)
    if gpu_shape == "pr459":
        con.execute(_sql("gpu_pr459_rows"))
    databases: dict[str, tuple[DbConfig, list[str]]] = {}
    for family in FAMILY_SCHEMA:
        databases.setdefault(cfgs[family].where, (cfgs[family], []))[1].append(family)
    counts = {}
    for cfg, families in databases.values():
        counts.update(_load_database(con, source_dir, cfg, families, gpu_shape))
    return counts


def _load_database(con: duckdb.DuckDBPyConnection, source_dir: Path, cfg: DbConfig, families: list[str],
                   gpu_shape: str = "flat") -> dict:
    schema, all_facts = _gpu_shaped(gpu_shape)
    facts = [fact for fact in all_facts if fact.family in families]
    db = connect(cfg)
    counts = {}
    try:
        cur = db.cursor()
        created = schema_statements(families, schema)
        for stmt in created:
            cur.execute(stmt)
        # APEL's storage and accelerator schemas have no LastUpdated: in a database of
        # their own, their loads are not recorded there.
        updates = any((m := _CREATED.match(st)) and m.group(2) == "LastUpdated" for st in created)
        for table in dict.fromkeys(table for fact in facts for table, _, _ in fact.lookups):
            _fill_lookup(con, cur, table, facts)
        with tempfile.TemporaryDirectory() as tmp:
            for fact in facts:
                counts[fact.dataset.name] = _load_fact(con, cur, fact, Path(tmp) / f"{fact.table}.tsv", updates)
        for dataset in contracts.TOPOLOGY_DATASETS if "main" in families else ():
            rows = [tuple(r.values()) for r in pq.read_table(dataset.file_glob(source_dir)).to_pylist()]
            cur.executemany(_sql("topology_insert", table=dataset.db_table, columns=", ".join(dataset.schema.names),
                                 marks=", ".join(["%s"] * len(dataset.schema.names))), rows)
            counts[dataset.name] = len(rows)
        db.commit()
    finally:
        db.close()
    return counts


def _fill_lookup(con: duckdb.DuckDBPyConnection, cur, table: str, facts: list[Fact]) -> None:
    """Every name the facts of this database hold for this lookup table (a shared one,
    Sites, gets the union), then its ids, registered in DuckDB as ids_<table>. The names
    are inserted in one go, but for the spellings a publisher used, which get their ids
    through the lookup function, as APEL's loader gets them: the first spelling's."""
    names = " UNION ".join(_sql("lookup_column", column=column, view=fact.rows)
                           for fact in facts for t, column, _ in fact.lookups if t == table)
    rows = con.execute(_sql("lookup_names", names=names)).fetchall()
    spelled = [name for name, in rows if name in fed.DEFECT_VO_SPELLINGS] if table == "VOs" else []
    cur.executemany(_sql("lookup_insert", table=table), [r for r in rows if r[0] not in spelled])
    cur.execute(_sql("lookup_ids", table=table))
    ids = list(cur.fetchall())
    first = {name: i for i, name in ids}
    for name in spelled:
        cur.execute(_sql("lookup_function", function="VOLookup"), {"name": name})
        (got,), want = cur.fetchone(), first.get(fed.DEFECT_VO_SPELLINGS[name])
        if got != want:
            raise SourceError(f"the database's collation keeps {name!r} apart from {fed.DEFECT_VO_SPELLINGS[name]!r}: "
                              "APEL's lookups expect a case-insensitive one (utf8mb3_general_ci)")
        ids.append((got, name))
    con.register(f"ids_{table}", pa.table({"id": pa.array([i for i, _ in ids], pa.int64()),
                                           "name": pa.array([n for _, n in ids], pa.string())}))


def _load_fact(con: duckdb.DuckDBPyConnection, cur, fact: Fact, tsv: Path, updates: bool) -> int:
    """Write the fact rows, names replaced by ids, as a TSV and LOAD DATA it, and record the
    load in LastUpdated where the database has it; returns the table's row count (NULL
    written as \\N)."""
    # One join per id column (two columns may name the same table: user and publisher DNs).
    joins = " ".join(f'LEFT JOIN ids_{t} AS j_{i} ON j_{i}.name = f."{c}"' for t, c, i in fact.lookups)
    ids = [f"j_{idcol}.id AS {idcol}" for _, _, idcol in fact.lookups]
    # Timestamps as UTC wall-clock text: the session's time zone is UTC too.
    view = con.table(fact.rows)
    stamps = {c for c, t in zip(view.columns, view.types) if str(t).startswith("TIMESTAMP")}
    cols = [f"""strftime(f."{c}", '%Y-%m-%d %H:%M:%S')""" if c in stamps else f'f."{c}"' for c in fact.columns]
    copy_to(con, _sql("fact_rows", columns=", ".join(ids + cols), view=fact.rows, joins=joins), tsv,
            "HEADER false, DELIMITER '\t', QUOTE '', ESCAPE '', NULLSTR '\\N'")
    target = ", ".join(f"`{c}`" for c in [idcol for _, _, idcol in fact.lookups] + list(fact.columns))
    cur.execute(_sql("fact_load", table=fact.table, columns=target), {"file": str(tsv)})
    if fact.then:
        cur.execute(_sql("session_time", value=str(fed.timestamp(fed.today()))))
        cur.execute(_sql("summarise", procedure=fact.then))
        cur.execute(_sql("session_time", value="DEFAULT"))
    cur.execute(_sql("fact_count", table=fact.table))
    count = cur.fetchone()[0]
    if updates and fact.updated:
        kind, column = fact.updated
        cur.execute(_sql("last_updated", table=fact.table, column=column), {"type": kind})
    return count
