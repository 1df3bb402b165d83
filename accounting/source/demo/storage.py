"""Storage accounting in the demo federation: APEL StAR records (`contracts.STORAGE`).

Some of the demo's sites (every Tier-0/1, then mostly large Tier-2s, a few others) run a
storage service with one to four shares (space tokens or pools) on disk, and on tape at the
Tier-0/1 and the biggest Tier-2s. At every snapshot a site publishes one record per share and
VO entry (Group, SubGroup, Role): daily at ~30% of the sites, weekly at ~50%, every 10-40
days at the rest, at irregular times of day, from about 2015 (never before the site itself)
until `today`. Capacities grow over the years. Every draw comes from one numpy Generator
seeded by the scale's seed, so the same scale and "today" give the same records.

Defects that real StAR data has are injected at every scale (their sites are in the small
federation and always publish storage) for the data-quality checks to find: REPUBLISHED (a
snapshot record published again later with other values: the later one is the truth),
GAP_SITES (a calendar month without any snapshot), STOPPED_SITES (reports that stopped months
before today) and OVER_ALLOCATED_RECORDS (used > allocated). Apart from those, every site
has a snapshot in every calendar month from its first to today's, every record's key is
unique, LogicalCapacityUsed <= ResourceCapacityUsed <= ResourceCapacityAllocated.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from accounting.source.contracts import APEL_NONE, STAR_LOOKUP_COLUMNS, STORAGE, UTC_TS
from accounting.source.demo import federation as fed
from accounting.source.parquet import write_partition


@dataclass(frozen=True)
class Size:
    """How much of the storage accounting a demo scale has."""

    sites: int  # storage sites
    max_shares: int  # storage shares per site
    max_entries: int  # VO entries (Group, SubGroup, Role) per share


SIZES = {"small": Size(12, 2, 1), "default": Size(80, 4, 3), "egi": Size(80, 4, 3)}

# Injected defects, present at every scale.
# Site -> months (year, month) in each of which one snapshot record is published twice.
REPUBLISHED = {"RAL-LCG2": ((2017, 6), (2023, 2)), "DESY-HH": ((2019, 3), (2021, 10)),
               "praguelcg2": ((2016, 9), (2020, 1), (2024, 5))}
REPUBLISHED_SITES = tuple(REPUBLISHED)
GAP_SITES = {"IFCA-LCG2": (2019, 11), "praguelcg2": (2022, 2)}  # site -> month without snapshots
# Site -> n: no snapshot from the first day of the month n months before today's month on
# (the last one is 4-8 months old).
STOPPED_SITES = {"NCG-INGRID-PT": 4, "DESY-HH": 6}
OVER_ALLOCATED_RECORDS = 8  # records with ResourceCapacityUsed > ResourceCapacityAllocated

_DAY, _YEAR = 86_400, 365.25 * 86_400
_FOREVER = 2**62
_STORAGE_FROM = (2015, 1)  # storage accounting starts
_CADENCES = ("daily", "weekly", "sparse")
_FIRST_INTERVAL = {"daily": _DAY, "weekly": 7 * _DAY, "sparse": 30 * _DAY}  # StartTime of an entry's first record
_ORGS = {"CH": "CERN", "IT": "INFN", "FR": "CNRS", "DE": "DESY", "UK": "STFC", "ES": "CSIC", "CZ": "CESNET",
         "NL": "Nikhef", "PT": "LIP", "PL": "Cyfronet", "JP": "KEK", "US": "OSG"}
_STRINGS = ("Site", "StorageSystem", "StorageShare", "StorageMedia", "StorageClass", "DirectoryPath",
            "LocalUser", "LocalGroup", "UserIdentity", "Group", "SubGroup", "Role")


def generate(source_dir: Path, scale: str, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray,
             today: dt.date, progress: bool = True) -> int:
    """Write the storage month partitions of the demo federation; returns the row count.

    sites, vos and site_vo (the VOs' share of each site's jobs) are the demo federation's."""
    size, rng = SIZES[scale], np.random.default_rng([fed.SCALES[scale].seed, 6])
    today_ts = fed.timestamp(today)
    today_m = fed.month_index(today.year, today.month)
    entries, parts = _Entries(), []
    for s, cadence in _choose_sites(rng, sites, size, today_m):
        first = len(entries.start)
        _site_entries(rng, entries, sites, vos, site_vo, size, s, today_m)
        if len(entries.start) == first:  # no VO active long enough
            continue
        stop = min(today_ts, fed.epoch(today_m - STOPPED_SITES.get(sites.names[s], -1)))
        times = _snapshots(rng, cadence, entries.start[first], stop, GAP_SITES.get(sites.names[s]))
        parts.append(_site_rows(rng, entries, first, times, _FIRST_INTERVAL[cadence], today_ts))
    records = entries.values(rng, *(np.concatenate(x) for x in zip(*parts)))
    changed = _republish(rng, records, entries, today_ts)
    _over_allocate(rng, records, changed)
    table, month = _table(rng, entries, records)
    bounds = np.flatnonzero(np.r_[True, month[1:] != month[:-1], True])
    for lo, hi in tqdm(list(zip(bounds[:-1], bounds[1:])), desc="demo storage months", unit="month",
                       file=sys.stderr, disable=not progress):
        write_partition(STORAGE, table.slice(lo, hi - lo), source_dir, 1970 + month[lo] // 12, month[lo] % 12 + 1)
    return table.num_rows


def _month_of(ts: np.ndarray) -> np.ndarray:
    """Months since January 1970 of timestamps (seconds since 1970, UTC)."""
    return np.asarray(ts, np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def _month_start(month) -> np.ndarray:
    """Seconds since 1970 of the start of months since January 1970."""
    return np.asarray(month, np.int64).astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)


def _choose_sites(rng: np.random.Generator, sites: fed.Sites, size: Size, today_m: int) -> list[tuple[int, str]]:
    """(site, cadence) in site name order: the defect sites, then a draw weighted by size
    that takes every Tier-0/1 first and prefers Tier-2s; cadences in fixed proportions."""
    forced = [sites.names.index(name) for name in sorted({*REPUBLISHED, *GAP_SITES, *STOPPED_SITES})]
    eligible = sites.registered & ~sites.decommissioned & (sites.start <= today_m - 24)
    weight = sites.size * np.array([1e6, 1e6, 4.0, 1.0])[_tier(sites)]
    chosen = fed.choose_sites(rng, sites.names, forced, eligible, weight, [(eligible, size.sites - len(forced))])
    daily, weekly = round(0.3 * len(chosen)), round(0.5 * len(chosen))
    cadence = np.repeat([0, 1, 2], [daily, weekly, len(chosen) - daily - weekly])[rng.permutation(len(chosen))]
    return [(s, _CADENCES[c]) for s, c in zip(chosen, cadence)]


def _tier(sites: fed.Sites) -> np.ndarray:
    return np.array([{"Tier-0": 0, "Tier-1": 1, "Tier-2": 2}.get(t, 3) for t in sites.tier])


@dataclass
class _Entries:
    """One storage share and VO entry of a site per item: what its records share."""

    strings: dict[str, list] = field(default_factory=lambda: {c: [] for c in _STRINGS})
    site_rank: list[int] = field(default_factory=list)  # sites in name order
    start: list[int] = field(default_factory=list)  # first and end of its records (s since 1970)
    end: list[int] = field(default_factory=list)
    base: list[float] = field(default_factory=list)  # bytes used at start
    growth: list[float] = field(default_factory=list)  # per year, logarithmic
    headroom: list[float] = field(default_factory=list)  # allocated / trend of used; NaN: not published
    logical: list[float] = field(default_factory=list)  # logical / used; NaN: not published
    file_size: list[float] = field(default_factory=list)  # bytes per file
    wave: list[tuple[float, float, float]] = field(default_factory=list)  # amplitude, cycles per year, phase

    def add(self, **item) -> None:
        for c in _STRINGS:
            self.strings[c].append(item.pop(c))
        for name, value in item.items():
            getattr(self, name).append(value)

    def values(self, rng: np.random.Generator, e: np.ndarray, end: np.ndarray, start: np.ndarray,
               create: np.ndarray) -> dict[str, np.ndarray]:
        """Capacities of records (entry e, snapshot at end): growth, a seasonal wave and noise.
        Allocations step up once a year to headroom x the trend, so they stay above used."""
        base, growth, wave = np.array(self.base)[e], np.array(self.growth)[e], np.array(self.wave)[e]
        years = (end - np.array(self.start)[e]) / _YEAR
        noise = 1 + wave[:, 0] * np.sin(2 * np.pi * (wave[:, 1] * end / _YEAR + wave[:, 2]))
        used = np.floor(base * np.exp(growth * years) * noise * rng.lognormal(0, 0.004, len(e)))
        logical = np.floor(used * np.array(self.logical)[e])
        return {"e": e, "end": end, "start": start, "create": create, "used": used, "logical": logical,
                "allocated": np.floor(base * np.exp(growth * (np.floor(years) + 1)) * np.array(self.headroom)[e]),
                "files": np.floor(used / np.array(self.file_size)[e] * rng.lognormal(0, 0.003, len(e)))}


def _site_entries(rng: np.random.Generator, entries: _Entries, sites: fed.Sites, vos: fed.Vos,
                  site_vo: np.ndarray, size: Size, s: int, today_m: int) -> None:
    """The shares of site s, most important first, and their VO entries."""
    name, tier, cc = sites.names[s], int(_tier(sites)[s]), fed.COUNTRY_CODES[sites.country[s]]
    domain = fed.site_domain(name, sites.country[s])
    delay = 0 if name in {*REPUBLISHED, *GAP_SITES, *STOPPED_SITES} else rng.integers([6, 6, 36, 72][tier])
    first_m = max(int(sites.start[s]), fed.month_index(*_STORAGE_FROM) + int(delay))
    flavour = "eos" if tier == 0 else "dcache" if tier == 1 else rng.choice(["dpm", "dcache", "storm", "xrootd"],
                                                                            p=[.45, .25, .2, .1])
    site = dict(Site=name, rank=len(set(entries.site_rank)), tier=tier, size=sites.size[s], cc=cc, domain=domain,
                start=fed.epoch(first_m) + int(rng.uniform(1, 20) * _DAY), today_m=today_m,
                root={"dpm": f"/dpm/{domain}/home", "dcache": f"/pnfs/{domain}/data", "storm": "/storage",
                      "xrootd": "/xrootd", "eos": "/eos"}[flavour],
                DirectoryPath=rng.random() < 0.9, LocalUser=rng.random() < 0.45, logical=rng.random() < 0.88)
    weight = site_vo[s] * (vos.end >= 10**6) * (vos.start <= today_m - 24)  # VOs active for two years
    weight[np.isin(vos.names, ["ops", "dteam"])] = 0
    ranked = [vos.names[v] for v in np.argsort(-weight, kind="stable") if weight[v] > 0]
    lhc = [vo for vo in ranked if vo in fed.LHC_VOS]
    others = [vo for vo in ranked if vo not in fed.LHC_VOS]
    # (share, media, kind, [(Group, SubGroup, Role, has a UserIdentity)])
    lhc_disk = [(_lhc_disk_share(vo, tier), "disk", "lhc", _lhc_entries(rng, vo, cc)) for vo in lhc]
    pool = [(f"{_unix(vo)}-pool", "disk", "pool", [(vo, None, None, rng.random() < 0.3)]
             + ([(vo, None, "production", False)] if rng.random() < 0.3 else [])) for vo in others[:1]]
    shared = [("SHARED_DISK", "disk", "shared", [(vo, None, None, False) for vo in others[1:]])][:len(others[1:])]
    if tier == 3:
        shares = pool + shared + lhc_disk
    else:
        tape = int(tier <= 1 or sites.size[s] > 2.5)  # and the biggest Tier-2s
        archive = [("TAPE_ARCHIVE", "tape", "tape", [(vo, None, "production", False) for vo in lhc or others])]
        atlas = [("ATLASSCRATCHDISK", "disk", "scratch", [("atlas", None, None, False)]),
                 ("ATLASLOCALGROUPDISK", "disk", "user", [("atlas", _subgroup(rng, "atlas", cc), None, True)])]
        atlas = atlas if "atlas" in lhc else []
        more = lhc_disk[1:] + pool if tier <= 1 else pool + lhc_disk[1:]  # a Tier-2 serves other VOs early on
        shares = lhc_disk[:1] + archive[:tape] + more + atlas[:1] + shared + atlas[1:]
    n_shares = size.max_shares if tier <= 1 else rng.integers(1, size.max_shares + 1)
    for k, (share, media, kind, items) in enumerate(shares[:n_shares]):
        _share_entries(rng, entries, site, k, share, media, kind, items[:size.max_entries])


def _share_entries(rng: np.random.Generator, entries: _Entries, site: dict, k: int, share: str, media: str,
                   kind: str, items: list[tuple]) -> None:
    """The VO entries of one share: they split its volume and grow at its pace."""
    start = site["start"]
    if k and rng.random() < 0.35:  # a share added later
        start = min(start + int(rng.uniform(0, 4) * _YEAR), fed.epoch(site["today_m"] - 12))
    end = start + int(rng.uniform(2, 6) * _YEAR) if k and rng.random() < 0.05 else _FOREVER  # a share retired
    volume = _volume(rng, site, kind, items[0][0])
    growth = rng.uniform(0.12, 0.2) if media == "tape" else rng.uniform(0.08, 0.18)
    volume *= np.exp(growth * max(0, (start - fed.epoch(fed.month_index(*_STORAGE_FROM))) / _YEAR))
    storage_class = "custodial" if media == "tape" else rng.choice([None, "replicated", "pinned"], p=[.65, .25, .1])
    logical = 1.0 if media == "tape" else 0.5 if storage_class == "replicated" else rng.uniform(0.92, 1.0)
    headroom = np.nan if rng.random() < 0.12 else rng.uniform(1.1, 1.6)
    split = np.r_[1.0, rng.lognormal(-1, 0.5, len(items) - 1)]
    file_size = {"lhc": 2.2e9, "tape": 4e9, "scratch": 3e8, "user": 1.5e9}.get(kind, 1.2e8) * rng.lognormal(0, 0.3)
    for (vo, subgroup, role, personal), part in zip(items, split / split.sum()):
        unix = _unix(vo)
        local = f"{unix}prd" if role else f"{unix}{rng.integers(1, 200):03d}" if personal else unix
        entries.add(
            Site=site["Site"], StorageSystem=f"{'tape' if media == 'tape' else 'se'}01.{site['domain']}",
            StorageShare=share, StorageMedia=media, StorageClass=storage_class,
            DirectoryPath=f"{site['root']}/{vo}/{share.lower()}" if site["DirectoryPath"] else None,
            LocalUser=local if site["LocalUser"] else None, LocalGroup=unix if site["LocalUser"] else None,
            UserIdentity=_dn(rng, site["cc"]) if personal else None, Group=vo, SubGroup=subgroup, Role=role,
            site_rank=site["rank"], start=start, end=end, base=volume * part, growth=growth + rng.normal(0, 0.01),
            headroom=headroom, logical=logical if site["logical"] else np.nan, file_size=file_size,
            wave=(rng.uniform(0.001, 0.005) if media == "tape" else rng.uniform(0.005, 0.03),
                  rng.uniform(0.5, 4), rng.uniform()))


def _volume(rng: np.random.Generator, site: dict, kind: str, vo: str) -> float:
    """Bytes a share held in 2015: Tier-0/1 shares hold hundreds of TB, other sites' a few TB."""
    wlcg = site["tier"] <= 2
    tb = [700.0, 110.0 * site["size"], 50.0 * site["size"], 8.0 * site["size"]][site["tier"]]
    share = {"lhc": {"atlas": 1.0, "cms": 0.8}.get(vo, 0.5), "tape": 1.2, "scratch": 0.12, "user": 0.08,
             "pool": 0.1 if wlcg else 1.0, "shared": 0.05 if wlcg else 0.5}[kind]
    return tb * share * rng.lognormal(0, 0.35) * 1e12


def _lhc_disk_share(vo: str, tier: int) -> str:
    if tier == 3:  # a Tier-3 keeps its LHC users' data
        return {"atlas": "ATLASLOCALGROUPDISK"}.get(vo, f"{vo.upper()}_T3_DISK")
    return {"atlas": "ATLASDATADISK", "cms": f"CMS_T{tier}_DISK", "alice": "ALICE_DISK", "lhcb": "LHCb-Disk"}[vo]


def _lhc_entries(rng: np.random.Generator, vo: str, cc: str) -> list[tuple]:
    """Production data (no UserIdentity), the national group's data (with its manager's
    UserIdentity), or both."""
    production, national = (vo, None, "production", False), (vo, _subgroup(rng, vo, cc), None, True)
    draw = rng.random()
    return [production] if draw < 0.45 else [national] if draw < 0.7 else [production, national]


def _subgroup(rng: np.random.Generator, vo: str, cc: str) -> str | None:
    """The VO's national subgroup (atlas: de, cms: dcms, ...), another one, or None."""
    subgroups = fed.VO_SUBGROUPS.get(vo, ())
    if not subgroups:
        return None
    national = [g for g in subgroups if g.removesuffix("cms") in (cc.lower(), cc.lower()[0])]
    return (national or subgroups)[0 if national else rng.integers(len(subgroups))]


def _unix(vo: str) -> str:
    """A local account name for the VO: atlas, biomed, access (vo.access.egi.eu), km3net."""
    parts = vo.split(".")
    return re.sub("[^a-z0-9]", "", (parts[1] if parts[0] == "vo" and len(parts) > 1 else parts[0]).lower())[:8]


def _dn(rng: np.random.Generator, cc: str) -> str:
    first, last = fed.FIRST_NAMES[rng.integers(len(fed.FIRST_NAMES))], fed.LAST_NAMES[rng.integers(len(fed.LAST_NAMES))]
    return (f"/DC=org/DC=terena/DC=tcs/C={ {'UK': 'GB'}.get(cc, cc)}/O={_ORGS.get(cc, 'University')}"
            f"/CN={first} {last} {rng.integers(100_000, 1_000_000)}")


def _snapshots(rng: np.random.Generator, cadence: str, first: int, stop: int,
               gap: tuple[int, int] | None) -> np.ndarray:
    """Snapshot moments in [first, stop), sorted: every calendar month in between has one,
    but the gap month has none."""
    if cadence == "daily":  # around a fixed hour, a missed day now and then
        days = np.arange(first // _DAY, -(-stop // _DAY))
        jitter = np.clip(rng.normal(0, 1800, len(days)), -5400, 5400)
        times = (days * _DAY + rng.integers(24 * 3600) + jitter)[rng.random(len(days)) > 0.015]
    elif cadence == "weekly":
        weeks = np.arange((stop - first) // (7 * _DAY) + 1)
        times = first + weeks * 7 * _DAY + rng.integers(-20 * 3600, 20 * 3600, len(weeks))
    else:
        steps = rng.uniform(10, 40, (stop - first) // (10 * _DAY) + 1) * _DAY
        times = first + np.cumsum(steps) - steps[0]
    times = times.astype(np.int64)
    times = times[(times >= first) & (times < stop)]
    missing = np.setdiff1d(np.arange(_month_of(first), _month_of(stop - 1) + 1), _month_of(times))
    lo, hi = np.maximum(_month_start(missing), first), np.minimum(_month_start(missing + 1), stop)
    times = np.sort(np.r_[times, lo + (rng.random(len(missing)) * (hi - lo)).astype(np.int64)])
    if gap:
        times = times[_month_of(times) != (gap[0] - 1970) * 12 + gap[1] - 1]
    return times


def _site_rows(rng: np.random.Generator, entries: _Entries, first: int, times: np.ndarray, interval: int,
               today_ts: int) -> tuple[np.ndarray, ...]:
    """Entry, EndTime, StartTime and CreateTime of a site's records: one per snapshot and
    entry in use. A record starts where the entry's previous one ended."""
    ids = np.arange(first, len(entries.start))
    active = ((times >= np.array(entries.start)[ids, None]) & (times < np.array(entries.end)[ids, None]))
    entry, snap = np.nonzero(active)  # entry-major: snapshots in time order within an entry
    end = times[snap]
    new = np.r_[True, entry[1:] != entry[:-1]]
    start = np.where(new, end - interval, times[snap - 1])
    published = rng.integers(300, 6 * 3600, len(times))  # the site publishes a snapshot's records together
    create = np.minimum(end + published[snap] + rng.integers(0, 60, len(snap)), today_ts - 1)
    return ids[entry], end, start, create


def _republish(rng: np.random.Generator, records: dict, entries: _Entries, today_ts: int) -> np.ndarray:
    """Publish the first record of each REPUBLISHED month again, days later and corrected
    down; returns the rows of both records."""
    month, site = _month_of(records["end"]), np.array(entries.site_rank)[records["e"]]
    rank = dict(zip(entries.strings["Site"], entries.site_rank))
    picked = []
    for name, months in REPUBLISHED.items():
        for year, m in months:
            rows = np.flatnonzero((site == rank[name]) & (month == (year - 1970) * 12 + m - 1))
            if len(rows):  # none if today is earlier
                picked.append(rows[np.lexsort((records["e"][rows], records["end"][rows]))[0]])
    picked, n = np.array(picked, np.int64), len(records["e"])
    again = {k: v[picked] for k, v in records.items()}
    again["create"] = np.minimum(again["create"] + (rng.uniform(1, 10, len(picked)) * _DAY).astype(np.int64),
                                 today_ts - 1)
    factor = rng.uniform(0.85, 0.97, len(picked))
    for k in ("used", "logical", "files"):
        again[k] = np.floor(again[k] * factor)
    for k, v in again.items():
        records[k] = np.r_[records[k], v]
    return np.r_[picked, np.arange(n, n + len(picked))]


def _over_allocate(rng: np.random.Generator, records: dict, changed: np.ndarray) -> None:
    """A few records of full shares: used above allocated."""
    candidates = ~np.isnan(records["allocated"])
    candidates[changed] = False
    rows = rng.choice(np.flatnonzero(candidates), OVER_ALLOCATED_RECORDS, replace=False)
    records["allocated"][rows] = np.floor(records["used"][rows] * rng.uniform(0.85, 0.98, len(rows)))


def _table(rng: np.random.Generator, entries: _Entries, records: dict) -> tuple[pa.Table, np.ndarray]:
    """All records in the contract's columns, sorted by month, site, EndTime and entry; and
    each row's month (since January 1970)."""
    month = _month_of(records["end"])
    order = np.lexsort((records["create"], records["e"], records["end"], np.array(entries.site_rank)[records["e"]],
                        month))
    r, month = {k: v[order] for k, v in records.items()}, month[order]
    take = pa.array(r["e"])

    def count(x: np.ndarray) -> pa.Array:
        return pa.array(np.nan_to_num(x).astype(np.uint64), mask=np.isnan(x))

    table = pa.table({
        "RecordId": _uuids(rng, len(order)), "CreateTime": pa.array(r["create"], UTC_TS),
        # APEL's StAR tables hold a lookup id for every name: where a record has none, the
        # loader looks up the text 'None' (contracts.APEL_NONE).
        **{c: _apel_text(c, pa.array(v, pa.string()).take(take)) for c, v in entries.strings.items()},
        "FileCount": count(r["files"]), "StartTime": pa.array(r["start"], UTC_TS),
        "EndTime": pa.array(r["end"], UTC_TS), "ResourceCapacityUsed": count(r["used"]),
        "LogicalCapacityUsed": count(r["logical"]), "ResourceCapacityAllocated": count(r["allocated"]),
        "Year": (1970 + month // 12).astype(np.int32), "Month": (month % 12 + 1).astype(np.int32)})
    return table, month


def _apel_text(column: str, values: pa.Array) -> pa.Array:
    """APEL's StAR tables hold a lookup id for every name: where a record has none, its
    loader looks up the text 'None'."""
    return pc.fill_null(values, APEL_NONE) if column in STAR_LOOKUP_COLUMNS else values


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """n distinct random (version 4) UUIDs as text, built as bytes in one go."""
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = raw[:, 6] & 0x0F | 0x40
    raw[:, 8] = raw[:, 8] & 0x3F | 0x80
    hex_digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    text = np.insert(np.stack([hex_digits[raw >> 4], hex_digits[raw & 15]], axis=2).reshape(n, 32),
                     [8, 12, 16, 20], ord("-"), axis=1)
    ids = pa.array(np.ascontiguousarray(text).view("S36").ravel()).cast(pa.string())
    if pc.count_distinct(ids).as_py() != n:
        raise AssertionError("demo storage: RecordId collision")
    return ids


def yearly_use(source_dir: Path) -> dict[tuple[str, str, str, int], float]:
    """The mean bytes each site held per VO, media and year in the storage just written
    (what the demo's disk and tape pledges are sized on)."""
    paths = sorted(STORAGE.path(source_dir).glob("year=*/month=*/*.parquet"))
    if not paths:
        return {}
    t = pa.concat_tables(pq.read_table(p, columns=["Site", "Group", "StorageMedia", "ResourceCapacityUsed", "EndTime"])
                         for p in paths)
    t = t.append_column("y", pc.year(t["EndTime"])).drop_columns(["EndTime"])
    g = t.group_by(["Site", "Group", "StorageMedia", "y"]).aggregate([("ResourceCapacityUsed", "mean")])
    return {(site, vo, str(media).lower(), y): used for site, vo, media, y, used in
            zip(*(g[c].to_pylist() for c in ("Site", "Group", "StorageMedia", "y", "ResourceCapacityUsed_mean")))}
