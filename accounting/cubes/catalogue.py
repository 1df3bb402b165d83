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
    per_period: bool = False  # divided by the seconds of the period shown (an average over it)

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    @property
    def title(self) -> str:
        return f"{self.name} ({self.unit})"

    def value(self, num, den=None) -> float | None:
        """The metric from its cube sums; None where a ratio has nothing to divide by.
        A per-period metric's `den` is the length of the period in seconds."""
        if self.is_ratio or self.per_period:
            return None if not den else self.multiplier * num / den
        if self.scale == 1:  # counts stay integers, also where a family's sums come as floats
            return int(num) if isinstance(num, float) and num.is_integer() else num
        return num / self.scale


@dataclass(frozen=True)
class Catalogue:
    metrics: dict[str, Metric]
    dimensions: dict[str, dict]
    vo_groups: dict[str, dict]
    infra_filters: dict[str, dict]
    columns: dict[str, dict]
    storage_metrics: dict[str, dict]

    def column(self, name: str) -> dict:
        return self.columns.get(name, {"description": "", "unit": ""})


@cache
def load() -> Catalogue:
    raw = tomllib.loads((CUBES_SQL / "catalogue.toml").read_text())
    metrics = {k: Metric(id=k, **v) for k, v in raw["metrics"].items()}
    storage = {k: {"id": k, **v} for k, v in raw["storage_metrics"].items()}
    return Catalogue(metrics, raw["dimensions"], raw["vo_groups"], raw["infra_filters"], raw["columns"], storage)


# Sum columns every HTC cube carries, in catalogue order (cubes/macros.sql: htc_sum_column).
SUM_COLUMNS = ("njobs", "cpu_s", "normcpu_s", "wall_s", "normwall_s", "wall_proc_s", "normwall_proc_s")
# The GPU cube's (gpu_sum_column).
GPU_SUM_COLUMNS = ("gpu_available_s", "gpu_active_s", "gpu_normalised_s", "gpu_records")
# The cloud cube's (cloud_sum_column).
CLOUD_SUM_COLUMNS = ("cloud_vms", "cloud_wall_s", "cloud_cpu_s", "cloud_core_s", "cloud_normalised_s",
                     "cloud_memory_mb", "cloud_disk_gb", "cloud_net_in_gb", "cloud_net_out_gb")
FAMILY_SUM_COLUMNS = {"htc": SUM_COLUMNS, "gpu": GPU_SUM_COLUMNS, "cloud": CLOUD_SUM_COLUMNS}
