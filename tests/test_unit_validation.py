"""Validation of source rows (accounting/source/validation.py) on tiny Arrow tables built
from the contracts: each row's reason is the first rule it fails (null when valid), for
every validated dataset; and `quarantine_source` moves the failing rows of a source tree
into its quarantine files, nothing dropped. No build is needed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accounting.source import arrow_rows, contracts
from accounting.source.validation import DUPLICATE, duplicates, quarantine_source, reasons

UTC = dt.UTC
T0 = dt.datetime(2024, 5, 10, 12, tzinfo=UTC)
NEXT_YEAR = dt.date.today().year + 1  # the latest year a row may carry

BASE = {
    "htc": dict(Site="SITE-A", Month=5, Year=2024, GlobalUserName="/CN=someone", VO="atlas", VOGroup="/atlas",
                VORole="Role=NULL", SubmitHost="ce01.example.org", Infrastructure="grid",
                ServiceLevelType="HEPscore23", ServiceLevel=10.0, NodeCount=1, Processors=8, EarliestEndTime=T0,
                LatestEndTime=T0, WallDuration=3600, CpuDuration=3000, NormalisedWallDuration=36000,
                NormalisedCpuDuration=30000, NumberOfJobs=2, UpdateTime=T0),
    "storage": dict(RecordId="r-1", CreateTime=T0, StorageSystem="se.example.org", Site="SITE-A",
                    StorageShare="atlas-disk", StorageMedia="disk", StorageClass="replicated", FileCount=10,
                    DirectoryPath="/atlas", LocalUser="atl", LocalGroup="atl", UserIdentity=None, Group="atlas",
                    SubGroup=None, Role=None, StartTime=T0 - dt.timedelta(days=1), EndTime=T0,
                    ResourceCapacityUsed=100, LogicalCapacityUsed=90, ResourceCapacityAllocated=200, Year=2024,
                    Month=5),
    "gpu": dict(Month=5, Year=2024, SiteName="SITE-A", GlobalUserName="/CN=someone", FQAN="/atlas/Role=NULL",
                Type="GPU", Model="A100", Count=Decimal("2.000"), Cores=6912, AvailableDuration=3600,
                ActiveDuration=1800,
                BenchmarkType=None, Benchmark=None, AssociatedRecordType="job", NumberOfRecords=3, UpdateTime=T0),
    "cloud": dict(SiteName="SITE-A", CloudComputeService="nova", Month=5, Year=2024, GlobalUserName="/CN=someone",
                  VO="atlas", VOGroup="/atlas", VORole="Role=NULL", Status="completed", CloudType="OpenStack",
                  ImageId="img-1", EarliestStartTime=T0, LatestStartTime=T0, WallDuration=3600, CpuDuration=3000,
                  CpuCount=4, NetworkInbound=1, NetworkOutbound=2, Memory=4096, Disk=20, BenchmarkType=None,
                  Benchmark=None, NumberOfVMs=1, UpdateTime=T0),
}
DATASETS = {d.name: d for d in (contracts.HTC, contracts.STORAGE, contracts.GPU, contracts.CLOUD)}

# (changes to the valid row, the reason expected: the first rule the row fails, or None)
CASES = {
    "htc": [
        ({}, None),
        ({"Month": 1}, None), ({"Month": 12}, None),
        ({"Month": 0}, "month not in 1-12"), ({"Month": 13}, "month not in 1-12"),
        ({"Month": None}, "month not in 1-12"),  # a rule meeting a NULL fails the row
        ({"Year": 2000}, None), ({"Year": NEXT_YEAR}, None),
        ({"Year": 1999}, "year out of range"), ({"Year": NEXT_YEAR + 1}, "year out of range"),
        ({"NumberOfJobs": -1}, "negative duration or job count"),
        ({"CpuDuration": -5}, "negative duration or job count"),
        ({"NormalisedCpuDuration": -1}, "negative duration or job count"),
        ({"NumberOfJobs": None}, "negative duration or job count"),
        ({"Processors": -8}, "negative processor or node count"),
        ({"NodeCount": -1}, "negative processor or node count"),
        ({"Processors": 0, "NodeCount": 0}, None),  # APEL's default where a record gave no count
        ({"ServiceLevelType": "hepspec"}, None),  # benchmark types match whatever their case
        ({"ServiceLevelType": "SPECint2099"}, "unknown benchmark type"),
        ({"ServiceLevelType": "hepspec06"}, None),
        # APEL's spellings of a benchmark it did not record: valid, the 'unknown benchmark'.
        ({"ServiceLevelType": None}, None), ({"ServiceLevelType": "None"}, None),
        ({"ServiceLevelType": "custom"}, None), ({"ServiceLevelType": " "}, None),
        ({"ServiceLevelType": "none-such"}, "unknown benchmark type"),
        ({"Site": ""}, "empty site"), ({"Site": "   "}, "empty site"),
        ({"Site": None}, "site id not in Sites"),  # the export's LEFT JOIN found no name
        # An absent VO (APEL's 'None' of local jobs, blank) is the 'no VO' entity, kept; a NULL
        # name is an id the export's LEFT JOIN found in no lookup table (APEL's names are NOT NULL).
        ({"VO": "None", "Infrastructure": "local"}, None), ({"VO": ""}, None), ({"VO": None}, "VO id not in VOs"),
        ({"SubmitHost": None}, "SubmitHost id not in SubmitHosts"),
        ({"GlobalUserName": None}, "GlobalUserName id not in DNs"),
        ({"VOGroup": None, "VORole": None}, "VOGroup id not in VOGroups"),
        # Normalised wall = wall × benchmark, within 1 % + 1 s; si2k counts 1/250.
        ({"NormalisedWallDuration": int(36000 * 1.009)}, None),
        ({"NormalisedWallDuration": int(36000 * 1.02)},
         "normalised wall time inconsistent with wall time × benchmark"),
        ({"ServiceLevelType": "si2k", "ServiceLevel": 2500.0, "NormalisedWallDuration": 3600 * 2500 // 250}, None),
        ({"ServiceLevelType": "SI2K", "ServiceLevel": 2500.0, "NormalisedWallDuration": 3600 * 2500 // 250}, None),
        ({"ServiceLevelType": "si2k", "ServiceLevel": 2500.0, "NormalisedWallDuration": 3600 * 2500},
         "normalised wall time inconsistent with wall time × benchmark"),
        ({"ServiceLevel": 0.0, "NormalisedWallDuration": 0}, None),  # a zero benchmark is a finding, kept
        # A normalised summary (CopyNormalisedSummaries): ServiceLevel 0, its own normalised
        # times, any type spelling; no consistency to check without a benchmark value.
        ({"ServiceLevel": 0.0, "ServiceLevelType": "hepscore23", "NormalisedWallDuration": 123_456}, None),
        ({"ServiceLevel": 0.0, "ServiceLevelType": "None", "NormalisedWallDuration": 10}, None),
        # A value without a known type cannot be checked either.
        ({"ServiceLevel": 1.0, "ServiceLevelType": "custom", "NormalisedWallDuration": 99_999}, None),
        # Two failures: the first rule wins.
        ({"Month": 13, "Site": ""}, "month not in 1-12"),
        ({"Year": 1990, "NumberOfJobs": -1}, "year out of range"),
        ({"NumberOfJobs": -1, "ServiceLevelType": "x"}, "negative duration or job count"),
        ({"Site": "", "NumberOfJobs": -1}, "negative duration or job count"),
    ],
    "storage": [
        ({}, None),
        # A StAR record's optional columns may be NULL.
        ({"FileCount": None, "LogicalCapacityUsed": None, "ResourceCapacityAllocated": None, "StartTime": None},
         None),
        ({"EndTime": None}, "no snapshot time"),
        ({"Year": 1999}, "year out of range"), ({"Year": NEXT_YEAR + 1}, "year out of range"),
        ({"Month": 13}, None),  # a record has no month of its own: no month rule
        ({"StartTime": T0 + dt.timedelta(seconds=1)}, "start after end"),
        ({"StartTime": T0}, None),
        ({"FileCount": -1}, "negative capacity or file count"),
        ({"ResourceCapacityAllocated": -1}, "negative capacity or file count"),
        ({"ResourceCapacityUsed": None}, "no capacity used"),
        ({"Site": ""}, "empty site"), ({"Group": None}, None), ({"Group": "None"}, None),  # 'no VO'
        ({"EndTime": None, "ResourceCapacityUsed": None}, "no snapshot time"),
        ({"StartTime": T0 + dt.timedelta(days=1), "FileCount": -1}, "start after end"),
    ],
    "gpu": [
        ({}, None),
        ({"Month": 0}, "month not in 1-12"), ({"Year": 1999}, "year out of range"),
        ({"Count": Decimal("-1.000")}, "negative duration or count"),
        ({"ActiveDuration": -60}, "negative duration or count"),
        ({"NumberOfRecords": -1}, "negative duration or count"),
        ({"FQAN": None, "UpdateTime": None}, None),  # APEL's accelerator work in progress has neither
        ({"ActiveDuration": 7200}, None),  # active above available: kept, a finding of the cubes
        ({"Model": "Imaginary GPU 9000"}, None),  # unknown model: kept, a finding too
        ({"SiteName": ""}, "empty site"),
        ({"FQAN": ""}, None), ({"FQAN": None}, None),  # no FQAN (APEL's PR-459 shape): 'no VO'
        ({"AssociatedRecordType": "Cloud"}, None),
        ({"AssociatedRecordType": "batch-vm"}, "unknown record type"),
        ({"AssociatedRecordType": None}, "unknown record type"),
        ({"SiteName": "", "AssociatedRecordType": "x"}, "empty site"),
    ],
    "cloud": [
        ({}, None),
        ({"Month": 13}, "month not in 1-12"), ({"Year": NEXT_YEAR + 1}, "year out of range"),
        ({"WallDuration": -3600}, "negative duration or count"), ({"NumberOfVMs": -1}, "negative duration or count"),
        # APEL's nullable columns: without wall time or VM count nothing is left to count...
        ({"WallDuration": None}, "no wall time or VM count"), ({"NumberOfVMs": None}, "no wall time or VM count"),
        ({"WallDuration": None, "CpuDuration": -1}, "no wall time or VM count"),
        ({"Month": 13, "NumberOfVMs": None}, "month not in 1-12"),
        # ...but CPU time, network, memory and disk may be unmeasured: kept.
        ({"CpuDuration": None}, None),
        ({"NetworkInbound": None, "NetworkOutbound": None, "Memory": None, "Disk": None}, None),
        ({"CpuDuration": None, "WallDuration": -3600}, "negative duration or count"),
        ({"CpuDuration": None, "NumberOfVMs": -1}, "negative duration or count"),
        ({"CpuDuration": -1}, "negative duration or count"),
        ({"CpuCount": 0}, "zero CPU count"), ({"CpuCount": -2}, "zero CPU count"),
        ({"Status": "COMPLETED"}, None), ({"Status": "deleted"}, None),
        ({"Status": "migrating-legacy"}, "unknown status"),
        ({"CpuDuration": 3600 * 4 * 3}, None),  # CPU above wall × vCPUs: kept, a finding of the cubes
        ({"SiteName": " "}, "empty site"), ({"VO": None}, "VO id not in VOs"), ({"VO": "None"}, None),  # 'no VO'
        ({"SiteName": None}, "site id not in Sites"),
        ({"CloudComputeService": None}, "CloudComputeService id not in CloudComputeServices"),
        ({"CpuCount": 0, "Status": "x"}, "zero CPU count"),
        ({"Status": "x", "SiteName": ""}, "unknown status"),
    ],
}


def read_schema(dataset: contracts.Dataset) -> pa.Schema:
    """The contract's columns as an export reads them: counts as 20-digit decimals
    (arrow_rows.READ_TYPES), so both a negative one and one above 2^63-1 show."""
    return pa.schema([pa.field(f.name, arrow_rows.READ_TYPES[f.type] if f.type == pa.uint64() else f.type)
                      for f in dataset.schema])


def make_table(name: str, changes: list[dict], schema: pa.Schema | None = None) -> pa.Table:
    schema = schema or read_schema(DATASETS[name])
    rows = [{**BASE[name], **c} for c in changes]
    assert all(set(r) == set(schema.names) for r in rows), set(schema.names) ^ set(rows[0])
    return pa.table({f.name: pa.array([r[f.name] for r in rows], f.type) for f in schema}, schema=schema)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_row_gets_the_first_rule_it_fails(name):
    changes, want = zip(*CASES[name])
    got = reasons(DATASETS[name], make_table(name, list(changes))).to_pylist()
    assert len(got) == len(want)
    wrong = [(c, g, w) for c, g, w in zip(changes, got, want, strict=True) if g != w]
    assert not wrong, wrong


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_row_alone_gets_the_same_reason(name):
    """Rules are per row: a row's reason does not depend on the rows beside it."""
    together = reasons(DATASETS[name], make_table(name, [c for c, _ in CASES[name]])).to_pylist()
    for (change, _), joint in zip(CASES[name], together, strict=True):
        assert reasons(DATASETS[name], make_table(name, [change])).to_pylist() == [joint], change


def test_datasets_without_rules_are_all_valid():
    sites = pa.table({"Site": ["a", "", None]})
    assert reasons(contracts.SITES, sites).to_pylist() == [None, None, None]
    assert reasons(contracts.HTC, make_table("htc", [])).to_pylist() == []


def _write(source, dataset: contracts.Dataset, year: int, month: int, changes: list[dict]) -> pa.Table:
    table = make_table(dataset.name, changes, dataset.schema)
    path = dataset.partition_path(source, year, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return table


def test_quarantine_moves_failing_rows_with_their_reason(tmp_path):
    source = tmp_path / "source"
    may = _write(source, contracts.HTC, 2024, 5, [{"NumberOfJobs": 1}, {"Site": ""}, {"NumberOfJobs": 3},
                                                  {"ServiceLevelType": "specint"}])
    june = _write(source, contracts.HTC, 2024, 6, [{"Month": 6, "NumberOfJobs": 4}])
    july = _write(source, contracts.HTC, 2024, 7, [{"Month": 7, "Year": 1999}])
    _write(source, contracts.STORAGE, 2024, 5, [{}, {"RecordId": "r-2"}])
    _write(source, contracts.CLOUD, 2024, 5, [{"CpuCount": 0}, {}])
    june_bytes = contracts.HTC.partition_path(source, 2024, 6).read_bytes()

    counts = quarantine_source(source)

    assert counts == {"htc": 3, "storage": 0, "gpu": 0, "cloud": 1}
    # The valid rows stay, in their order; a month without bad rows is not rewritten.
    kept = pq.read_table(contracts.HTC.partition_path(source, 2024, 5))
    assert kept.to_pylist() == [may.to_pylist()[0], may.to_pylist()[2]]
    assert contracts.HTC.partition_path(source, 2024, 6).read_bytes() == june_bytes
    assert pq.read_table(contracts.HTC.partition_path(source, 2024, 7)).num_rows == 0
    # The rejected ones, whole, with their reason, month by month.
    q_path = contracts.QUARANTINES["htc"].path(source)
    quarantined = pq.read_table(q_path)
    assert quarantined.schema.names == [*contracts.HTC.schema.names, "reason"]
    rows = quarantined.to_pylist()
    want = [may.to_pylist()[1], may.to_pylist()[3], july.to_pylist()[0]]
    assert [{k: v for k, v in r.items() if k != "reason"} for r in rows] == want
    assert [r["reason"] for r in rows] == ["empty site", "unknown benchmark type", "year out of range"]
    # ...in the columns the quality cubes read from it.
    assert set(contracts.QUARANTINES["htc"].source_columns) <= set(quarantined.schema.names)
    cloud_q = pq.read_table(contracts.QUARANTINES["cloud"].path(source)).to_pylist()
    assert [r["reason"] for r in cloud_q] == ["zero CPU count"]
    assert pq.read_table(contracts.CLOUD.partition_path(source, 2024, 5)).num_rows == 1
    # Nothing dropped: kept + quarantined = written.
    total_kept = sum(pq.read_table(contracts.HTC.partition_path(source, 2024, m)).num_rows for m in (5, 6, 7))
    assert total_kept + len(rows) == may.num_rows + june.num_rows + july.num_rows
    # No bad rows, no quarantine file.
    assert not contracts.QUARANTINES["storage"].path(source).exists()
    assert not contracts.QUARANTINES["gpu"].path(source).exists()
    assert pq.read_table(contracts.STORAGE.partition_path(source, 2024, 5)).num_rows == 2


def test_quarantine_of_a_clean_tree_changes_nothing(tmp_path):
    source = tmp_path / "source"
    _write(source, contracts.HTC, 2024, 5, [{}, {"NumberOfJobs": 7}])
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    assert quarantine_source(source) == {"htc": 0, "storage": 0, "gpu": 0, "cloud": 0}
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before


def test_summaries_equal_but_for_their_update_or_benchmark_spelling_are_duplicates():
    later = dt.datetime(2025, 1, 3, tzinfo=dt.UTC)
    htc = make_table("htc", [{}, {"UpdateTime": later}, {"ServiceLevelType": "hepscore23"},
                             {"NumberOfJobs": 11}, {"ServiceLevelType": "None"}, {"ServiceLevelType": "custom"},
                             {"ServiceLevelType": "HEPSPEC"}, {"ServiceLevelType": " hepspec06 "}])
    assert duplicates(contracts.HTC, htc).to_pylist() == [
        None, DUPLICATE, DUPLICATE,  # the same work: another update time, the type in another case
        None,  # another number of jobs: another summary
        None, DUPLICATE,  # both unrecorded types: one 'unknown benchmark' for the cubes
        None, DUPLICATE]  # two spellings of HEPSPEC
    # NULLs are equal here (an APEL key column may be NULL, so the server let both in).
    cloud = make_table("cloud", [{"CpuDuration": None}, {"CpuDuration": None}, {"CpuDuration": 1}])
    assert duplicates(contracts.CLOUD, cloud).to_pylist() == [None, DUPLICATE, None]
    # A StAR record republished under its RecordId is no duplicate: the cubes keep the latest.
    storage = make_table("storage", [{}, {}])
    assert duplicates(contracts.STORAGE, storage).to_pylist() == [None, None]


def test_quarantine_keeps_one_of_duplicate_summaries(tmp_path):
    source = tmp_path / "source"
    may = _write(source, contracts.HTC, 2024, 5, [{"NumberOfJobs": 1},
                                                  {"NumberOfJobs": 1, "ServiceLevelType": "hepscore23"},
                                                  {"NumberOfJobs": 1, "Site": ""}])
    assert quarantine_source(source)["htc"] == 2
    assert pq.read_table(contracts.HTC.partition_path(source, 2024, 5)).to_pylist() == may.to_pylist()[:1]
    reasons_ = pq.read_table(contracts.QUARANTINES["htc"].path(source))["reason"].to_pylist()
    assert sorted(reasons_) == sorted(["empty site", DUPLICATE])
