"""Report tables: rows × columns of one metric with Total and Percent, built from cube sums.

A table is built from integer sums (seconds, jobs) per (row, column); every displayed or
downloaded figure is derived from those sums in one place, so the page, its chart and its
CSV/Parquet downloads cannot disagree.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa

from accounting.catalogue import Metric
from accounting.catalogue import sum_columns as family_sums
from accounting.site.paths import Absent

# Every download has this last column, saying what each row is, so a row's role never
# depends on its name: an entity called "Total" is an "entity" row above the "total" one.
ROW_KIND = "row_kind"
DATA_KINDS = ("entity", "absent")  # an entity, or the label of a value the source left absent
TOTAL, PERCENT = "total", "percent"
# A text cell a spreadsheet would run as a formula (OWASP: = + - @, tab, carriage return),
# also after leading quotes, so that stripping one quote always gives the text back.
# cubes/macros.sql csv_text is the same rule for the CSV that DuckDB writes.
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def csv_text(text: str) -> str:
    """A text cell as the site's CSV files hold it: a leading ' where a spreadsheet would
    see a formula (the Parquet keeps the exact text)."""
    return "'" + text if FORMULA_START.match(text) else text


def row_kind(key: str) -> str:
    return DATA_KINDS[1] if isinstance(key, Absent) else DATA_KINDS[0]


def fmt(value, metric: Metric | None = None, percent: bool = False) -> str:
    """Display rounding (pages only; downloads keep full precision)."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if percent or (metric is not None and metric.is_ratio):
        return f"{value:,.1f}" if not percent else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


@dataclass
class Cell:
    num: int = 0
    den: int = 0

    def add(self, other: Cell) -> None:
        self.num += other.num
        self.den += other.den


@dataclass
class Row:
    key: str
    href: str | None
    cells: list[Cell]
    total: Cell = field(default_factory=Cell)


@dataclass
class Table:
    """One metric's table; `rows` are sorted by total, largest first."""

    id: str
    title: str
    row_dim: str
    row_label: str
    columns: list[str]
    column_labels: list[str]
    metric: Metric
    rows: list[Row]
    period_s: list[int] | None = None  # per-period metrics: each column's length in seconds

    @property
    def has_percent(self) -> bool:
        return not self.metric.is_ratio

    @property
    def averaged(self) -> bool:
        """A per-period metric (a count of things, such as VMs or GPUs) is not added up over
        time: the column after the periods is their Average (the sum over the length of the
        whole span), and a Peak column holds the largest period."""
        return self.period_s is not None

    def _peak(self, cells: list[Cell]):
        values = [v for v in (self._val(c) for c in cells) if v is not None]
        return max(values) if values else None

    def _val(self, cell: Cell):
        return self.metric.value(cell.num, cell.den)

    @cached_property
    def column_totals(self) -> list[Cell]:
        totals = [Cell() for _ in self.columns]
        for row in self.rows:
            for t, c in zip(totals, row.cells):
                t.add(c)
        if self.period_s:  # rows share the period: its length is not added up
            for t, seconds in zip(totals, self.period_s):
                t.den = seconds
        return totals

    @cached_property
    def grand_total(self) -> Cell:
        g = Cell()
        for row in self.rows:
            g.add(row.total)
        if self.period_s:
            g.den = sum(self.period_s)
        return g

    def _percent(self, cell: Cell, grand: Cell):
        return 100 * cell.num / grand.num if grand.num else None

    @cached_property
    def records(self) -> list[list]:
        """The table exactly as shown, full precision: data rows, then Total and Percent."""
        grand = self.grand_total
        out = []
        peak = (lambda cells: [self._peak(cells)]) if self.averaged else (lambda cells: [])
        for row in self.rows:
            rec = [row.key, *(self._val(c) for c in row.cells), self._val(row.total), *peak(row.cells)]
            if self.has_percent:
                rec.append(self._percent(row.total, grand))
            out.append(rec)
        totals = self.column_totals
        rec = ["Total", *(self._val(c) for c in totals), self._val(grand), *peak(totals)]
        if self.has_percent:
            rec.append(100.0 if grand.num else None)
            out.append(rec)
            out.append(["Percent", *(self._percent(c, grand) for c in totals), 100.0 if grand.num else None,
                        *([None] if self.averaged else []), None])
        else:
            out.append(rec)
        return out

    @property
    def kinds(self) -> list[str]:
        """The role of each record: the data rows', then total (and percent)."""
        return [row_kind(r.key) for r in self.rows] + [TOTAL] + ([PERCENT] if self.has_percent else [])

    @property
    def _summary_columns(self) -> list[str]:
        return ["Average", "Peak"] if self.averaged else ["Total"]

    @property
    def header(self) -> list[str]:
        return [self.row_dim, *self.columns, *self._summary_columns] + (["Percent"] if self.has_percent else [])

    def display(self) -> dict:
        """Display-ready rows for the template: the rounded text of every cell."""
        body = []
        n_data = len(self.rows)
        pct_col = len(self.header) - 2 if self.has_percent else -1
        for i, rec in enumerate(self.records):
            is_percent_row = i >= n_data and rec[0] == "Percent"
            cells = [fmt(v, self.metric, percent=is_percent_row or j == pct_col) for j, v in enumerate(rec[1:])]
            body.append({"label": rec[0], "href": self.rows[i].href if i < n_data else None,
                         "cells": cells, "summary": i >= n_data})
        return {"labels": [self.row_label, *self.column_labels, *self._summary_columns]
                + (["Percent"] if self.has_percent else []), "body": body}

    def arrow(self) -> pa.Table:
        """Float64 value columns: the Percent row shares them, even in a count table."""
        return records_arrow(self.header, self.records, self.kinds)

    def csv(self) -> bytes:
        return records_csv(self.header, self.records, self.kinds)

    def sums_records(self) -> tuple[list[str], list[list], list[str]]:
        """A ratio's numerator and denominator sums behind every cell (long format), so a
        download shows what each percentage was taken from."""
        m = self.metric
        header = [self.row_dim, "period", m.numerator, m.denominator, m.id]
        out, kinds = [], []
        for key, kind, cells, total in [*((r.key, row_kind(r.key), r.cells, r.total) for r in self.rows),
                                        ("Total", TOTAL, self.column_totals, self.grand_total)]:
            for col, c in [*zip(self.columns, cells), ("Total", total)]:
                out.append([key, col, c.num, c.den, self._val(c)])
                kinds.append(kind)
        return header, out, kinds


def records_arrow(header: list[str], records: list[list], kinds: list[str]) -> pa.Table:
    """A table's records (row label, then values) and their `kinds` as Arrow: the Parquet
    download, names exactly as they are."""
    cols = {}
    for j, name in enumerate(header):
        values = [r[j] for r in records]
        text = j == 0 or any(isinstance(v, str) for v in values)  # labels (rows, periods) stay text
        # Numbers through float(): an exact integer sum above 2^53 becomes the nearest double
        # (Arrow refuses the lossy conversion of a Python int); the CSV keeps the integer.
        cols[name] = pa.array([str(v) if isinstance(v, str) else v for v in values] if text
                              else [None if v is None else float(v) for v in values],
                              pa.string() if text else pa.float64())
    cols[ROW_KIND] = pa.array(kinds, pa.string())
    return pa.table(cols)


def records_csv(header: list[str], records: list[list], kinds: list[str]) -> bytes:
    """The same records as CSV, floats at full precision, missing values empty, text
    through `csv_text`."""
    buf = io.StringIO()
    # RFC 4180's line end: Python's writer quotes only the characters of its line end, so with
    # "\n" alone a name holding a lone "\r" went unquoted and split its row in two.
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*map(csv_text, header), ROW_KIND])
    for rec, kind in zip(records, kinds, strict=True):
        w.writerow([*("" if v is None else repr(v) if isinstance(v, float) else csv_text(v) if isinstance(v, str)
                      else v for v in rec), kind])
    return buf.getvalue().encode()


def build_table(*, id: str, title: str, row_dim: str, row_label: str, columns: list[str],
                column_labels: list[str], metric: Metric, sums: dict[str, dict[str, tuple]],
                href=None, period_s: list[int] | None = None) -> Table:
    """`sums[row][column]` holds the cube sums in the order of the metric family's sum
    columns; `period_s`, the length of each column, is needed by per-period metrics."""
    sum_columns = family_sums(metric.family)
    num_i = sum_columns.index(metric.numerator)
    den_i = sum_columns.index(metric.denominator) if metric.denominator else None
    if metric.per_period and not period_s:
        raise ValueError(f"{metric.id} needs the length of every column")
    rows = []
    for key, by_col in sums.items():
        cells = []
        for j, col in enumerate(columns):
            s = by_col.get(col)
            num = s[num_i] if s is not None else 0
            if metric.per_period:  # an average over the whole period, months without use count 0
                cells.append(Cell(num, period_s[j]))
            else:
                cells.append(Cell(num, s[den_i] if s is not None and den_i is not None else 0))
        row = Row(key, href(key) if href else None, cells)
        for c in cells:
            row.total.add(c)
        rows.append(row)
    # Ratio tables are ordered by their denominator (the work behind the ratio).
    rows.sort(key=lambda r: (-(r.total.den if den_i is not None else r.total.num), r.key))
    return Table(id, title, row_dim, row_label, columns, column_labels, metric, rows,
                 period_s if metric.per_period else None)
