"""Vega-Lite chart specs, built once per kind with Altair; pages only point them at data.

Building an Altair chart costs ~20 ms, so each kind is made once. A page's chart reads the
CSV download of the table it illustrates and reshapes it in the browser (top rows and
"Other", months as bars), so the chart, the table and the download are the same figures
and the page carries no second copy of them. The site's own Vega bundle renders it.

Rows are told apart by the download's row_kind column and their rank, never by name: the
Total and Percent rows are left out by kind, and each series is keyed by its rank, so an
entity called "Other" is a series of its own beside the bucket of the rows after the top.
"""

from __future__ import annotations

import json
from functools import cache

import altair as alt

from accounting.catalogue import load
from accounting.site.report import DATA_KINDS, ROW_KIND
from accounting.source.contracts import BENCHMARKS

_WIDTH = "container"
SERIES, ORDER, COLUMN, VALUE, RANK, KEY = "series", "order", "column", "value", "rank", "key"
OTHER = "Other"
# A series key is its rank, zero-padded to KEY_DIGITS, a space, then its label: the legend
# shows the label alone.
KEY_DIGITS = 3


def _tooltip(y_title: str):
    return [alt.Tooltip(f"{SERIES}:N", title="Series"), alt.Tooltip(f"{COLUMN}:O", title="Period"),
            alt.Tooltip(f"{VALUE}:Q", title=y_title, format=",.2f")]


@cache
def _base(kind: str, y_title: str, x_title: str) -> dict:
    data = alt.UrlData(url="data.csv")  # replaced per page
    color = alt.Color(f"{KEY}:N", title=None, sort=alt.EncodingSortField(ORDER, op="min"),
                      legend=alt.Legend(orient="bottom", columns=4, labelLimit=220,
                                        labelExpr=f"substring(datum.label, {KEY_DIGITS + 1})"))
    x = alt.X(f"{COLUMN}:O", title=x_title, sort=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))
    if kind == "stacked":
        chart = alt.Chart(data).mark_bar().encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title, stack="zero"), color=color,
            order=alt.Order(f"{ORDER}:Q", sort="ascending"), tooltip=_tooltip(y_title))
    elif kind == "share":
        # Benchmark shares: one colour per benchmark on every page, in historical order, then
        # the summaries whose benchmark APEL did not record.
        domain = [*BENCHMARKS, load().labels["unknown_benchmark"]]
        color = alt.Color(f"{SERIES}:N", title=None, scale=alt.Scale(domain=domain),
                          legend=alt.Legend(orient="bottom"))
        chart = alt.Chart(data).mark_bar().encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title, stack="normalize", axis=alt.Axis(format="%")),
            color=color, order=alt.Order(f"{ORDER}:Q", sort="ascending"), tooltip=_tooltip(y_title))
    elif kind == "line":
        chart = alt.Chart(data).mark_line(point=True).encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title), color=color, tooltip=_tooltip(y_title))
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    return chart.properties(width=_WIDTH, height=280).to_dict()


def spec(kind: str, y_title: str, csv_url: str, row_field: str, columns: list[str], top_n: int = 10,
         x_title: str = "") -> dict:
    """A chart of a table's CSV: its data rows (sorted by total, largest first), the top
    rows as series and the rest as "Other" (summed; a ratio has no meaningful sum, so its
    chart shows the top rows only)."""
    keep_other = kind != "line"
    top = f"datum.{RANK} < {top_n} || datum.n <= {top_n}" if keep_other else "true"
    kinds = " || ".join(f"datum.{ROW_KIND} == {json.dumps(k)}" for k in DATA_KINDS)
    transform = [
        {"filter": kinds},
        {"window": [{"op": "row_number", "as": RANK}]},
        {"joinaggregate": [{"op": "count", "as": "n"}]},
        *([] if keep_other else [{"filter": f"datum.{RANK} <= {top_n}"}]),
        {"calculate": f"{top} ? datum.{RANK} : {top_n}", "as": ORDER},
        {"calculate": f"{top} ? datum[{json.dumps(row_field)}] : '{OTHER}'", "as": SERIES},
        {"calculate": f"pad(toString(datum.{ORDER}), {KEY_DIGITS}, '0', 'left') + ' ' + datum.{SERIES}", "as": KEY},
        {"fold": columns, "as": [COLUMN, VALUE]},
        {"aggregate": [{"op": "sum", "field": VALUE, "as": VALUE}], "groupby": [KEY, SERIES, ORDER, COLUMN]},
    ]
    data = {"url": csv_url, "format": {"type": "csv", "parse": {c: "number" for c in columns}}}
    return {**_base(kind, y_title, x_title), "data": data, "transform": transform}


def script_json(obj: dict) -> str:
    """JSON safe to place inside a <script type="application/json"> element."""
    return json.dumps(obj, separators=(",", ":")).replace("</", "<\\/")


def vega_versions() -> dict:
    import vl_convert as vlc

    return {"vega": vlc.get_vega_version(), "vega-lite": alt.SCHEMA_VERSION,
            "vega-embed": vlc.get_vega_embed_version()}


def vega_bundle() -> str:
    """The offline Vega + Vega-Lite + vega-embed bundle (no CDN); ~1.6 s to produce."""
    import vl_convert as vlc

    major = alt.SCHEMA_VERSION.lstrip("v").split(".")[0]
    same_major = [v for v in vlc.get_vegalite_versions() if v.split(".")[0] == major]
    return vlc.javascript_bundle(vl_version=max(same_major, key=lambda v: tuple(map(int, v.split(".")))))


# The WLCG reports' experiment colours (the old portal's Tier-1 report).
EXPERIMENT_COLOURS = {"ALICE": "#F7F131", "ATLAS": "#00C8FF", "CMS": "#90ed7d", "LHCb": "#BA1111"}


@cache
def _pledge_base(row_field: str) -> dict:
    data = alt.UrlData(url="data.csv")
    colours = alt.Scale(domain=list(EXPERIMENT_COLOURS), range=list(EXPERIMENT_COLOURS.values()))
    x = alt.X(f"{row_field}:N", title=None, sort=None, axis=alt.Axis(labelAngle=-40, labelLimit=160))
    work = alt.Chart(data).mark_bar().encode(
        x=x, y=alt.Y("work:Q", title="Wall-clock work (HS23 h)", stack="zero"),
        color=alt.Color("Experiment:N", scale=colours, legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip(f"{row_field}:N"), alt.Tooltip("Experiment:N"),
                 alt.Tooltip("work:Q", format=",.0f", title="Work (HS23 h)")])
    pledge = alt.Chart(data).transform_aggregate(
        pledge="sum(pledge)", groupby=[row_field]).mark_tick(color="black", thickness=3, size=28).encode(
        x=x, y=alt.Y("pledge:Q"), tooltip=[alt.Tooltip(f"{row_field}:N"),
                                           alt.Tooltip("pledge:Q", format=",.0f", title="Pledge (HS23 h)")])
    return alt.layer(work, pledge).properties(width=_WIDTH, height=300).to_dict()


def pledge_spec(csv_url: str, row_field: str) -> dict:
    """Work per experiment (stacked bars) against the pledge (a black tick) per row of a WLCG
    report, from its chart.csv (row, Experiment, Work (HS23 h), Pledge (HS23 h))."""
    fields = {"work": "Work (HS23 h)", "pledge": "Pledge (HS23 h)"}
    transform = [{"calculate": f"datum[{json.dumps(v)}]", "as": k} for k, v in fields.items()]
    data = {"url": csv_url, "format": {"type": "csv", "parse": {v: "number" for v in fields.values()}}}
    return {**_pledge_base(row_field), "data": data, "transform": transform}
