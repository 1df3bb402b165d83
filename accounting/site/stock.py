"""Tables of a stock (storage capacity): values at a time, which add up across rows but
never across time.

A cell of a month is the month's value; a quarter, a year or a span of months shows the
average or the peak of its monthly values, never their sum. The Total row adds rows
month by month first and only then takes the average or peak over time, so it is the
average (peak) of the total, not the sum of the rows' averages (peaks). A month without
a value is missing (None), never zero. Every roll-up over time goes through `over_time`;
there is no code path that sums months.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import fmean

import pyarrow as pa

from accounting.site.report import TOTAL, fmt, records_arrow, records_csv, row_kind

STATS = {"average": fmean, "peak": max}


def over_time(values: list[float | None], stat: str) -> float | None:
    """A stock over several months: their average or peak (months with a value only)."""
    present = [v for v in values if v is not None]
    return STATS[stat](present) if present else None


def add_rows(rows: list[list[float | None]]) -> list[float | None]:
    """Rows added month by month (across sites, VOs, shares: a stock adds up there)."""
    out = []
    for column in zip(*rows):
        present = [v for v in column if v is not None]
        out.append(sum(present) if present else None)
    return out


@dataclass
class StockTable:
    """Rows × periods of one measure. `monthly[row][month key]` holds the monthly values;
    `periods` are month keys ('YYYY-MM', shown as they are) or years ('YYYY', each
    rolled up from its months with `stat`). With `summary`, Average and Peak columns
    over the periods shown are added."""

    id: str
    title: str
    row_dim: str
    row_label: str
    periods: list[str]
    period_labels: list[str]
    unit: str
    monthly: dict[str, dict[str, float]]
    stat: str = "average"  # how a year is rolled up from its months
    summary: bool = True
    hrefs: dict[str, str] | None = None

    def _cells(self, by_month: dict[str, float]) -> list[float | None]:
        cells = []
        for p in self.periods:
            if len(p) == 7:  # a month
                cells.append(by_month.get(p))
            else:
                cells.append(over_time([v for k, v in by_month.items() if k.startswith(p + "-")], self.stat))
        return cells

    @cached_property
    def rows(self) -> list[tuple[str, list[float | None]]]:
        """Data rows, largest latest value first (then by name)."""
        rows = [(k, self._cells(v)) for k, v in self.monthly.items()]
        return sorted(rows, key=lambda r: (-next((c for c in reversed(r[1]) if c is not None), 0.0), r[0]))

    @cached_property
    def total_monthly(self) -> dict[str, float]:
        months = sorted({m for by_month in self.monthly.values() for m in by_month})
        totals = add_rows([[by_month.get(m) for m in months] for by_month in self.monthly.values()])
        return {m: t for m, t in zip(months, totals) if t is not None}

    @property
    def header(self) -> list[str]:
        return [self.row_dim, *self.periods] + (["Average", "Peak"] if self.summary else [])

    @cached_property
    def records(self) -> list[list]:
        out = []
        for key, cells in [*self.rows, ("Total", self._cells(self.total_monthly))]:
            rec = [key, *cells]
            if self.summary:
                rec += [over_time(cells, "average"), over_time(cells, "peak")]
            out.append(rec)
        return out

    def display(self) -> dict:
        body = []
        for i, rec in enumerate(self.records):
            summary = i == len(self.records) - 1
            body.append({"label": rec[0], "href": None if summary else (self.hrefs or {}).get(rec[0]),
                         "cells": [fmt(v) for v in rec[1:]], "summary": summary})
        return {"labels": [self.row_label, *self.period_labels]
                + (["Average", "Peak"] if self.summary else []), "body": body}

    @property
    def kinds(self) -> list[str]:
        return [row_kind(key) for key, _ in self.rows] + [TOTAL]

    def arrow(self) -> pa.Table:
        return records_arrow(self.header, self.records, self.kinds)

    def csv(self) -> bytes:
        return records_csv(self.header, self.records, self.kinds)
