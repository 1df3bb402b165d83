"""The demo federation's topology tables: `contracts.SITES`, `VOS`, `DISCIPLINES` and `PLEDGES`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from accounting.source.contracts import DISCIPLINES, PLEDGES, SITES, VOS
from accounting.source.demo import federation as fed


def sites_table(sites: fed.Sites) -> pa.Table:
    """One row per site and period: a move to another NGI or federation closes the first."""
    moves = {**{site: ("NGI", old, day) for site, (old, day) in fed.SITE_NGI_MOVES.items()},
             **{site: ("Federation", old, day) for site, (old, day) in fed.SITE_FEDERATION_MOVES.items()}}
    rows = []
    for s in sorted(np.flatnonzero(sites.registered), key=sites.names.__getitem__):
        name = sites.names[s]
        row = dict(Site=name, NGI=sites.ngi[s], Country=sites.country[s], Tier=sites.tier[s],
                   Federation=sites.federation[s], Infrastructure="OSG" if sites.ngi[s] == "OSG" else "EGI",
                   Certified=not sites.decommissioned[s], Production=bool(sites.production[s]),
                   ValidFrom=dt.date(fed.FIRST_YEAR + sites.start[s] // 12, sites.start[s] % 12 + 1, 1), ValidTo=None)
        if name in moves:
            column, old, moved = moves[name]
            rows.append({**row, column: old, "ValidTo": moved})
            row["ValidFrom"] = moved
        rows.append(row)
    return pa.Table.from_pylist(rows, SITES.schema)


def vos_table(vos: fed.Vos) -> pa.Table:
    order = sorted(range(len(vos.names)), key=vos.names.__getitem__)
    return pa.table({"VO": [vos.names[i] for i in order], "EGIOfficial": vos.official[order],
                     "LHC": vos.lhc[order], "Discipline": [vos.discipline[i] for i in order]}, schema=VOS.schema)


def disciplines_table() -> pa.Table:
    return pa.Table.from_pylist([dict(Discipline=leaf, Level2=l2, Level1=l1) for leaf, l2, l1 in fed.discipline_rows()],
                                DISCIPLINES.schema)


def pledges_table(sc: fed.Scale, sites: fed.Sites, usage: np.ndarray, today: dt.date) -> pa.Table:
    """Pledges sized on what each federation delivered: sites deliver 100-130% of their pledge.

    usage: the normalised core-hours (HS23 h) each site delivered per year since FIRST_YEAR.
    The current year, still partial, is pledged at 8% above the last one; pledges never shrink."""
    rng = np.random.default_rng([sc.seed, 5])
    years = np.arange(2008, today.year + 1)
    federations = sorted({f for f in sites.federation if f} | {old for old, _ in fed.SITE_FEDERATION_MOVES.values()})
    delivered = np.zeros((len(federations), len(years)))
    for s, federation in enumerate(sites.federation):
        for y, year in enumerate(years):
            old, moved = fed.SITE_FEDERATION_MOVES.get(sites.names[s], (federation, dt.date.min))
            name = old if dt.date(year, 7, 1) < moved else federation
            if name:
                delivered[federations.index(name), y] += usage[s, year - fed.FIRST_YEAR] / (365 * 24)
    cpu = np.maximum.accumulate(delivered / rng.uniform(1.0, 1.3, delivered.shape), axis=1)
    if len(years) > 1:
        cpu[:, -1] = cpu[:, -2] * 1.08
    cpu = np.round(cpu)
    disk = np.round(cpu * 0.12 * 1.03 ** (years - 2008) * rng.uniform(0.9, 1.1, cpu.shape))
    with_tape = {f for f, tier in zip(sites.federation, sites.tier) if tier in ("Tier-0", "Tier-1")}
    tape = np.round(cpu * 0.18 * 1.04 ** (years - 2008) * rng.uniform(0.9, 1.1, cpu.shape))
    tape *= np.array([f in with_tape for f in federations])[:, None]
    rows = [dict(Federation=f, Year=int(year), CpuHS23=cpu[i, y], DiskTB=disk[i, y], TapeTB=tape[i, y])
            for i, f in enumerate(federations) for y, year in enumerate(years) if cpu[i, y] > 0]
    return pa.Table.from_pylist(rows, PLEDGES.schema)
