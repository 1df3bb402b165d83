"""The demo federation: a deterministic, EGI-like accounting source generated offline.

`federation` draws the shared federation (sites, VOs, the months, names) and its HTC
summaries; `storage`, `gpu` and `cloud` draw the other data types over the same sites and
VOs. `generate` writes all of it in the layout of `source.contracts`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from accounting.source.contracts import CLOUD, DISCIPLINES, GPU, GPU_MODELS, HTC, PLEDGES, SITES, STORAGE, VOS
from accounting.source.demo import cloud, federation, gpu, storage
from accounting.source.parquet import write_table

SCALES = federation.SCALES


def generate(source_dir: Path, scale: str = "default", today: dt.date | None = None,
             progress: bool = True) -> dict[str, int]:
    """Write the whole demo federation into source_dir (which exists and is empty).

    Returns the row count of every dataset, by dataset name."""
    sc, today = SCALES[scale], today or federation._today()
    sites, vos = federation._sites(sc), federation._vos(sc)
    fed = federation._Federation(sc, sites, vos, federation._site_vo_weights(sites, vos), today)
    rows = federation.write_months(HTC, source_dir, 0, today, fed.month, progress)
    storage_rows = storage.generate(source_dir, scale, sites, vos, fed.site_vo, today, progress)
    gpu_rows = gpu.generate(source_dir, scale, sites, vos, fed.site_vo, today, progress)
    cloud_rows = cloud.generate(source_dir, scale, sites, vos, fed.site_vo, today, progress)
    topology = {SITES: federation._sites_table(sites), VOS: federation._vos_table(vos),
                DISCIPLINES: federation._disciplines_table(),
                PLEDGES: federation._pledges_table(sc, fed, today), GPU_MODELS: gpu.models_table()}
    for dataset, table in topology.items():
        write_table(dataset, table, source_dir)
    return {HTC.name: rows, STORAGE.name: storage_rows, GPU.name: gpu_rows, CLOUD.name: cloud_rows,
            **{d.name: t.num_rows for d, t in topology.items()}}
