"""The demo federation's topology tables: `contracts.SITES`, `WLCG_SITES`, `VOS`, `DISCIPLINES` and `PLEDGES`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from accounting.source.contracts import DISCIPLINES, PLEDGES, SITES, VOS, WLCG_SITES
from accounting.source.demo import federation as fed


def _valid_from(sites: fed.Sites, s: int) -> dt.date:
    return dt.date(fed.FIRST_YEAR + sites.start[s] // 12, sites.start[s] % 12 + 1, 1)


def sites_table(sites: fed.Sites) -> pa.Table:
    """One row per site and period: a move to another NGI closes the first."""
    rows = []
    for s in sorted(np.flatnonzero(sites.registered), key=sites.names.__getitem__):
        name = sites.names[s]
        row = dict(Site=name, NGI=sites.ngi[s], Country=sites.country[s],
                   Infrastructure="OSG" if sites.ngi[s] == "OSG" else "EGI",
                   Certified=not sites.decommissioned[s], Production=bool(sites.production[s]),
                   ValidFrom=_valid_from(sites, s), ValidTo=None)
        if name in fed.SITE_NGI_MOVES:
            old, moved = fed.SITE_NGI_MOVES[name]
            rows.append({**row, "NGI": old, "ValidTo": moved})
            row["ValidFrom"] = moved
        rows.append(row)
    return pa.Table.from_pylist(rows, SITES.schema)


def federation_periods(sites: fed.Sites, s: int) -> list[tuple[str | None, dt.date, dt.date | None]]:
    """(federation, valid from, valid to) of a WLCG site's all-VO rows: a move or a spell
    of unknown federation splits them."""
    name, start, current = sites.names[s], _valid_from(sites, s), sites.federation[s]
    if name in fed.SITE_FEDERATION_MOVES:
        old, moved = fed.SITE_FEDERATION_MOVES[name]
        return [(old, start, moved), (current, moved, None)]
    if name in fed.SITE_FEDERATION_UNKNOWN:
        lost, found = fed.SITE_FEDERATION_UNKNOWN[name]
        return [(current, start, lost), (None, lost, found), (current, found, None)]
    return [(current, start, None)]


def wlcg_table(sites: fed.Sites) -> pa.Table:
    """The WLCG sites' tier and federation per period, and the per-VO rows (DESY)."""
    rows = []
    for s in sorted(np.flatnonzero(sites.registered), key=sites.names.__getitem__):
        name, tier = sites.names[s], sites.tier[s]
        if tier is None:
            continue
        rows += [dict(Site=name, VO=None, Tier=tier, Federation=f, ValidFrom=a, ValidTo=b)
                 for f, a, b in federation_periods(sites, s)]
        rows += [dict(Site=name, VO=vo, Tier=tier, Federation=f, ValidFrom=_valid_from(sites, s), ValidTo=None)
                 for (site, vo), f in sorted(fed.SITE_VO_FEDERATIONS.items()) if site == name]
    return pa.Table.from_pylist(rows, WLCG_SITES.schema)


def site_vo_federation(sites: fed.Sites, s: int, vo: str, day: dt.date) -> str | None:
    """The federation site s's work for vo counts in on day (the rows wlcg_table writes)."""
    if (sites.names[s], vo) in fed.SITE_VO_FEDERATIONS:
        return fed.SITE_VO_FEDERATIONS[sites.names[s], vo]
    return next((f for f, a, b in federation_periods(sites, s) if a <= day and (b is None or day < b)), None)


def vos_table(vos: fed.Vos) -> pa.Table:
    order = sorted(range(len(vos.names)), key=vos.names.__getitem__)
    return pa.table({"VO": [vos.names[i] for i in order], "EGIOfficial": vos.official[order],
                     "LHC": vos.lhc[order], "Discipline": [vos.discipline[i] for i in order]}, schema=VOS.schema)


def disciplines_table() -> pa.Table:
    return pa.Table.from_pylist([dict(Discipline=leaf, Level2=l2, Level1=l1) for leaf, l2, l1 in fed.discipline_rows()],
                                DISCIPLINES.schema)


def _sized(delivered: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pledges on the last axis (years) that the deliveries fulfil at 100-130%: each year's
    pledge is the mean of that year's and the two before it, over the ratio; the current
    year, still partial, is pledged at 8% above the last one."""
    kernel = np.ones(3) / 3
    padded = np.concatenate([delivered[..., :1], delivered[..., :1], delivered], axis=-1)
    mean = np.apply_along_axis(lambda x: np.convolve(x, kernel, "valid"), -1, padded)
    pledge = mean / rng.uniform(1.0, 1.3, mean.shape)
    if pledge.shape[-1] > 1:
        pledge[..., -1] = pledge[..., -2] * 1.08
    return np.round(pledge)


def pledges_table(sc: fed.Scale, sites: fed.Sites, vos: fed.Vos, usage: np.ndarray,
                  stored: dict[tuple[str, str, str, int], float], today: dt.date) -> pa.Table:
    """Pledges per federation and LHC experiment, sized on what was delivered (see _sized).

    usage: the normalised core-hours (HS23 h) each site delivered per year since FIRST_YEAR
    and VO; stored: the mean bytes held per site, VO, media and year (storage.yearly_use).
    Tape is pledged only where tape is used (the Tier-0 and Tier-1 federations)."""
    rng = np.random.default_rng([sc.seed, 5])
    years = np.arange(2008, today.year + 1)
    lhc = [v for v in fed.LHC_VOS if v in vos.names]
    wlcg = [s for s in range(len(sites.names)) if sites.tier[s] and sites.registered[s]]
    keys = sorted({site_vo_federation(sites, s, vo, dt.date(int(y), 7, 1)) for s in wlcg for vo in lhc
                   for y in years} - {None})
    delivered = np.zeros((3, len(keys), len(lhc), len(years)))  # CPU (HS23), disk, tape (TB)
    for s in wlcg:
        for e, vo in enumerate(lhc):
            for y, year in enumerate(years):
                name = site_vo_federation(sites, s, vo, dt.date(int(year), 7, 1))
                if name:
                    i = keys.index(name)
                    delivered[0, i, e, y] += usage[s, year - fed.FIRST_YEAR, vos.names.index(vo)] / (365 * 24)
                    delivered[1, i, e, y] += stored.get((sites.names[s], vo, "disk", int(year)), 0) / 1e12
                    delivered[2, i, e, y] += stored.get((sites.names[s], vo, "tape", int(year)), 0) / 1e12
    cpu, disk, tape = (_sized(d, rng) for d in delivered)
    rows = [dict(Federation=f, VO=vo, Year=int(year), CpuHS23=cpu[i, e, y], DiskTB=disk[i, e, y],
                 TapeTB=tape[i, e, y])
            for i, f in enumerate(keys) for e, vo in enumerate(lhc) for y, year in enumerate(years) if cpu[i, e, y] > 0]
    return pa.Table.from_pylist(rows, PLEDGES.schema)
