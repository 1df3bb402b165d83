"""The multi-metric summary of an HTC page (PEAR's default table): each month of the
window and their total, with jobs, CPU time, wall time × processors, normalised CPU,
normalised wall-clock work and CPU efficiency side by side (cubes/catalogue.toml
[summary]). It comes from the sums of the page's first monthly table, added over its
rows, so it is the same figures as the page's tables; a ratio is taken from the summed
numerator and denominator, never averaged."""

from __future__ import annotations

from accounting.catalogue import Catalogue
from accounting.site.report import fmt, records_arrow, records_csv
from accounting.site.timeframe import TimeFrame

TOTAL = "Total"


def records(cat: Catalogue, frame: TimeFrame, table_sums: dict, family: str = "htc"):
    """(header, records, kinds) of the summary of {row: {month: sums}}."""
    sums_names = cat.families[family].sums
    metrics = [cat.metrics[m] for m in cat.summary[family]]
    width = len(sums_names)
    months = [frame.month_key(y, m) for y, m in frame.recent_months()]
    per_month = {k: [0] * width for k in months}
    for by_col in table_sums.values():
        for k, s in by_col.items():
            if k in per_month:
                per_month[k] = [a + b for a, b in zip(per_month[k], s)]
    total = [sum(per_month[k][i] for k in months) for i in range(width)]

    def values(s: list) -> list:
        out = []
        for m in metrics:
            num = s[sums_names.index(m.numerator)]
            out.append(m.value(num, s[sums_names.index(m.denominator)]) if m.is_ratio else m.value(num))
        return out

    header = ["Month", *(m.title for m in metrics)]
    recs = [[k, *values(per_month[k])] for k in months] + [[TOTAL, *values(total)]]
    return header, recs, ["period"] * len(months) + ["total"]


def write(writer, page_dir: str, cat: Catalogue, frame: TimeFrame, table_sums: dict) -> dict:
    """Write the summary's CSV and Parquet into page_dir; return it for the pages that show
    it: its header and rows of formatted cells."""
    header, recs, kinds = records(cat, frame, table_sums)
    writer.write(page_dir + "summary.csv", records_csv(header, recs, kinds))
    writer.write_parquet(page_dir + "summary.parquet", records_arrow(header, recs, kinds))
    metrics = [cat.metrics[m] for m in cat.summary["htc"]]
    labels = {frame.month_key(y, m): frame.month_label(y, m) for y, m in frame.recent_months()}
    rows = [{"label": labels.get(r[0], r[0]), "cells": [fmt(v, m) for v, m in zip(r[1:], metrics)],
             "summary": r[0] == TOTAL} for r in recs]
    return {"header": header, "rows": rows}
