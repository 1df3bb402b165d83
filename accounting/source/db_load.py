"""`build.py demo --to-db`: create the APEL-shaped source schema in MariaDB and load the
demo federation into it, so the real export path can be tried and tested end to end."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from accounting.duck import copy_to, sql, view_parquet
from accounting.locations import SCHEMA_SQL
from accounting.source import contracts
from accounting.source.database import DbConfig, connect

SCHEMA = SCHEMA_SQL / "apel.sql"
LOAD_SQL = SCHEMA_SQL / "load"


@dataclass(frozen=True)
class Fact:
    """An APEL fact table and the dataset it is loaded from: names become lookup-table ids
    (a flat table, like the accelerator one, has no lookups and keeps the names)."""

    dataset: contracts.Dataset
    table: str
    lookups: tuple[tuple[str, str, str], ...]  # lookup table, the dataset's name column, the fact's id column
    columns: tuple[str, ...]  # copied as they are
    updated: tuple[str, str]  # LastUpdated.Type, and the column whose maximum is its UpdateTime


# Who a summary row is for: the lookups HTC and cloud summaries share.
_OWNER_LOOKUPS = (("DNs", "GlobalUserName", "GlobalUserNameID"), ("VOs", "VO", "VOID"),
                  ("VOGroups", "VOGroup", "VOGroupID"), ("VORoles", "VORole", "VORoleID"))
_CLOUD_LOOKUPS = (("Sites", "SiteName", "SiteID"),
                  ("CloudComputeServices", "CloudComputeService", "CloudComputeServiceID"), *_OWNER_LOOKUPS)

FACTS = (
    Fact(contracts.HTC, "HybridSuperSummaries",
         (("Sites", "Site", "SiteID"), *_OWNER_LOOKUPS, ("SubmitHosts", "SubmitHost", "SubmitHostId")),
         ("Month", "Year", "Infrastructure", "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors",
          "EarliestEndTime", "LatestEndTime", "WallDuration", "CpuDuration", "NormalisedWallDuration",
          "NormalisedCpuDuration", "NumberOfJobs", "UpdateTime"),
         ("HTC", "UpdateTime")),
    Fact(contracts.STORAGE, "StarRecords",
         (("StorageSystems", "StorageSystem", "StorageSystemID"), ("Sites", "Site", "SiteID"),
          ("StorageShares", "StorageShare", "StorageShareID"), ("StorageMedia", "StorageMedia", "StorageMediaID"),
          ("StorageClasses", "StorageClass", "StorageClassID"), ("UserIdentities", "UserIdentity", "UserIdentityID"),
          ("Groups", "Group", "GroupID"), ("SubGroups", "SubGroup", "SubGroupID"), ("Roles", "Role", "RoleID")),
         ("RecordId", "CreateTime", "FileCount", "DirectoryPath", "LocalUser", "LocalGroup", "StartTime", "EndTime",
          "ResourceCapacityUsed", "LogicalCapacityUsed", "ResourceCapacityAllocated"),
         ("STORAGE", "CreateTime")),
    Fact(contracts.GPU, "AcceleratorSummaries", (), tuple(contracts.GPU.schema.names), ("GPU", "UpdateTime")),
    Fact(contracts.CLOUD, "CloudSummaries", _CLOUD_LOOKUPS,
         tuple(c for c in contracts.CLOUD.schema.names if c not in {name for _, name, _ in _CLOUD_LOOKUPS}),
         ("CLOUD", "UpdateTime")),
)
LOOKUP_TABLES = tuple(dict.fromkeys(table for fact in FACTS for table, _, _ in fact.lookups))


def schema_statements() -> list[str]:
    text = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _sql(name: str, **identifiers: str) -> str:
    """A statement of schema/load/; identifiers come from the contracts and FACTS above, never from data."""
    return sql(LOAD_SQL / f"{name}.sql").format(**identifiers)


def load(source_dir: Path, cfg: DbConfig) -> dict[str, int]:
    """Replace the database's accounting and topology tables with the Parquet in source_dir."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # the wall-clock text written for LOAD DATA is UTC
    for fact in FACTS:
        view_parquet(con, fact.dataset.name, fact.dataset.file_glob(source_dir))
    db = connect(cfg)
    counts = {}
    try:
        cur = db.cursor()
        for stmt in schema_statements():
            cur.execute(stmt)
        for table in [*LOOKUP_TABLES, *(f.table for f in FACTS), "LastUpdated",
                      *(d.db_table for d in contracts.TOPOLOGY_DATASETS)]:
            cur.execute(_sql("clear", table=table))
        for table in LOOKUP_TABLES:
            _fill_lookup(con, cur, table)
        with tempfile.TemporaryDirectory() as tmp:
            for fact in FACTS:
                counts[fact.dataset.name] = _load_fact(con, cur, fact, Path(tmp) / f"{fact.table}.tsv")
        for dataset in contracts.TOPOLOGY_DATASETS:
            rows = [tuple(r.values()) for r in pq.read_table(dataset.file_glob(source_dir)).to_pylist()]
            cur.executemany(_sql("topology_insert", table=dataset.db_table, columns=", ".join(dataset.schema.names),
                                 marks=", ".join(["%s"] * len(dataset.schema.names))), rows)
            counts[dataset.name] = len(rows)
        db.commit()
    finally:
        db.close()
    return counts


def _fill_lookup(con: duckdb.DuckDBPyConnection, cur, table: str) -> None:
    """Every name the facts hold for this lookup table (a shared one, Sites, gets the union),
    then its ids, registered in DuckDB as ids_<table>."""
    names = " UNION ".join(_sql("lookup_column", column=column, view=fact.dataset.name)
                           for fact in FACTS for t, column, _ in fact.lookups if t == table)
    rows = con.execute(_sql("lookup_names", names=names)).fetchall()
    cur.executemany(_sql("lookup_insert", table=table), rows)
    cur.execute(_sql("lookup_ids", table=table))
    ids = cur.fetchall()
    con.register(f"ids_{table}", pa.table({"id": pa.array([i for i, _ in ids], pa.int64()),
                                           "name": pa.array([n for _, n in ids], pa.string())}))


def _load_fact(con: duckdb.DuckDBPyConnection, cur, fact: Fact, tsv: Path) -> int:
    """Write the fact rows, names replaced by ids, as a TSV and LOAD DATA it; returns the
    table's row count (NULL written as \\N)."""
    joins = " ".join(f'LEFT JOIN ids_{t} ON ids_{t}.name = f."{c}"' for t, c, _ in fact.lookups)
    ids = [f"ids_{t}.id AS {idcol}" for t, _, idcol in fact.lookups]
    # Timestamps as UTC wall-clock text: the session's time zone is UTC too.
    stamps = {c for c in fact.columns if fact.dataset.schema.field(c).type == contracts.UTC_TS}
    cols = [f"""strftime(f."{c}", '%Y-%m-%d %H:%M:%S')""" if c in stamps else f'f."{c}"' for c in fact.columns]
    copy_to(con, _sql("fact_rows", columns=", ".join(ids + cols), view=fact.dataset.name, joins=joins), tsv,
            "HEADER false, DELIMITER '\t', QUOTE '', ESCAPE '', NULLSTR '\\N'")
    target = ", ".join(f"`{c}`" for c in [idcol for _, _, idcol in fact.lookups] + list(fact.columns))
    cur.execute(_sql("fact_load", table=fact.table, columns=target), {"file": str(tsv)})
    cur.execute(_sql("fact_count", table=fact.table))
    count = cur.fetchone()[0]
    kind, column = fact.updated
    cur.execute(_sql("last_updated", table=fact.table, column=column), {"type": kind})
    return count
