"""The old portal's `…/JSON/` and `…/CSV/` calls: an old view address read into the
explorer's view, then answered in the old shapes.

`parse` is the Python twin of static/legacy.js `parseLegacy` (the browser's reader of the
same addresses, for the HTML form): the same table (explore/legacy.json, made by
accounting/site/legacy.py from the catalogue's [legacy] section), the same steps, the same
reasons. tests/test_unit_legacy.py runs both on every address of tests/legacy_urls.py and
requires the same answer, so an address opens the same view as a page and as data.

The shapes (../shared/reference/old-portal-features.md §4.1): JSON, a list of row objects
`{<column>: n, …, "id": <row>, "Total": n, "Percent": n}`, then the Total and Percent rows
(percentages as "49.64%" strings), `xlegend`, `ylegend` and `var`; cells rounded to 4
decimals, Total to an integer, Percent to 2 decimals (as the old portal and
static/explore-download.js `oldPortalJson`). CSV: a header of the row variable's old id and
the column labels, the data rows, a Total and a Percent line, rounded alike (README, "API").
"""

from __future__ import annotations

import csv
import io
import json
import re

from accounting.api.views import vo_selections
from accounting.site.report import csv_text

FORMATS = ("JSON", "CSV")


class Problem(Exception):
    """An address not understood: `index` is its 1-based segment, `reason` says why."""

    def __init__(self, index: int, segment: str, reason: str):
        super().__init__(f"segment {index} ({segment!r}): {reason}")
        self.index, self.segment, self.reason = index, segment, reason


def _lower(s: str) -> str:
    return s[:1].lower() + s[1:]


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _scope(segs: list[str], t: dict) -> dict | None:
    """The old scope the address starts with (the table lists the longest paths first)."""
    return next((s for s in t["scopes"] if segs[:len(s["path"])] == s["path"]), None)


def split_format(path: str) -> tuple[str, str | None]:
    """(the view address, 'JSON' | 'CSV' | None): the old output segment is the last one."""
    segs = _segments(path)
    if segs and segs[-1].upper() in FORMATS:
        return "/" + "/".join(segs[:-1]) + "/", segs[-1].upper()
    return path, None


def parse(path: str, t: dict, families: dict) -> tuple[dict, list[str]]:
    """(the explorer's params, notes) of an old view address; raises Problem."""
    return _parse(_segments(path), t, families)


def spelled(path: str, t: dict, params: dict) -> dict:
    """The old ids of the view's metric, rows and columns as the address gave them (where it
    left them out, the scope's default by its first old id): the old JSON's `var` echoes them."""
    segs = _segments(path)
    scope = _scope(segs, t)
    i = len(scope["path"]) + (1 if scope["entity"] else 0)
    given = dict(zip(("query", "yrange", "xrange"), segs[i:i + 3]))
    old = lambda axis: next((k for k, v in t["axes"].items() if v == axis), axis)  # noqa: E731
    return {"xrange": given.get("xrange", old(params.get("cols", "month"))),
            "yrange": given.get("yrange", old(params["rows"])),
            "query": given.get("query", params.get("metric", ""))}


def _parse(segs: list[str], t: dict, families: dict) -> tuple[dict, list[str]]:

    def fail(index: int, reason: str):
        raise Problem(index + 1, segs[index] if index < len(segs) else "", reason)

    scope = _scope(segs, t)
    if scope is None:
        prefixes = ", ".join(dict.fromkeys("/" + s["path"][0] + "/" for s in t["scopes"]))
        fail(0, f"not the start of an old portal view ({prefixes})")
    i = len(scope["path"])
    if scope["data"] not in t["explore"] or scope["data"] not in families:
        fail(i - 1, f"the explorer has no {scope['data']} data yet: its pages are at /{scope['path'][0]}/")
    fam = families[scope["data"]]
    notes: list[str] = []
    p: dict = {"data": scope["data"], "rows": scope["rows"], "cols": t["defaults"]["cols"]}
    p.update({"vos": t["defaults"]["vos"], "jobs": t["defaults"]["jobs"]} if scope["groups"]
             else t["no_group_defaults"])
    p["filters"] = {}
    if scope["entity"]:
        label = t["labels"].get(scope["entity"], scope["entity"])
        if i >= len(segs):
            fail(i, f"the address ends before the {_lower(label)}'s name")
        name = segs[i]
        dim = next((d for d in t["levels"].get(scope["entity"], [scope["entity"]])
                    if name in fam["values"].get(d, [])), None)
        if dim is None:
            fail(i, f"no {_lower(label)} named “{name}” in the data")
        p["filters"][dim] = [name]
        i += 1
    axes = {*fam["dimensions"], "month", "quarter", "half", "year"}
    steps = [lambda s: _metric(s, t, fam, p, notes), lambda s: _axis(s, t, axes, p, "rows", "row variable"),
             lambda s: _axis(s, t, axes, p, "cols", "column variable")]
    for step in steps:
        if i >= len(segs):
            return _done(p), notes
        if reason := step(segs[i]):
            fail(i, reason)
        i += 1
    if p["rows"] == p["cols"]:
        fail(i - 1, "rows and columns are the same variable")
    if i >= len(segs):
        return _done(p), notes
    offset, reason = _period(segs[i:i + 4], fam, p, notes)
    if reason:
        fail(i + offset, reason)
    i += 4
    if scope["groups"]:
        for step in (lambda s: _vos(s, t, p), lambda s: _jobs(s, t, p)):
            if i >= len(segs):
                return _done(p), notes
            if reason := step(segs[i]):
                fail(i, reason)
            i += 1
    if i < len(segs) and segs[i].lower() in t["benchmarks"]:
        i += 1
    if i < len(segs):
        fail(i, f"the old {segs[i].upper()} output is not served by the explorer (its CSV download is)"
             if segs[i].upper() in FORMATS
             else "nothing is expected after the " + ("job type" if scope["groups"] else "end month"))
    return _done(p), notes


def _done(p: dict) -> dict:
    if p["rows"] == p.get("cols"):
        del p["cols"]  # a scope whose rows default to DATE: the explorer picks
    return p


def _metric(seg: str, t: dict, fam: dict, p: dict, notes: list[str]) -> str | None:
    ids = t["metrics"].get(p["data"], {})
    metric, unit = ids.get(seg), None
    if metric is None:
        m = re.fullmatch(r"(.+?)(?:-([A-Za-z0-9]+)|_(days))", seg)
        if m and m.group(1) in ids and (m.group(2) or m.group(3)) in t["units"]:
            metric, unit = ids[m.group(1)], t["units"][m.group(2) or m.group(3)]
    if metric is None:
        return f"not a metric id of the old portal's {p['data']} views"
    known = next((x for x in fam["metrics"] if x["id"] == metric), None)
    if known is None:
        return f"the explorer has no metric “{metric}”"
    p["metric"] = metric
    if unit and known.get("units") and unit in known["units"]:
        if unit != "hour":
            p["unit"] = unit
    elif unit and unit != "hour":
        notes.append(f"The old address asked for {unit}; the explorer shows {known['name']} in {known['unit']}.")
    return None


def _axis(seg: str, t: dict, axes: set, p: dict, key: str, what: str) -> str | None:
    name = seg if seg in t["axes"] else next((k for k in t["axes"] if k.lower() == seg.lower()), None)
    if name is None:
        return f"not a {what} of the old portal ({', '.join(t['axes'])})"
    if t["axes"][name] not in axes:
        return f"the explorer has no {t['axes'][name]} for {p['data']}"
    p[key] = t["axes"][name]
    return None


def _period(segs: list[str], fam: dict, p: dict, notes: list[str]) -> tuple[int, str | None]:
    names = ["start year", "start month", "end year", "end month"]
    for k in range(4):
        if k >= len(segs):
            return k, f"the address ends before the {names[k]}"
        ok = (re.fullmatch(r"\d{1,2}", segs[k]) and 1 <= int(segs[k]) <= 12) if k % 2 \
            else re.fullmatch(r"\d{4}", segs[k])
        if not ok:
            return k, f"not a {names[k]}" + (" (1 to 12)" if k % 2 else " (four digits)")
    first, last = fam["months"][0]["month"], fam["months"][-1]["month"]
    start, end = (f"{segs[k]}-{int(segs[k + 1]):02d}" for k in (0, 2))
    if start > end:
        return 2, "the period ends before it starts"
    if end < first or start > last:
        return 0, f"no data from {start} to {end} (the data runs from {first} to {last})"
    if start < first:
        notes.append(f"The data starts in {first}, not {start}.")
        start = first
    if end > last:
        notes.append(f"The last complete month is {last}, not {end}.")
        end = last
    p["from"], p["to"] = start, end
    return 0, None


def _vos(seg: str, t: dict, p: dict) -> str | None:
    if seg in t["vo_groups"]:
        p["vos"] = t["vo_groups"][seg]
    elif (m := re.fullmatch(r"top(\d+)", seg)) and int(m.group(1)) >= 1:
        p["vos"], p["top"] = "top", int(m.group(1))
    elif (m := re.fullmatch(r"custom-(.+)", seg)) and any(m.group(1).split(",")):
        p["vos"], p["vo"] = "custom", [v for v in m.group(1).split(",") if v]
    else:
        return f"not a VO group ({', '.join(t['vo_groups'])}, top10, custom-<vo>,<vo>)"
    return None


def _jobs(seg: str, t: dict, p: dict) -> str | None:
    if seg not in t["jobs"]:
        return f"not a job type ({', '.join(t['jobs'])})"
    p["jobs"] = t["jobs"][seg]
    return None


def query_params(params: dict) -> list[tuple[str, str]]:
    """The explorer's address of `params` as (name, value) pairs (legacy.js explorerSearch)."""
    out = [(k, str(params[k])) for k in ("data", "metric", "rows", "cols", "from", "to", "vos") if k in params]
    if params.get("vos") == "top":
        out.append(("top", str(params["top"])))
    out += [("vo", v) for v in params.get("vo", [])]
    out += [(k, params[k]) for k in ("jobs", "unit") if k in params]
    out += [(d, v) for d in sorted(params.get("filters", {})) for v in params["filters"][d]]
    return out


def applicable(pairs: list[tuple[str, str]], fam: dict) -> list[tuple[str, str]]:
    """The API's parameters of a parsed address, without what its data type does not have (as
    the explorer's parseView drops them: a cloud view has no job type, and of the VO groups
    only "all"): the same view as the address's HTML form opens."""
    out = [(k, v) for k, v in pairs if k != "data" and (k != "jobs" or fam["jobs"])]
    return [(k, "all" if k == "vos" and v not in vo_selections(fam) else v) for k, v in out]


def _round(v, digits: int):
    return None if v is None else round(v, digits) if digits else round(v)


def _digits(name: str) -> int:
    return 0 if name == "Total" else 2 if name == "Percent" else 4


def old_json(var: dict, header: list[str], records: list[list], kinds: list[str]) -> bytes:
    """The old portal's JSON (the module's text) of a view's table; `var` from `spelled`."""
    cols = header[1:]
    rows = []
    for rec, kind in zip(records, kinds, strict=True):
        o: dict = {}
        for name, value in zip(cols, rec[1:]):
            if kind == "percent":
                if name != "Percent":
                    o[name] = None if value is None else f"{value:.2f}%"
            else:
                o[name] = _round(value, _digits(name))
        o["id"] = str(rec[0])
        rows.append(o)
    labels = [str(r[0]) for r, k in zip(records, kinds) if k in ("entity", "absent")]
    legend = [c for c in cols if c not in ("Total", "Percent")]
    rows.append({"id": "xlegend", **{str(i): x for i, x in enumerate(labels)}})
    rows.append({"id": "ylegend", **{str(j): c for j, c in enumerate(legend)}, str(len(legend)): "id"})
    rows.append({"id": "var", **var})
    return (json.dumps(rows, ensure_ascii=False, allow_nan=False) + "\n").encode()


def old_csv(var: dict, header: list[str], records: list[list], kinds: list[str]) -> bytes:
    """The old portal's CSV: the row variable's old id and the column labels, the rows, the
    Total and Percent lines; rounded as the JSON (Percent without its % sign)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_text(str(h)) for h in [var["yrange"], *header[1:]]])
    for rec, kind in zip(records, kinds, strict=True):
        w.writerow([csv_text(str(rec[0])), *("" if v is None else _round(v, 2 if kind == "percent" else _digits(name))
                              for name, v in zip(header[1:], rec[1:]))])
    return buf.getvalue().encode()
