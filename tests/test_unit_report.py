"""Report tables (accounting/site/report.py) from hand-made cube sums: cells, Total and
Percent rows, ratio and per-period metrics, display rounding and the CSV/Parquet records.
Every expected figure is computed here from the sums, by the metric definitions of the
help page; no build is needed."""

from __future__ import annotations

import csv
import io
import math

import pyarrow as pa
import pytest

from accounting.catalogue import load, sum_columns
from accounting.site.report import build_table, fmt, records_arrow, records_csv

COLUMNS = ["2024-01", "2024-02", "2024-03"]


def metric(metric_id: str):
    return load().metrics[metric_id]


def sums_of(family: str, **values) -> tuple:
    """One cube cell: the family's sum columns in their order, the named ones set."""
    order = sum_columns(family)
    unknown = set(values) - set(order)
    assert not unknown, unknown
    return tuple(values.get(c, 0) for c in order)


def table(metric_id: str, cells: dict, columns=COLUMNS, **kw):
    m = metric(metric_id)
    sums = {row: {col: sums_of(m.family, **v) for col, v in by_col.items()} for row, by_col in cells.items()}
    return build_table(id="t", title="T", row_dim="NGI", row_label="Operations centre", columns=columns,
                       column_labels=[c.upper() for c in columns], metric=m, sums=sums, **kw)


# Jobs per (row, month): B has no February (a month without jobs), C and D tie on total.
JOBS = {
    "A": {"2024-01": 10, "2024-02": 20, "2024-03": 30},
    "B": {"2024-01": 5, "2024-03": 7},
    "C": {"2024-02": 4},
    "D": {"2024-03": 4},
}


def test_count_table_cells_totals_and_percent():
    t = table("njobs", {r: {c: {"njobs": n} for c, n in by.items()} for r, by in JOBS.items()})
    row_total = {r: sum(by.values()) for r, by in JOBS.items()}
    grand = sum(row_total.values())
    col_total = [sum(JOBS[r].get(c, 0) for r in JOBS) for c in COLUMNS]
    # Largest total first; a tie is broken by name.
    order = sorted(JOBS, key=lambda r: (-row_total[r], r))
    assert [r.key for r in t.rows] == order == ["A", "B", "C", "D"]
    assert t.header == ["NGI", *COLUMNS, "Total", "Percent"]
    want = [[r, *(JOBS[r].get(c, 0) for c in COLUMNS), row_total[r], 100 * row_total[r] / grand] for r in order]
    want.append(["Total", *col_total, grand, 100.0])
    want.append(["Percent", *(100 * n / grand for n in col_total), 100.0, None])
    assert len(t.records) == len(want)
    for got, exp in zip(t.records, want, strict=True):
        assert got[0] == exp[0]
        assert len(got) == len(exp)
        for g, e in zip(got[1:], exp[1:], strict=True):
            assert g == pytest.approx(e, rel=1e-12) if e is not None else g is None, (got, exp)
    assert t.kinds == ["entity"] * 4 + ["total", "percent"]
    # Counts stay integers (a job count is never shown as 10.0).
    assert all(isinstance(v, int) for v in t.records[0][1:-1])


def test_a_month_without_rows_counts_zero_in_a_sum_table():
    t = table("njobs", {"B": {"2024-01": {"njobs": 5}}})
    assert t.records[0][1:4] == [5, 0, 0]
    assert t.display()["body"][0]["cells"][1] == "0"


def test_hours_are_seconds_over_3600_totals_from_the_summed_seconds():
    secs = {"A": {"2024-01": 1800, "2024-03": 7201}, "B": {"2024-02": 3599}}
    t = table("sumcpu", {r: {c: {"cpu_s": s} for c, s in by.items()} for r, by in secs.items()})
    a = next(r for r in t.records if r[0] == "A")
    assert a[1:5] == [pytest.approx(0.5), 0, pytest.approx(7201 / 3600), pytest.approx((1800 + 7201) / 3600)]
    total = next(r for r in t.records if r[0] == "Total")
    assert total[4] == pytest.approx((1800 + 7201 + 3599) / 3600)


def test_ratio_is_taken_from_the_sums_never_averaged():
    # CPU efficiency = 100 × cpu_s / wall_proc_s. A is small and efficient, B large and not.
    cells = {
        "A": {"2024-01": (90, 100), "2024-02": (10, 10)},
        "B": {"2024-01": (1000, 10_000), "2024-02": (0, 0)},  # February: B ran nothing
        "C": {"2024-03": (50, 0)},  # CPU time without wall time: nothing to divide by
    }
    t = table("cpueff", {r: {c: {"cpu_s": n, "wall_proc_s": d} for c, (n, d) in by.items()}
                         for r, by in cells.items()})
    assert not t.has_percent and t.header == ["NGI", *COLUMNS, "Total"]
    assert t.kinds == ["entity"] * 3 + ["total"]  # Total only: percentages of a percentage mean nothing
    # Rows ordered by the work behind the ratio (the denominator), largest first.
    assert [r.key for r in t.rows] == ["B", "A", "C"]
    recs = {r[0]: r[1:] for r in t.records}

    def ratio(n, d):
        return None if d == 0 else 100 * n / d

    for row, by in cells.items():
        want = [ratio(*by[c]) if c in by else None for c in COLUMNS]
        want.append(ratio(sum(n for n, _ in by.values()), sum(d for _, d in by.values())))
        assert recs[row] == [pytest.approx(w) if w is not None else None for w in want], row
    jan_n = sum(by["2024-01"][0] for by in cells.values() if "2024-01" in by)
    jan_d = sum(by["2024-01"][1] for by in cells.values() if "2024-01" in by)
    assert recs["Total"][0] == pytest.approx(100 * jan_n / jan_d)
    grand_n = sum(n for by in cells.values() for n, _ in by.values())
    grand_d = sum(d for by in cells.values() for _, d in by.values())
    assert recs["Total"][-1] == pytest.approx(100 * grand_n / grand_d)
    # ...which is not the mean of the rows' ratios.
    mean_of_ratios = (recs["A"][0] + recs["B"][0]) / 2
    assert not math.isclose(recs["Total"][0], mean_of_ratios)
    # A missing ratio is shown as a dash and downloaded empty, not as 0.
    c_row = next(b for b in t.display()["body"] if b["label"] == "C")
    assert c_row["cells"] == ["–", "–", "–", "–"]


def test_ratio_sums_download_holds_numerator_and_denominator():
    cells = {"A": {"2024-01": (30, 60)}, "B": {"2024-01": (10, 40), "2024-02": (5, 5)}}
    t = table("cpueff", {r: {c: {"cpu_s": n, "wall_proc_s": d} for c, (n, d) in by.items()}
                         for r, by in cells.items()})
    header, rows, kinds = t.sums_records()
    assert kinds == ["entity"] * 2 * (len(COLUMNS) + 1) + ["total"] * (len(COLUMNS) + 1)
    m = metric("cpueff")
    assert header == ["NGI", "period", m.numerator, m.denominator, "cpueff"]
    got = {(r[0], r[1]): r[2:] for r in rows}
    assert len(got) == len(rows) == (2 + 1) * (len(COLUMNS) + 1)  # rows and Total × columns and Total
    for row, by in cells.items():
        for col in COLUMNS:
            n, d = by.get(col, (0, 0))
            assert got[(row, col)][:2] == [n, d]
        n, d = sum(v[0] for v in by.values()), sum(v[1] for v in by.values())
        assert got[(row, "Total")] == [n, d, pytest.approx(100 * n / d)]
    n = sum(v[0] for by in cells.values() for v in by.values())
    d = sum(v[1] for by in cells.values() for v in by.values())
    assert got[("Total", "Total")] == [n, d, pytest.approx(100 * n / d)]
    assert got[("Total", "2024-03")] == [0, 0, None]


def test_per_period_metric_divides_by_the_period_not_by_the_rows():
    # Number of GPUs = GPU seconds available / seconds of the period shown.
    period_s = [31 * 86400, 29 * 86400, 31 * 86400]
    gpu_s = {"A": {"2024-01": 2 * 31 * 86400, "2024-02": 29 * 86400}, "B": {"2024-01": 31 * 86400 // 2}}
    t = table("gpu_count", {r: {c: {"gpu_available_s": s} for c, s in by.items()} for r, by in gpu_s.items()},
              period_s=period_s)
    recs = {r[0]: r[1:] for r in t.records}
    for row, by in gpu_s.items():
        want = [by.get(c, 0) / s for c, s in zip(COLUMNS, period_s, strict=True)]
        want.append(sum(by.values()) / sum(period_s))
        assert recs[row][:4] == pytest.approx(want), row
    col = [sum(by.get(c, 0) for by in gpu_s.values()) for c in COLUMNS]
    assert recs["Total"][:3] == pytest.approx([n / s for n, s in zip(col, period_s, strict=True)])
    assert recs["Total"][3] == pytest.approx(sum(col) / sum(period_s))
    # A count over time still has shares: each row's part of the GPU time.
    assert t.has_percent
    assert recs["A"][5] == pytest.approx(100 * sum(gpu_s["A"].values()) / sum(col))


def test_a_count_of_things_is_averaged_over_months_with_its_peak_never_summed():
    # 16 VMs all year at site A, counted by APEL in every month: 16 a month, never 48.
    vms = {"A": {c: 16 for c in COLUMNS}, "B": {"2024-02": 6}}
    months = [1, 1, 1]
    t = table("cloud_vms", {r: {c: {"cloud_vms": n} for c, n in by.items()} for r, by in vms.items()},
              period_s=months)
    assert t.averaged and t.header == ["NGI", *COLUMNS, "Average", "Peak", "Percent"]
    assert t.display()["labels"][-3:] == ["Average", "Peak", "Percent"]
    recs = {r[0]: r[1:] for r in t.records}
    assert recs["A"][:5] == pytest.approx([16, 16, 16, 16, 16])
    assert recs["B"][:5] == pytest.approx([0, 6, 0, 2, 6])
    # The Total row adds the rows month by month, then averages (and peaks) over months.
    assert recs["Total"][:5] == pytest.approx([16, 22, 16, 18, 22])
    assert recs["Percent"][3:] == [100.0, None, None]
    # A year of 12 months is the monthly average of its VM counts.
    year = table("cloud_vms", {"A": {"2024": {"cloud_vms": 16 * 12}}}, columns=["2024"], period_s=[12])
    assert year.records[0][1:4] == pytest.approx([16, 16, 16])
    # A flow keeps its Total and has no Peak.
    assert table("njobs", {"A": {"2024-01": {"njobs": 1}}}).header == ["NGI", *COLUMNS, "Total", "Percent"]


def test_per_period_metric_needs_the_period_lengths():
    with pytest.raises(ValueError, match="gpu_count"):
        table("gpu_count", {"A": {"2024-01": {"gpu_available_s": 1}}})


def test_an_empty_table_has_a_total_and_no_shares():
    t = table("njobs", {})
    assert t.rows == []
    assert t.records == [["Total", 0, 0, 0, 0, None], ["Percent", None, None, None, None, None]]
    body = t.display()["body"]
    assert [b["label"] for b in body] == ["Total", "Percent"] and all(b["summary"] for b in body)


def test_display_rounds_each_cell_and_links_data_rows_only():
    cells = {"A": {"2024-01": {"njobs": 1234567}}, "B": {"2024-02": {"njobs": 1}}}
    t = table("njobs", cells, href=lambda key: f"../{key}/")
    shown = t.display()
    assert shown["labels"] == ["Operations centre", "2024-01", "2024-02", "2024-03", "Total", "Percent"]
    a, b, total, percent = shown["body"]
    assert (a["label"], a["href"], a["summary"]) == ("A", "../A/", False)
    assert a["cells"][:4] == ["1,234,567", "0", "0", "1,234,567"]
    assert a["cells"][4] == f"{100 * 1234567 / 1234568:.2f}"
    assert b["cells"][4] == f"{100 * 1 / 1234568:.2f}"
    assert (total["href"], total["summary"]) == (None, True)
    assert percent["cells"][:2] == [f"{100 * 1234567 / 1234568:.2f}", f"{100 / 1234568:.2f}"]
    assert percent["cells"][-1] == "–"


@pytest.mark.parametrize("value,kind,shown", [
    (None, None, "–"),
    (0, None, "0"),
    (0.0, "cpueff", "0"),
    (1234567, None, "1,234,567"),  # counts: whole, with thousands separators
    (1234.56, None, "1,235"),  # hours from 100 up: whole
    (99.994, None, "99.99"),  # below 100: two decimals
    (0.004, None, "0.00"),
    (-250.4, None, "-250"),
    (87.25, "cpueff", "87.2"),  # a ratio: one decimal
    (1234.56, "cpueff", "1,234.6"),
    (12.345678, "percent", "12.35"),  # a share: two decimals
    (100.0, "percent", "100.00"),
])
def test_display_rounding(value, kind, shown):
    if kind == "percent":
        assert fmt(value, percent=True) == shown
    else:
        assert fmt(value, metric(kind) if kind else None) == shown


def test_csv_and_arrow_records_keep_full_precision_and_missing_values():
    header = ["NGI", "2024-01", "2024-02", "Total"]
    third = 1 / 3
    records = [["A", third, None, 10 ** 12 + 1], ["Total", 0.1 + 0.2, None, 7], ["Percent", 100.0, None, None]]
    kinds = ["entity", "total", "percent"]
    text = records_csv(header, records, kinds).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*header, "row_kind"]
    assert [r.pop() for r in rows[1:]] == kinds
    for got, want in zip(rows[1:], records, strict=True):
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:], strict=True):
            if w is None:
                assert g == ""
            elif isinstance(w, float):
                assert float(g) == w  # the exact double, not a rounded text
            else:
                assert int(g) == w
    arrow = records_arrow(header, records, kinds)
    assert arrow.column("row_kind").to_pylist() == kinds
    assert arrow.schema.field("NGI").type == pa.string()
    assert all(arrow.schema.field(h).type == pa.float64() for h in header[1:])
    assert arrow.column("2024-01").to_pylist() == [third, 0.1 + 0.2, 100.0]
    assert arrow.column("2024-02").null_count == 3
    assert arrow.column("Total").to_pylist() == [float(10 ** 12 + 1), 7.0, None]


def test_a_label_column_stays_text():
    # A yearly table's periods, or a table whose values are names: text, not numbers.
    arrow = records_arrow(["Year", "Status"], [["2024", "ok"], ["2025", None]], ["entity", "total"])
    assert arrow.column("Year").type == pa.string() and arrow.column("Status").type == pa.string()


def test_table_downloads_equal_its_records():
    t = table("sumcpu", {"A": {"2024-01": {"cpu_s": 1}}, "B": {"2024-03": {"cpu_s": 10 ** 7 + 3}}})
    rows = list(csv.reader(io.StringIO(t.csv().decode())))
    assert rows[0] == [*t.header, "row_kind"]
    assert [r.pop() for r in rows[1:]] == t.kinds == [*(["entity"] * 2), "total", "percent"]
    arrow = t.arrow().to_pylist()
    assert len(rows) - 1 == len(arrow) == len(t.records)
    for text, parquet, rec in zip(rows[1:], arrow, t.records, strict=True):
        assert text[0] == parquet["NGI"] == rec[0]
        want = [None if v is None else float(v) for v in rec[1:]]
        assert [None if v == "" else float(v) for v in text[1:]] == want
        assert [parquet[h] for h in t.header[1:]] == want


def test_a_month_of_a_count_reads_as_a_count():
    """VMs per month are whole counts on the page (82, not 82.00); an average over months
    that does not divide evenly keeps its fraction."""
    vms = load().metrics["cloud_vms"]
    assert vms.per_period and vms.period_unit == "month"
    assert fmt(vms.value(82, 1)) == "82" and fmt(vms.value(2_411, 1)) == "2,411"
    assert vms.value(83, 2) == 41.5 and fmt(vms.value(83, 2)) == "41.50"
