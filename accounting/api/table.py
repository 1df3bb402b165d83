"""A view's table from the rows of its query (explore.sql / explore_storage.sql), as the
explorer (static/explore.js `shape` and `tableRecords`) makes it: the cells, row totals,
column totals and grand total are the query's own GROUPING SETS rows (for a stock they are
not sums of the cells: storage's months are averaged or peaked after rows are added), each
turned into the metric as the catalogue defines it (accounting/catalogue.py Metric.value:
ratio, per-period average, sum in the view's unit). This is the one place outside the
browser that does it; tests compare the two on the same views."""

from __future__ import annotations

from dataclasses import dataclass

from accounting.site.paths import Absent
from accounting.site.report import PERCENT, TOTAL, row_kind


@dataclass
class Answer:
    header: list[str]
    records: list[list]
    kinds: list[str]


def _label(q: dict, dim: str, key) -> str:
    """What the source left absent is an `Absent` label: never equal to a real name of the
    same text, and its row is of kind "absent"."""
    if key is None:
        return Absent((q["dimensions"].get(dim) or {}).get("absent") or "(none)")
    return str(key)


def _scale(view: dict, m: dict) -> float:
    units = m.get("units") or {}
    return units[view["unit"]]["scale"] if view.get("unit") in units else m["scale"]


def unit_of(view: dict, m: dict) -> str:
    units = m.get("units") or {}
    return units[view["unit"]]["unit"] if view.get("unit") in units else m["unit"]


def _value(view: dict, m: dict, s: dict, length):
    num = s.get(m["numerator"])
    if num is None:
        return None
    if m["denominator"]:
        den = s.get(m["denominator"])
        return m["multiplier"] * num / den if den else None
    if m.get("per_period"):
        return m["multiplier"] * num / length if length else None
    return num / _scale(view, m)


def _length(q: dict, view: dict, m: dict, row_key=None, col_key=None):
    """A per-period metric's period length (months or seconds) within the time keys given."""
    if not m.get("per_period"):
        return None
    n = 0
    for mo in q["families"][view["data"]]["months"]:
        if not view["from"] <= mo["month"] <= view["to"]:
            continue
        if row_key is not None and view["rows"] in q["periods"] and mo[view["rows"]] != row_key:
            continue
        if col_key is not None and view["cols"] in q["periods"] and mo[view["cols"]] != col_key:
            continue
        n += 1 if m["period_unit"] == "month" else mo["seconds"]
    return n


def build(q: dict, view: dict, names: list[str], result: list[tuple]) -> Answer:
    fam = q["families"][view["data"]]
    missing = None if fam["stock"] else 0  # a stock's month without a value is no zero
    cells, row_totals, col_totals, grand = {}, {}, {}, None
    col_keys = []
    for rec in result:
        r = dict(zip(names, rec))
        s = {c: (missing if r[c] is None else r[c]) for c in fam["sums"]}
        rk = _label(q, view["rows"], r["row_key"])
        ck = _label(q, view["cols"], r["column_key"]) if view["cols"] != "metric" else "all"
        if r["all_rows"] and r["all_columns"]:
            grand = s
        elif r["all_rows"]:
            col_totals[ck] = s
            col_keys.append(ck)
        elif r["all_columns"]:
            row_totals[rk] = s
        else:
            cells[(rk, ck)] = s
            col_keys.append(ck)
    zero = {c: missing for c in fam["sums"]}
    grand = grand or zero
    metrics = [next(m for m in fam["metrics"] if m["id"] == mid) for mid in view["metric"]]
    if view["cols"] in q["periods"]:
        columns = list(dict.fromkeys(m[view["cols"]] for m in fam["months"]
                                     if view["from"] <= m["month"] <= view["to"]))
    else:  # real names in order, then the absent value
        columns = sorted(set(col_keys), key=lambda k: (isinstance(k, Absent), str(k)))
    first = metrics[0]
    order = first["denominator"] or first["numerator"]
    rows = list(row_totals)
    if view["rows"] in q["periods"]:
        rows.sort(key=str)
    else:  # by the total of the first metric's work, largest first (report.py), then by name
        rows.sort(key=lambda k: (-(row_totals[k].get(order) or 0), str(k)))
    time_rows = view["rows"] in q["periods"]
    header = [q["dimensions"][view["rows"]]["label"] if view["rows"] in q["dimensions"]
              else q["periods"][view["rows"]]["label"]]
    kinds = [row_kind(k) for k in rows] + [TOTAL]
    if view["cols"] == "metric":
        header += [f"{m['name']} ({unit_of(view, m)})" for m in metrics]
        records = [[k, *(_value(view, m, row_totals[k], _length(q, view, m, k if time_rows else None))
                         for m in metrics)] for k in rows]
        records.append(["Total", *(_value(view, m, grand, _length(q, view, m)) for m in metrics)])
        return Answer(header, records, kinds)
    m = first
    percent = not m["denominator"] and not fam["stock"]
    gnum = grand.get(m["numerator"])

    def v(s, rk=None, ck=None):
        return _value(view, m, s, _length(q, view, m, rk, ck))

    def pct(s):
        return 100 * s[m["numerator"]] / gnum if gnum else None

    header += [str(c) for c in columns]
    header.append(("Peak" if view.get("stat") == "peak" else "Average") if fam["stock"]
                  else "Average" if m.get("per_period") else "Total")
    if percent:
        header.append("Percent")
    records = []
    for k in rows:
        rk = k if time_rows else None
        records.append([k, *(v(cells.get((k, c), zero), rk, c) for c in columns), v(row_totals[k], rk),
                        *([pct(row_totals[k])] if percent else [])])
    totals = [col_totals.get(c, zero) for c in columns]
    records.append(["Total", *(v(s, None, c) for s, c in zip(totals, columns)), v(grand),
                    *([100.0 if gnum else None] if percent else [])])
    if percent:
        records.append(["Percent", *(pct(s) for s in totals), 100.0 if gnum else None, None])
        kinds.append(PERCENT)
    return Answer(header, records, kinds)
