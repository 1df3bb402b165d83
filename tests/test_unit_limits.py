"""Values at the limits of their types (issue 14): counts and durations at 2^53, 2^53+1,
2^63-1, 2^63 and 2^64-1 (APEL's BIGINT UNSIGNED holds them all) through both read paths'
conversion (accounting/source/arrow_rows.py), the validation (a value above 2^63-1 is
quarantined with its reason, one up to it kept exactly) and the report tables (exact
integer sums, floats only where a page shows them). No build is needed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pyarrow as pa
import pytest

from accounting.catalogue import load, sum_columns
from accounting.site.report import build_table, records_arrow, records_csv
from accounting.source import arrow_rows, contracts
from accounting.source.parquet import conform
from accounting.source.validation import BEYOND_RANGE, MAX_VALUE, reasons
from test_unit_validation import BASE, DATASETS, make_table

EXACT_DOUBLE = 2**53  # the last integer up to which every integer is a double
KEPT = (EXACT_DOUBLE, EXACT_DOUBLE + 1, MAX_VALUE)
BEYOND = (MAX_VALUE + 1, 2**64 - 1)
HTC_COUNTS = ("WallDuration", "CpuDuration", "NormalisedWallDuration", "NormalisedCpuDuration", "NumberOfJobs")


def _htc_change(column: str, value: int) -> dict:
    """A valid summary but for `value` in `column`: wall and normalised wall move together
    (benchmark 1), so the consistency rule holds whatever the size."""
    if column in ("WallDuration", "NormalisedWallDuration"):
        return {"WallDuration": value, "NormalisedWallDuration": value, "ServiceLevel": 1.0}
    return {column: value}


CASES = {
    "htc": [(_htc_change(c, v), None) for c in HTC_COUNTS for v in KEPT]
    + [(_htc_change(c, v), BEYOND_RANGE) for c in HTC_COUNTS for v in BEYOND]
    + [({"NumberOfJobs": 2**64 - 1, "Site": ""}, BEYOND_RANGE),  # before the empty site
       ({"Month": 13, "NumberOfJobs": 2**63}, "month not in 1-12")],  # after the period
    "storage": [({c: v}, None) for c in ("ResourceCapacityUsed", "FileCount") for v in KEPT]
    + [({c: v}, BEYOND_RANGE) for c in ("ResourceCapacityUsed", "LogicalCapacityUsed",
                                        "ResourceCapacityAllocated", "FileCount") for v in BEYOND]
    + [({"LogicalCapacityUsed": None, "FileCount": None}, None)],
    "gpu": [({"Count": Decimal("1.000"), "AvailableDuration": v, "ActiveDuration": v}, None) for v in KEPT]
    + [({"NumberOfRecords": v}, None) for v in KEPT]
    + [({"AvailableDuration": v}, BEYOND_RANGE) for v in BEYOND]
    + [({"NumberOfRecords": v}, BEYOND_RANGE) for v in BEYOND]
    # GPUs × time × benchmark: each factor in range, their product (the cubes' sum) not.
    + [({"Count": Decimal("3.000"), "AvailableDuration": 2**62, "ActiveDuration": 1}, BEYOND_RANGE),
       ({"Benchmark": 1000.0, "ActiveDuration": 2**54}, BEYOND_RANGE),
       ({"Benchmark": 1000.0, "ActiveDuration": 2**40, "AvailableDuration": 2**40}, None)],
    "cloud": [({c: v}, None) for c in ("WallDuration", "Memory", "NumberOfVMs") for v in (EXACT_DOUBLE, 2**60)]
    + [({c: v}, BEYOND_RANGE) for c in ("WallDuration", "CpuDuration", "NetworkInbound", "Memory", "Disk",
                                        "NumberOfVMs") for v in BEYOND]
    + [({"WallDuration": 2**62, "CpuCount": Decimal("4.000")}, BEYOND_RANGE),  # core time × benchmark
       ({"Memory": None, "Disk": None, "WallDuration": MAX_VALUE, "CpuCount": Decimal("1.000")}, None)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_up_to_the_range_are_kept_and_beyond_it_quarantined(name):
    changes, want = zip(*CASES[name])
    got = reasons(DATASETS[name], make_table(name, list(changes))).to_pylist()
    wrong = [(c, g, w) for c, g, w in zip(changes, got, want, strict=True) if g != w]
    assert not wrong, wrong


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_demo_path_validates_its_unsigned_columns_alike(name):
    """quarantine_source reads the contract's own types (uint64): the same reasons."""
    changes, want = zip(*CASES[name])
    got = reasons(DATASETS[name], make_table(name, list(changes), DATASETS[name].schema)).to_pylist()
    assert got == list(want)


def _pymysql_row(**changes) -> tuple:
    row = {**BASE["htc"], **changes}
    return tuple(row[n] for n in contracts.HTC.schema.names)


@pytest.mark.parametrize("value", [*KEPT, *BEYOND])
def test_both_read_paths_read_every_unsigned_value_exactly(value):
    """pymysql gives a Python int, ConnectorX an Arrow uint64 (BIGINT UNSIGNED): both
    become the same exact decimal; no OverflowError, no failed cast."""
    by_rows = arrow_rows.from_rows([_pymysql_row(NumberOfJobs=value, WallDuration=value)], contracts.HTC,
                                   "HybridSuperSummaries")
    batch = pa.RecordBatch.from_pylist([dict(zip(contracts.HTC.schema.names, _pymysql_row()))]).set_column(
        contracts.HTC.schema.get_field_index("NumberOfJobs"), "NumberOfJobs", pa.array([value], pa.uint64()))
    by_batch = arrow_rows.from_batch(batch, contracts.HTC, "HybridSuperSummaries")
    assert by_rows["NumberOfJobs"].to_pylist() == by_batch["NumberOfJobs"].to_pylist() == [Decimal(value)]
    assert by_rows["WallDuration"].to_pylist() == [Decimal(value)]
    if value <= MAX_VALUE:  # kept: the Parquet holds the same integer
        assert conform(contracts.HTC, by_rows)["NumberOfJobs"].to_pylist() == [value]
        assert conform(contracts.HTC, by_rows).schema == contracts.HTC.schema


def test_a_signed_database_still_shows_a_negative_count():
    batch = pa.RecordBatch.from_pylist([dict(zip(contracts.HTC.schema.names, _pymysql_row()))]).set_column(
        contracts.HTC.schema.get_field_index("NumberOfJobs"), "NumberOfJobs", pa.array([-5], pa.int64()))
    table = arrow_rows.from_batch(batch, contracts.HTC, "HybridSuperSummaries")
    assert reasons(contracts.HTC, table).to_pylist() == ["negative duration or job count"]


def _jobs_table(values: dict[str, int]):
    m = load().metrics["njobs"]
    order = sum_columns(m.family)
    sums = {row: {"2024-01": tuple(n if c == "njobs" else 0 for c in order)} for row, n in values.items()}
    return build_table(id="t", title="T", row_dim="Site", row_label="Site", columns=["2024-01"],
                       column_labels=["2024-01"], metric=m, sums=sums)


@pytest.mark.parametrize("value", [EXACT_DOUBLE, EXACT_DOUBLE + 1, MAX_VALUE, MAX_VALUE + 1, 2**64 - 1])
def test_report_tables_keep_exact_integers_and_float_only_for_the_parquet(value):
    """The cubes hand exact integer sums (HUGEINT) to the tables: totals are exact Python
    integers, the CSV download writes them exactly, the Parquet download (float64 columns,
    shared with the Percent row) holds the nearest double; nothing raises."""
    rows = {"A": value, "B": value, "C": 1}
    t = _jobs_table(rows)
    total = sum(rows.values())
    assert [r for r in t.records if r[0] == "Total"] == [["Total", total, total, 100.0]]
    arrow = records_arrow(t.header, t.records, t.kinds)
    assert arrow.schema.field("Total").type == pa.float64()
    assert arrow["Total"].to_pylist()[:3] == [float(value), float(value), 1.0]
    assert arrow["Total"].to_pylist()[3] == float(total)
    text = list(csv.reader(io.StringIO(records_csv(t.header, t.records, t.kinds).decode())))
    assert text[1][:3] == ["A", str(value), str(value)]
    assert [r for r in text if r[0] == "Total"][0][1] == str(total)


def test_hours_of_huge_sums_are_their_quotient():
    m = load().metrics["normcpu"]
    order = sum_columns(m.family)
    sums = {"A": {"2024-01": tuple(2**64 - 1 if c == "normcpu_s" else 0 for c in order)}}
    t = build_table(id="t", title="T", row_dim="Site", row_label="Site", columns=["2024-01"],
                    column_labels=["2024-01"], metric=m, sums=sums)
    assert t.records[0][1] == (2**64 - 1) / 3600
    assert records_arrow(t.header, t.records, t.kinds)["2024-01"][0].as_py() == (2**64 - 1) / 3600
