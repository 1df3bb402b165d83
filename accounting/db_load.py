"""`build.py demo --to-db`: create the APEL-shaped source schema in MariaDB and load the
demo federation into it, so the real export path can be tried and tested end to end."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from . import contracts
from .catalogue import ROOT
from .database import DbConfig, connect

SCHEMA = ROOT / "schema" / "apel.sql"
# Lookup table and the HTC column whose names it holds, with the fact table's id column.
LOOKUPS = (("Sites", "Site", "SiteID"), ("DNs", "GlobalUserName", "GlobalUserNameID"),
           ("VOs", "VO", "VOID"), ("VOGroups", "VOGroup", "VOGroupID"), ("VORoles", "VORole", "VORoleID"),
           ("SubmitHosts", "SubmitHost", "SubmitHostId"))
FACT_COLUMNS = ("Month", "Year", "Infrastructure", "ServiceLevelType", "ServiceLevel", "NodeCount",
                "Processors", "EarliestEndTime", "LatestEndTime", "WallDuration", "CpuDuration",
                "NormalisedWallDuration", "NormalisedCpuDuration", "NumberOfJobs", "UpdateTime")
TOPOLOGY = ((contracts.SITES, "topology_sites"), (contracts.VOS, "topology_vos"),
            (contracts.DISCIPLINES, "topology_disciplines"), (contracts.PLEDGES, "topology_pledges"))


def schema_statements() -> list[str]:
    text = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def load(source_dir: Path, cfg: DbConfig) -> dict[str, int]:
    """Replace the database's accounting and topology tables with the Parquet in source_dir."""
    duck = duckdb.connect()
    duck.execute(f"CREATE VIEW htc AS SELECT * FROM read_parquet('{contracts.HTC.file_glob(source_dir)}', "
                 "hive_partitioning = false)")
    db = connect(cfg)
    counts = {}
    try:
        cur = db.cursor()
        for stmt in schema_statements():
            cur.execute(stmt)
        for table in [t for t, _, _ in LOOKUPS] + ["HybridSuperSummaries", "LastUpdated"] + [t for _, t in TOPOLOGY]:
            cur.execute(f"DELETE FROM {table}")
        for table, column, _ in LOOKUPS:
            names = duck.execute(f"SELECT DISTINCT {column} FROM htc ORDER BY 1").fetchall()
            cur.executemany(f"INSERT INTO {table} (name) VALUES (%s)", names)
            cur.execute(f"SELECT id, name FROM {table}")
            ids = cur.fetchall()
            duck.register(f"ids_{table}", pa.table({"id": [i for i, _ in ids], "name": [n for _, n in ids]}))
        joins = " ".join(f"JOIN ids_{t} ON ids_{t}.name = h.{c}" for t, c, _ in LOOKUPS)
        ids = ", ".join(f"ids_{t}.id AS {idcol}" for t, _, idcol in LOOKUPS)
        with tempfile.TemporaryDirectory() as tmp:
            tsv = Path(tmp) / "htc.tsv"
            # Timestamps as UTC wall-clock text: the session's time zone is UTC too.
            cols = ", ".join(f"strftime(h.{c}, '%Y-%m-%d %H:%M:%S')" if c.endswith("Time") else f"h.{c}"
                             for c in FACT_COLUMNS)
            duck.execute("SET TimeZone = 'UTC'")
            duck.execute(f"COPY (SELECT {ids}, {cols} FROM htc AS h {joins}) TO '{tsv}' "
                         "(HEADER false, DELIMITER '\t', QUOTE '', ESCAPE '', NULLSTR '\\N')")
            target = ", ".join([idcol for _, _, idcol in LOOKUPS] + list(FACT_COLUMNS))
            cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE HybridSuperSummaries "
                        f"FIELDS TERMINATED BY '\\t' ESCAPED BY '' ({target})", (str(tsv),))
        cur.execute("SELECT COUNT(*) FROM HybridSuperSummaries")
        counts["htc"] = cur.fetchone()[0]
        cur.execute("INSERT INTO LastUpdated (Type, UpdateTime) SELECT 'HTC', MAX(UpdateTime) FROM HybridSuperSummaries")
        for dataset, table in TOPOLOGY:
            rows = duck.execute(f"SELECT * FROM read_parquet('{dataset.file_glob(source_dir)}')").fetchall()
            marks = ", ".join(["%s"] * len(dataset.schema.names))
            cur.executemany(f"INSERT INTO {table} ({', '.join(dataset.schema.names)}) VALUES ({marks})", rows)
            counts[dataset.name] = len(rows)
        db.commit()
    finally:
        db.close()
    return counts
