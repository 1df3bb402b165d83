"""The demo federation: a deterministic, EGI-like accounting source generated offline.

`federation` draws the shared federation (scales, sites, VOs, the months, names) from the
tables in `data/`; `htc`, `storage`, `gpu` and `cloud` draw each data type over the same
sites and VOs, and `topology` makes the topology tables. `generate` writes all of it in the
layout of `source.contracts`. Nothing imports this package's modules back up: they all
build on `federation` alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from accounting.source.contracts import (
    CLOUD,
    DISCIPLINES,
    GPU,
    GPU_MODELS,
    HTC,
    PLEDGES,
    SITES,
    STORAGE,
    VOS,
    WLCG_SITES,
)
from accounting.source.demo import cloud, federation, gpu, htc, storage, topology
from accounting.source.parquet import write_table

SCALES = federation.SCALES


def generate(source_dir: Path, scale: str = "default", today: dt.date | None = None,
             progress: bool = True) -> dict[str, int]:
    """Write the whole demo federation into source_dir (which exists and is empty).

    Returns the row count of every dataset, by dataset name."""
    sc, today = SCALES[scale], today or federation.today()
    sites, vos = federation.draw_sites(sc), federation.draw_vos(sc)
    site_vo = federation.site_vo_weights(sites, vos)
    months = htc.Months(sc, sites, vos, site_vo, today)
    rows = federation.write_months(HTC, source_dir, 0, today, months.month, progress)
    storage_rows = storage.generate(source_dir, scale, sites, vos, site_vo, today, progress)
    gpu_rows = gpu.generate(source_dir, scale, sites, vos, site_vo, today, progress)
    cloud_rows = cloud.generate(source_dir, scale, sites, vos, site_vo, today, progress)
    tables = {SITES: topology.sites_table(sites), WLCG_SITES: topology.wlcg_table(sites), VOS: topology.vos_table(vos),
              DISCIPLINES: topology.disciplines_table(),
              PLEDGES: topology.pledges_table(sc, sites, vos, months.usage, storage.yearly_use(source_dir),
                                              today), GPU_MODELS: gpu.models_table()}
    for dataset, table in tables.items():
        write_table(dataset, table, source_dir)
    return {HTC.name: rows, STORAGE.name: storage_rows, GPU.name: gpu_rows, CLOUD.name: cloud_rows,
            **{d.name: t.num_rows for d, t in tables.items()}}
