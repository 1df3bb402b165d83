"""Checks shared by the GPU and cloud report tests: a report table's CSV against cells
recomputed by the test (restating the metric definitions of the help page), and its HTML
and Parquet against the CSV."""

from __future__ import annotations

import calendar
import csv
import math

import pyarrow.parquet as pq

from htmltables import parse


def months_window(con, source) -> list[str]:
    """The site's last 12 complete months: up to the month before the latest HTC update."""
    as_of = con.execute(f"SELECT max(UpdateTime) FROM read_parquet('{source}/htc/*/*/*.parquet', "
                        "hive_partitioning = false)").fetchone()[0]
    y, m = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    months = []
    for _ in range(12):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return sorted(months)


def seconds(period: str, last: str) -> int:
    """A month's length, or a year's up to the last complete month `last`."""
    if len(period) == 7:
        return calendar.monthrange(int(period[:4]), int(period[5:]))[1] * 86400
    y = int(period)
    upto = int(last[5:]) if y == int(last[:4]) else 12
    return sum(calendar.monthrange(y, m)[1] for m in range(1, upto + 1)) * 86400


def months(period: str, last: str) -> int:
    """A period's number of months: 1, or a year's up to the last complete month `last`."""
    if len(period) == 7:
        return 1
    return int(last[5:]) if int(period) == int(last[:4]) else 12


AVERAGED = {"per period": seconds, "per month": months}  # counts of things: averaged over time


def value(how: str, n: float, d: float, period_len: int, divisor: float = 3600):
    """`how`: 'percent' (100 n / d), 'per period' (n over the period's seconds), 'per month'
    (n over the period's months), or a plain sum shown in `divisor` units."""
    if how == "percent":
        return None if not d else 100 * n / d
    if how in AVERAGED:
        return n / period_len
    return n / divisor


def table_csv(path, kinds: list | None = None):
    """A page download's header and rows without its last column, row_kind (whose values
    are appended to `kinds` when given)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "row_kind", path
    for r in rows[1:]:
        kind = r.pop()
        if kinds is not None:
            kinds.append(kind)
    return rows[0][:-1], rows[1:]


def _close(got: str, want) -> bool:
    if want is None:
        return got == ""
    return got != "" and math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-9)


def check(page, table_id, how, cells, months, divisor: float = 3600):
    """Table CSV == recomputed `cells` {row: {column: (num, den)}} with Total and Percent
    (a count of things: Average, Peak and Percent); the HTML shows the same rows and a
    figure wherever the CSV has one; Parquet == CSV."""
    header, body = table_csv(page / f"{table_id}.csv")
    ratio, averaged = how == "percent", how in AVERAGED
    summary = ["Total"] if ratio else ["Average", "Peak", "Percent"] if averaged else ["Total", "Percent"]
    columns = header[1:len(header) - len(summary)]
    assert header[len(header) - len(summary):] == summary
    if table_id == "table":
        assert columns == months
    n_data = len(body) - (1 if ratio else 2)
    assert {r[0] for r in body[:n_data]} == set(cells)
    period_s = [AVERAGED.get(how, seconds)(c, months[-1]) for c in columns]
    peak = (lambda values: [max(values)]) if averaged else (lambda values: [])
    grand = [sum(n for by in cells.values() for n, _ in by.values()),
             sum(d for by in cells.values() for _, d in by.values())]
    for r in body[:n_data]:
        by = cells[r[0]]
        want = [value(how, *by.get(c, (0, 0)), s, divisor) for c, s in zip(columns, period_s, strict=True)]
        rn, rd = sum(n for n, _ in by.values()), sum(d for _, d in by.values())
        want += [value(how, rn, rd, sum(period_s), divisor), *peak(want)]
        if not ratio:
            want.append(100 * rn / grand[0] if grand[0] else None)
        assert all(_close(g, w) for g, w in zip(r[1:], want, strict=True)), (page, table_id, r[0], r[1:], want)
    col_tot = [(sum(cells[k].get(c, (0, 0))[0] for k in cells), sum(cells[k].get(c, (0, 0))[1] for k in cells))
               for c in columns]
    total = body[n_data]
    assert total[0] == "Total"
    want = [value(how, n, d, s, divisor) for (n, d), s in zip(col_tot, period_s, strict=True)]
    want += [value(how, *grand, sum(period_s), divisor), *peak(want)]
    if not ratio:
        want.append(100.0 if grand[0] else None)
    assert all(_close(g, w) for g, w in zip(total[1:], want, strict=True)), (page, table_id, "Total", total, want)
    if not ratio:  # each column's share of the whole, then the Total's (100) and no Percent of Percent
        percent = body[n_data + 1]
        assert percent[0] == "Percent"
        want = [100 * n / grand[0] if grand[0] else None for n, _ in col_tot] + [100.0 if grand[0] else None,
                                                                                 *([None] if averaged else []), None]
        assert all(_close(g, w) for g, w in zip(percent[1:], want, strict=True)), (page, table_id, "Percent")
    shown = parse((page / "index.html").read_text()).tables[table_id]["rows"]
    assert [r["label"] for r in shown] == [r[0] for r in body]
    for h, c in zip(shown, body, strict=True):
        assert [t == "–" for t in h["texts"]] == [v == "" for v in c[1:]]
    parquet = pq.read_table(page / f"{table_id}.parquet").to_pylist()
    for p, c in zip(parquet, body, strict=True):
        assert [p[k] for k in header[1:]] == [None if v == "" else float(v) for v in c[1:]]
    return body


def expected(con, view: str, months: list[str], num: str, den: str | None, row: str, column: str,
             scope: str = "true") -> dict:
    """{row: {column: (numerator sum, denominator sum)}} over the test's own view of the
    source rows (columns ym, yyyymm, Year): the last 12 months or every year. A measure no
    row reported sums to 0."""
    col = "ym" if column == "month" else "printf('%04d', Year)"
    first = int(months[0].replace("-", "")) if column == "month" else 0
    last = int(months[-1].replace("-", ""))
    out: dict = {}
    for r, c, n, d in con.execute(f"""
            SELECT {row}, {col}, coalesce(sum({num}), 0)::DOUBLE, {f'sum({den})::DOUBLE' if den else '0'}
            FROM {view} WHERE {scope} AND yyyymm BETWEEN {first} AND {last} GROUP BY ALL""").fetchall():
        out.setdefault(r, {})[c] = (n, d)
    return out
