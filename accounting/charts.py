"""Vega-Lite chart specs, built once per kind with Altair; pages only fill in their data.

Building an Altair chart costs ~20 ms, so each kind is made once and each page copies the
dict and sets its `datasets`. The browser renders them with the site's own Vega bundle.
"""

from __future__ import annotations

import json
from functools import cache

import altair as alt

from .contracts import BENCHMARKS

DATA = "values"
_WIDTH = "container"


# Short field names: every page carries a few hundred data points inline.
SERIES, ORDER, COLUMN, VALUE = "s", "o", "c", "v"


def _tooltip(y_title: str):
    return [alt.Tooltip(f"{SERIES}:N", title="Series"), alt.Tooltip(f"{COLUMN}:O", title="Period"),
            alt.Tooltip(f"{VALUE}:Q", title=y_title, format=",.2f")]


@cache
def _base(kind: str, y_title: str, x_title: str) -> str:
    data = alt.NamedData(DATA)
    color = alt.Color(f"{SERIES}:N", title=None, sort=alt.EncodingSortField(ORDER, op="min"),
                      legend=alt.Legend(orient="bottom", columns=4, labelLimit=220))
    x = alt.X(f"{COLUMN}:O", title=x_title, sort=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))
    if kind == "stacked":
        chart = alt.Chart(data).mark_bar().encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title, stack="zero"), color=color,
            order=alt.Order(f"{ORDER}:Q", sort="ascending"), tooltip=_tooltip(y_title))
    elif kind == "share":
        # Benchmark shares: one colour per benchmark on every page, in historical order.
        color = alt.Color(f"{SERIES}:N", title=None, scale=alt.Scale(domain=list(BENCHMARKS)),
                          legend=alt.Legend(orient="bottom"))
        chart = alt.Chart(data).mark_bar().encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title, stack="normalize", axis=alt.Axis(format="%")),
            color=color, order=alt.Order(f"{ORDER}:Q", sort="ascending"), tooltip=_tooltip(y_title))
    elif kind == "line":
        chart = alt.Chart(data).mark_line(point=True).encode(
            x=x, y=alt.Y(f"{VALUE}:Q", title=y_title), color=color, tooltip=_tooltip(y_title))
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    return json.dumps(chart.properties(width=_WIDTH, height=280).to_dict())


def spec(kind: str, y_title: str, values: list[dict], x_title: str = "") -> dict:
    out = json.loads(_base(kind, y_title, x_title))
    out["datasets"] = {DATA: values}
    return out


def script_json(obj: dict) -> str:
    """JSON safe to place inside a <script type="application/json"> element."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")


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
