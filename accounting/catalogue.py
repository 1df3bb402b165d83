"""The metric and dimension catalogue (`cubes/catalogue.toml`), loaded once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from accounting.locations import CUBES_SQL


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    unit: str
    numerator: str
    scale: float
    description: str
    denominator: str | None = None
    multiplier: float = 1
    family: str = "htc"  # htc, gpu or cloud: which cube's sums it reads
    per_period: bool = False  # divided by the length of the period shown (an average over it)
    period_unit: str = "second"  # the unit of that length: "second" (GPUs from GPU time) or "month" (VMs)
    normalised: bool = False  # benchmark-normalised work

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    @property
    def title(self) -> str:
        return f"{self.name} ({self.unit})"

    def value(self, num, den=None) -> float | None:
        """The metric from its cube sums; None where a ratio has nothing to divide by.
        A per-period metric's `den` is the length of the period in its `period_unit`."""
        if self.is_ratio or self.per_period:
            if not den:
                return None
            if self.per_period and self.multiplier == 1 and isinstance(num, int) and num % den == 0:
                return num // den  # a count over whole months that divides evenly (a month's VMs) stays a count
            return self.multiplier * num / den
        if self.scale == 1:  # counts stay integers, also where a family's sums come as floats
            return int(num) if isinstance(num, float) and num.is_integer() else num
        return num / self.scale


@dataclass(frozen=True)
class Family:
    id: str
    sums: tuple[str, ...]  # the additive columns of the family's cubes, in order
    default: str  # the metric a page shows first
    metrics: tuple[str, ...]  # the family's metrics, in catalogue order


@dataclass(frozen=True)
class Catalogue:
    metrics: dict[str, Metric]
    families: dict[str, Family]
    dimensions: dict[str, dict]
    vo_groups: dict[str, dict]
    infra_filters: dict[str, dict]
    columns: dict[str, dict]
    storage_metrics: dict[str, dict]
    labels: dict[str, str]  # names of what the source leaves absent ('no VO', 'unknown benchmark')
    absent: dict[str, str]  # cube column -> label the site shows where it is NULL ('unknown NGI')
    explore: dict[str, dict] = None  # data type -> {cube, dimensions} of the explorer
    explore_units: dict[str, dict] = None  # the explorer's units of hour-type metrics
    legacy: dict = None  # the old portal's URL ids -> ours (accounting/site/legacy.py)
    wlcg: dict = None  # the LHC experiments' names by VO, and the name of every other VO's work
    summary: dict = None  # family -> the metrics of its multi-metric summary table

    def column(self, name: str) -> dict:
        return self.columns.get(name, {"description": "", "unit": ""})


@cache
def load() -> Catalogue:
    raw = tomllib.loads((CUBES_SQL / "catalogue.toml").read_text())
    metrics = {k: Metric(id=k, **v) for k, v in raw["metrics"].items()}
    families = {f: Family(f, tuple(v["sums"]), v["default"], tuple(m.id for m in metrics.values() if m.family == f))
                for f, v in raw["families"].items()}
    storage = {k: {"id": k, **v} for k, v in raw["storage_metrics"].items()}
    return Catalogue(metrics, families, raw["dimensions"], raw["vo_groups"], raw["infra_filters"], raw["columns"],
                     storage, raw["labels"], raw["absent"], raw.get("explore", {}),
                     raw.get("explore_units", {}), raw.get("legacy", {}), raw["wlcg"],
                     raw["summary"])


def sum_columns(family: str) -> tuple[str, ...]:
    return load().families[family].sums
