"""Copies of a built demo source rewritten the way a real APEL server database fills it,
for the tests of tests/test_optional_data.py: what the source holds decides what the cubes
and pages show, so each variant changes the source Parquet only, never a cube.

- `apel_conventions`: APEL's 'None' strings (VO, group, role and user of local jobs,
  StAR class, subgroup and group, cloud VO and benchmark type), benchmark types in its
  spellings (lower case, 'None', 'custom', empty, NULL), normalised summaries with
  ServiceLevel 0 but normalised durations, fractional vCPUs, a VO and a discipline seen
  only in cloud data (and one only in storage), accelerator summaries without FQAN.
- `without_optional`: no cloud, storage and GPU data (no directories, no quarantine).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CLOUD_ONLY_VO = "vo.cloud-only.example"
STORAGE_ONLY_VO = "vo.storage-only.example"
# (Discipline, Level2, Level1) of each: a branch of the tree no HTC VO is in.
CLOUD_ONLY_DISCIPLINE = ("Cloud-only leaf", "Cloud-only branch", "Cloud-only field")
STORAGE_ONLY_DISCIPLINE = ("Storage-only leaf", "Storage-only branch", "Storage-only field")
FRACTIONAL_VCPUS = Decimal("1.345")
OPTIONAL = ("cloud", "storage", "gpu")


def _rewrite(source: Path, dataset: str, change) -> None:
    """`change(rows)` edits the rows (dicts) of each of the dataset's files in place."""
    for path in sorted((source / dataset).glob("year=*/month=*/*.parquet")):
        table = pq.read_table(path)
        rows = table.to_pylist()
        change(rows)
        schema = table.schema
        if dataset == "cloud":  # APEL's CpuCount is DECIMAL(10,3)
            i = schema.get_field_index("CpuCount")
            schema = schema.set(i, schema.field(i).with_type(pa.decimal128(10, 3)))
            for r in rows:
                r["CpuCount"] = Decimal(r["CpuCount"]).quantize(Decimal("0.001"))
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def _htc(rows: list[dict]) -> None:
    for i, r in enumerate(rows):
        if r["Infrastructure"] == "local" and i % 3 == 0:  # a local job without an FQAN
            r.update(VO="None", VOGroup="None", VORole="None", GlobalUserName="None")
        elif i % 29 == 5:
            r["VO"] = " "  # a blank is as absent as 'None'
    spellings = {7: "hepscore23", 11: "None", 13: "custom", 17: "", 19: None}
    for i, r in enumerate(rows):
        for n, spelling in spellings.items():
            if i % n == 3:
                r["ServiceLevelType"] = spelling
        if i % 11 == 3 and r["NormalisedWallDuration"]:  # a normalised summary: ServiceLevel 0
            r["ServiceLevel"] = 0.0


def _cloud(rows: list[dict]) -> None:
    for i, r in enumerate(rows):
        if i % 5 == 1:
            r["VO"] = CLOUD_ONLY_VO
        elif i % 7 == 2:
            r["VO"] = "None"
        if i % 3 == 0 and r["CpuCount"]:
            r["CpuCount"] = FRACTIONAL_VCPUS
        if i % 4 == 0:
            r.update(BenchmarkType="None", Benchmark=0.0)


def _storage(rows: list[dict]) -> None:
    for i, r in enumerate(rows):
        if i % 9 == 4:
            r["Group"] = "None"
        elif i % 9 == 7:
            r["Group"] = STORAGE_ONLY_VO
        if i % 4 == 1:
            r.update(StorageClass="None", SubGroup="None", Role="None")
        if i % 6 == 2:
            r["StorageShare"] = "None"


def _gpu(rows: list[dict]) -> None:
    for r in rows:
        r["FQAN"] = None  # APEL's accelerator pull-request shape has no FQAN


def _add_topology(source: Path) -> None:
    topo = source / "topology"
    vos = pq.read_table(topo / "vos.parquet")
    extra = [{"VO": CLOUD_ONLY_VO, "EGIOfficial": True, "LHC": False, "Discipline": CLOUD_ONLY_DISCIPLINE[0]},
             {"VO": STORAGE_ONLY_VO, "EGIOfficial": True, "LHC": False, "Discipline": STORAGE_ONLY_DISCIPLINE[0]}]
    pq.write_table(pa.concat_tables([vos, pa.Table.from_pylist(extra, schema=vos.schema)]), topo / "vos.parquet")
    disc = pq.read_table(topo / "disciplines.parquet")
    extra = [dict(zip(("Discipline", "Level2", "Level1"), d)) for d in (CLOUD_ONLY_DISCIPLINE, STORAGE_ONLY_DISCIPLINE)]
    pq.write_table(pa.concat_tables([disc, pa.Table.from_pylist(extra, schema=disc.schema)]),
                   topo / "disciplines.parquet")


def apel_conventions(source: Path) -> None:
    _rewrite(source, "htc", _htc)
    _rewrite(source, "cloud", _cloud)
    _rewrite(source, "storage", _storage)
    _rewrite(source, "gpu", _gpu)
    _add_topology(source)


def without_optional(source: Path, empty_dirs: bool) -> None:
    """No cloud, storage or GPU data: their directories gone (or left empty), and no
    quarantine file of theirs."""
    for name in OPTIONAL:
        shutil.rmtree(source / name, ignore_errors=True)
        if empty_dirs:
            (source / name).mkdir()
        (source / "quarantine" / f"{name}.parquet").unlink(missing_ok=True)


def column(source: Path, dataset: str, name: str) -> list:
    paths = sorted(str(p) for p in (source / dataset).glob("year=*/month=*/*.parquet"))
    return pc.unique(pa.concat_arrays([pq.read_table(p, columns=[name]).column(0).combine_chunks()
                                       for p in paths])).to_pylist()
