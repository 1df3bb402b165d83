"""Stock tables (accounting/site/stock.py): storage capacity adds up across rows, never
across time. A year is the average (or peak) of its months, the Total row adds the rows
month by month before rolling up over time, and a month without a value is missing. Every
expected figure is computed here from the monthly values; no build is needed."""

from __future__ import annotations

import csv
import io
from statistics import mean

import pyarrow as pa
import pytest

from accounting.site.stock import StockTable, add_rows, over_time

# Capacity (TB) per row and month. B stops after February 2024; C reports only once;
# nobody reports in March 2023.
MONTHLY = {
    "A": {"2023-01": 10.0, "2023-02": 20.0, "2023-04": 60.0, "2024-01": 40.0, "2024-02": 10.0},
    "B": {"2023-01": 30.0, "2023-02": 30.0, "2024-02": 30.0},
    "C": {"2023-04": 5.0},
}


def stock(periods, stat="average", summary=True, monthly=MONTHLY):
    return StockTable(id="t", title="T", row_dim="Site", row_label="Site", periods=periods,
                      period_labels=list(periods), unit="TB", monthly=monthly, stat=stat, summary=summary,
                      hrefs={"A": "a/"})


def months_of(by_month: dict, year: str) -> list[float]:
    return [v for k, v in by_month.items() if k[:4] == year]


def total_by_month() -> dict[str, float]:
    out: dict[str, float] = {}
    for by_month in MONTHLY.values():
        for k, v in by_month.items():
            out[k] = out.get(k, 0.0) + v
    return out


def test_over_time_is_the_average_or_peak_of_the_months_present():
    assert over_time([1.0, None, 5.0, 3.0], "average") == pytest.approx(3.0)
    assert over_time([1.0, None, 5.0, 3.0], "peak") == 5.0
    assert over_time([None, None], "average") is None and over_time([], "peak") is None
    assert over_time([0.0], "average") == 0.0  # a zero is a value, not a missing month


def test_rows_add_up_month_by_month_missing_stays_missing():
    assert add_rows([[1.0, None, None], [2.0, 4.0, None]]) == [3.0, 4.0, None]
    assert add_rows([[0.0, None]]) == [0.0, None]


@pytest.mark.parametrize("stat,roll", [("average", mean), ("peak", max)])
def test_a_year_is_the_average_or_peak_of_its_months_never_the_sum(stat, roll):
    t = stock(["2023", "2024"], stat=stat)
    recs = {r[0]: r[1:] for r in t.records}
    summed_somewhere = False
    for row, by_month in MONTHLY.items():
        for j, year in enumerate(["2023", "2024"]):
            values = months_of(by_month, year)
            want = roll(values) if values else None
            assert recs[row][j] == (pytest.approx(want) if want is not None else None), (row, year)
            if len(values) > 1 and sum(values) != want:
                summed_somewhere = True
    assert summed_somewhere
    assert recs["C"][1] is None  # C reported nothing in 2024: missing, not zero


@pytest.mark.parametrize("stat,roll", [("average", mean), ("peak", max)])
def test_the_total_adds_rows_month_by_month_first(stat, roll):
    t = stock(["2023", "2024"], stat=stat)
    recs = {r[0]: r[1:] for r in t.records}
    totals = total_by_month()
    for j, year in enumerate(["2023", "2024"]):
        want = roll(months_of(totals, year))
        assert recs["Total"][j] == pytest.approx(want), year
    # 2024: A 40, 10 and B —, 30 → total 40, 40. The rows' own roll-ups added up would
    # differ (average 25 + 30 = 55; peak 40 + 30 = 70).
    rows_added = sum(roll(months_of(MONTHLY[r], "2024")) for r in ("A", "B"))
    assert recs["Total"][1] == pytest.approx(roll([40.0, 40.0]))
    assert recs["Total"][1] != pytest.approx(rows_added)


def test_months_shown_as_they_are_and_a_month_nobody_reported_is_missing():
    months = ["2023-01", "2023-02", "2023-03", "2023-04"]
    t = stock(months)
    recs = {r[0]: r[1:] for r in t.records}
    assert t.header == ["Site", *months, "Average", "Peak"]
    for row, by_month in MONTHLY.items():
        cells = [by_month.get(m) for m in months]
        present = [v for v in cells if v is not None]
        assert recs[row] == [*cells, pytest.approx(mean(present)), max(present)], row
    totals = total_by_month()
    cells = [totals.get(m) for m in months]
    assert cells[2] is None
    present = [v for v in cells if v is not None]
    assert recs["Total"] == [*cells, pytest.approx(mean(present)), max(present)]
    shown = {b["label"]: b for b in t.display()["body"]}
    assert shown["B"]["cells"][2] == shown["B"]["cells"][3] == shown["Total"]["cells"][2] == "–"


def test_rows_largest_latest_value_first_then_by_name():
    t = stock(["2023-01", "2023-02", "2023-04"])
    # Latest value shown: A 60 (Apr), C 5 (Apr), B 30 (Feb, its last).
    latest = {r: next(v for m, v in sorted(MONTHLY[r].items(), reverse=True) if m <= "2023-04")
              for r in MONTHLY}
    assert [k for k, _ in t.rows] == sorted(MONTHLY, key=lambda r: (-latest[r], r)) == ["A", "B", "C"]
    assert [r[0] for r in t.records] == ["A", "B", "C", "Total"]


def test_without_summary_no_average_and_peak_columns():
    t = stock(["2024"], summary=False)
    assert t.header == ["Site", "2024"]
    assert all(len(r) == 2 for r in t.records)


def test_display_links_rows_and_marks_the_total():
    body = stock(["2024"]).display()["body"]
    assert {b["label"]: (b["href"], b["summary"]) for b in body} == \
        {"A": ("a/", False), "B": (None, False), "C": (None, False), "Total": (None, True)}
    assert body[-1]["label"] == "Total"


def test_downloads_keep_missing_months_empty():
    t = stock(["2023-02", "2023-03", "2024"])
    rows = list(csv.reader(io.StringIO(t.csv().decode())))
    assert rows[0] == [*t.header, "row_kind"]
    assert [r.pop() for r in rows[1:]] == ["entity"] * 3 + ["total"]
    arrow = t.arrow()
    assert arrow.column("row_kind").to_pylist() == ["entity"] * 3 + ["total"]
    assert all(arrow.schema.field(h).type == pa.float64() for h in t.header[1:])
    for text, rec, parquet in zip(rows[1:], t.records, arrow.to_pylist(), strict=True):
        assert text[0] == rec[0] == parquet["Site"]
        assert [None if v == "" else float(v) for v in text[1:]] == rec[1:] == [parquet[h] for h in t.header[1:]]
    c = next(r for r in rows if r[0] == "C")
    assert c[1:3] == ["", ""]  # C has neither February nor March 2023: empty, not 0
