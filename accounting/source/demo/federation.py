"""The shared demo federation: scales, months, sites, VOs and users, and the helpers every
data type's draws use.

The same scale and "today" give byte-identical files: every draw comes from a numpy
Generator seeded by a fixed seed (topology: the same federation at every scale) or the
scale's seed and the month (the data types), names are sorted before they become keys, and
nothing reads the clock but `today()`. The federation's tables (sites, countries,
disciplines, VOs, names) are text files in `DEMO_DATA`, read by `load`.

A few defects that real accounting data has are injected on purpose (DEFECT_* below, drawn
by `htc`) so the data-quality page has something to report; their sites are pinned here.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from accounting.locations import DEMO_DATA
from accounting.source.contracts import Dataset
from accounting.source.parquet import write_partition


@dataclass(frozen=True)
class Scale:
    """How big a demo federation is; the seed drives its HTC draws."""

    seed: int
    small_federation: bool  # only the sites marked * in data/federation.txt (~40 sites, 12 NGIs)
    n_vos: int
    samples_per_month: int  # draws per month on the post-2015 plateau, before merging keys
    users_per_vo: int  # personal DNs of the most popular VO (atlas)


SCALES = {
    "small": Scale(seed=101, small_federation=True, n_vos=30, samples_per_month=170, users_per_vo=60),
    "default": Scale(seed=102, small_federation=False, n_vos=150, samples_per_month=6_600, users_per_vo=600),
    "egi": Scale(seed=103, small_federation=False, n_vos=150, samples_per_month=92_000, users_per_vo=6_000),
}

FIRST_YEAR = 2004
_TOPOLOGY_SEED = 2004  # one federation for every scale: the scale's seed only drives the HTC draws
LHC_VOS = ("alice", "atlas", "cms", "lhcb")

# Injected defects, present at every scale (months are inclusive (year, month) ranges).
DEFECT_UNKNOWN_SITES = ("T3_US_NotreDame", "UNREGISTERED-CE-SITE")  # in HTC, not in SITES
# Spellings some clients publish (spelling -> VO in VOS): APEL's lookups give them the id of
# the VO's first spelling, so the database holds no such name (demo --to-db publishes them
# in the job records and summaries it sends through the procedures).
DEFECT_VO_SPELLINGS = {"ATLAS": "atlas", "Biomed": "biomed"}
DEFECT_ZERO_BENCHMARK_SITES = ("GRIF-LLR", "INFN-BARI")  # ServiceLevel 0 for a few months
DEFECT_CPU_OVER_WALL_SITES = ("CESGA",)  # CpuDuration > WallDuration x Processors
ZERO_BENCHMARK_AT = {"GRIF-LLR": ((2017, 9), (2017, 10)), "INFN-BARI": ((2021, 2), (2021, 4))}
CPU_OVER_WALL_AT = {"CESGA": ((2019, 9), (2019, 9))}
_UNKNOWN_SITE_START = {"T3_US_NotreDame": (2021, 6), "UNREGISTERED-CE-SITE": (2019, 1)}

# Topology history: sites that moved NGI (ROCs became NGIs in the EGEE -> EGI transition)
# or federation. The first SITES row has the old value and ends where the second begins.
SITE_NGI_MOVES = {"CYFRONET-LCG2": ("ROC_CE", dt.date(2010, 5, 1)),
                  "IFCA-LCG2": ("ROC_SWE", dt.date(2010, 5, 1)),
                  "praguelcg2": ("ROC_CE", dt.date(2010, 5, 1))}
# A federation move closes the site's first WLCG row (topology/wlcg_sites) where its second
# begins; JINR-LCG2 became a federation of its own in 2024-11 (as PEAR records it).
SITE_FEDERATION_MOVES = {"UKI-SCOTGRID-DURHAM": ("UK-NorthGrid", dt.date(2012, 4, 1)),
                         "JINR-LCG2": ("RU-RDIG", dt.date(2024, 11, 1))}
# Per-VO membership: DESY-HH pledges its ATLAS work to the ATLAS federation, its other VOs'
# to its own (the double counting of the old portal came from counting it in both).
SITE_VO_FEDERATIONS = {("DESY-HH", "atlas"): "DE-DESY-GOE-ATLAS-T2"}
# A WLCG site whose federation was not known for a while (its topology row has none): the
# months count under its tier as "unknown federation" and /quality/ lists it.
SITE_FEDERATION_UNKNOWN = {"IN2P3-LPC": (dt.date(2023, 1, 1), dt.date(2023, 4, 1))}


def load(name: str) -> list[list[str]]:
    """The rows of the data file name in DEMO_DATA: each line's "|"-separated fields, stripped.
    Blank lines and "#" comments are skipped; the order of the rows is the file's."""
    lines = (DEMO_DATA / name).read_text(encoding="utf-8").splitlines()
    return [[field.strip() for field in line.split("|")] for line in lines if line.strip() and not line.startswith("#")]


COUNTRY_CODES = dict(load("country_codes.txt"))
FIRST_NAMES = tuple(name for name, in load("first_names.txt"))
LAST_NAMES = tuple(name for name, in load("last_names.txt"))
_LHC_WEIGHT = {"atlas": 1.0, "cms": 0.8, "alice": 0.45, "lhcb": 0.4}
VO_SUBGROUPS = {"atlas": ("lcg1", "de", "fr", "it", "uk", "ca"), "cms": ("becms", "dcms", "escms", "itcms", "uscms"),
                "ops": ("NGI",), "biomed": ("lcg",), "belle": ("jp",)}
_TLDS = "eu org fr it de es pl cz nl pt gr hu ro uk".split()
ROLES = ("Role=NULL", "Role=lcgadmin", "Role=pilot", "Role=production")  # sorted; 1..3 = robots
_ROBOTS = (("SAM Monitoring", "sam"), ("Pilot", "pilot"), ("Production", "prod"))  # robot DNs of roles 1..3
BENCH_SPELLINGS = ("si2k", "SI2K", "HEPSPEC", "hepspec", "HEPscore23", "hepscore23")  # type = code // 2
RESUMMARISED_MONTHS = 2
# APEL's conventions in the HTC summaries (see htc.py): sites that publish normalised
# summaries (ServiceLevel 0, the type as they spell it) from a month on, sites whose
# local jobs have no scaling factor ('custom', ServiceLevel 1), and the share of local
# jobs without an FQAN (VO, group, role and user 'None').
NORMALISED_SUMMARY_FROM = (2022, 1)
NORMALISED_SUMMARY_SPELLINGS = ("HEPscore23", "hepscore23", "None")
CUSTOM_BENCHMARK_FROM = (2020, 1)
LOCAL_WITHOUT_FQAN = 0.3


def today() -> dt.date:
    """Today (UTC), or the day of SOURCE_DATE_EPOCH where it is set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return now.date()


def timestamp(day: dt.date) -> int:
    """Start of day, in seconds since 1970 (UTC)."""
    return (day - dt.date(1970, 1, 1)).days * 86400


def month_index(year: int, month: int) -> int:
    """Months since January FIRST_YEAR: the demo's month index."""
    return (year - FIRST_YEAR) * 12 + month - 1


def epoch(m: int) -> int:
    """Start of month index m, in seconds since 1970 (UTC)."""
    return timestamp(dt.date(FIRST_YEAR + m // 12, m % 12 + 1, 1))


def month_span(m: int, today_ts: int) -> tuple[int, int, int]:
    """Start and end of month index m, and its end so far: today in the current month (s since 1970)."""
    start, full_end = epoch(m), epoch(m + 1)
    return start, full_end, min(full_end, today_ts)


def resummarised(m: int, today_ts: int) -> bool:
    """Whether month index m is one APEL summarises again every night (the current and the
    previous month): its summaries were last written today (the load's UpdateTime), and
    `demo --to-db` sends them through the summarising procedures."""
    today = dt.datetime.fromtimestamp(today_ts, dt.UTC)
    return m >= month_index(today.year, today.month) - (RESUMMARISED_MONTHS - 1)


def within(m: int, first: tuple[int, int], last: tuple[int, int]) -> bool:
    """Whether month index m is in the inclusive range of (year, month) first to last."""
    return month_index(*first) <= m <= month_index(*last)


def active_in(m: int, periods: dict[str, tuple[tuple[int, int], tuple[int, int]]]) -> list[str]:
    """The keys (defect sites) of periods whose (first, last) months include month index m, in order."""
    return [key for key, (first, last) in periods.items() if within(m, first, last)]


def write_months(dataset: Dataset, source_dir: Path, first: int, today: dt.date, draw, progress: bool) -> int:
    """Write dataset's month partitions from month index first to today's: draw(m) gives
    month m's table, or None for a month without rows. Returns the row count."""
    rows = 0
    for m in tqdm(range(first, month_index(today.year, today.month) + 1), desc=f"demo {dataset.name} months",
                  unit="month", file=sys.stderr, disable=not progress):
        table = draw(m)
        if table is not None:
            write_partition(dataset, table, source_dir, FIRST_YEAR + m // 12, m % 12 + 1)
            rows += table.num_rows
    return rows


class Names:
    """The names of one key column. Samples hold codes; rank[code] orders them by name,
    so sorting on ranks sorts rows by the names themselves."""

    def __init__(self, names: list[str]):
        if len(set(names)) != len(names):
            raise ValueError("demo names must be unique")
        self.names = list(names)
        self.code = np.array(sorted(range(len(names)), key=names.__getitem__), np.int64)
        self.rank = np.empty(len(names), np.int64)
        self.rank[self.code] = np.arange(len(names))
        self.sorted = pa.array([names[i] for i in self.code], pa.string())


def choose(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one column per sample, from weights[rows[i]] (rows of a matrix, not normalised).

    Row r's cumulative distribution is shifted to [r, r+1] and all rows are searched at
    once, so this is a single vectorised searchsorted however many distributions there are.
    """
    cum = np.cumsum(weights, axis=1)
    cum = cum / cum[:, -1:] + np.arange(len(weights))[:, None]  # x/x is exactly 1
    picked = np.searchsorted(cum.ravel(), rows + rng.random(len(rows)), side="right")
    return np.minimum(picked - rows * weights.shape[1], weights.shape[1] - 1)


def merge(keys: list[np.ndarray], sums: tuple, mins: list, maxs: list) -> tuple:
    """Group rows by keys (first key most significant): sorted unique keys and aggregates."""
    order = np.lexsort(keys[::-1])
    keys = [k[order] for k in keys]
    first = np.zeros(len(order), bool)
    first[0] = True
    for k in keys:
        first[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(first)
    return ([k[starts] for k in keys], [np.add.reduceat(x[order], starts) for x in sums],
            [np.minimum.reduceat(x[order], starts) for x in mins],
            [np.maximum.reduceat(x[order], starts) for x in maxs])


def choose_sites(rng: np.random.Generator, names: list[str], forced: list[int], eligible: np.ndarray,
                 weight: np.ndarray, quotas: list[tuple[np.ndarray, int]]) -> list[int]:
    """Sites (indices into names) in name order: the forced ones, then for each (group, k) of
    quotas a draw of k eligible sites of the group (a mask) without replacement, weighted by
    weight (Gumbel top-k: the k largest log(weight) + Gumbel noise).

    One Gumbel variate per site, drawn before anything else, whatever the groups: the draws
    that follow on rng do not depend on which sites are eligible."""
    key = np.log(weight) + rng.gumbel(size=len(names))
    key[~eligible | np.isin(np.arange(len(names)), forced)] = -np.inf
    take = [int(s) for group, k in quotas
            for s in np.argsort(-np.where(group, key, -np.inf), kind="stable")[:k] if key[s] > -np.inf]
    return sorted(forced + take, key=names.__getitem__)


@dataclass
class Sites:
    """The federation's sites: entry s of every field is site s's (names[s])."""

    names: list[str]
    ngi: list[str]
    country: list[str]
    tier: list[str | None]
    federation: list[str | None]
    registered: np.ndarray  # False: only in HTC (DEFECT_UNKNOWN_SITES)
    start: np.ndarray  # first month index with rows
    end: np.ndarray  # first month index without rows (decommissioned), huge if active
    size: np.ndarray  # capacity, relative to an average Tier-2
    share: np.ndarray  # share of the federation's samples
    n_ce: np.ndarray  # 1..5 computing elements
    hosts: Names  # SubmitHost of CE j (0..4) of site s in era e (0 CREAM, 1 HTCondor/ARC): 10*s + 2*j + e
    modern_from: np.ndarray  # month the site replaced its CREAM CEs
    local_share: np.ndarray  # share of samples that are local (non-grid) jobs
    bench: np.ndarray  # (site, CE) HS06 per core in 2010
    hs23_ratio: np.ndarray  # HEPscore23 / HEPSPEC06 measured on the site's hardware
    hs06_from: np.ndarray  # month the site moved from si2k to HEPSPEC
    hs23_from: np.ndarray  # month the site moved to HEPscore23 (huge: never)
    spelling: np.ndarray  # (site, benchmark type) code into BENCH_SPELLINGS
    decommissioned: np.ndarray  # closed in GOCDB: not certified any more
    production: np.ndarray


def draw_sites(sc: Scale) -> Sites:
    """The sites of data/federation.txt at the scale, and the defect sites only in HTC."""
    rng = np.random.default_rng([_TOPOLOGY_SEED, 1])
    rows = []
    for ngi, country, fed, names in load("federation.txt"):
        tier, _, fed = fed.partition(" ")
        rows += [(n.lstrip("*"), ngi, country, {"0": "Tier-0", "1": "Tier-1", "2": "Tier-2"}.get(tier), fed or None)
                 for n in names.split() if n.startswith("*") or not sc.small_federation]
    rows += [(name, "", "United States", None, None) for name in DEFECT_UNKNOWN_SITES]
    names, ngi, country, tier, fed = map(list, zip(*rows))
    n = len(names)
    tier_code = np.array([{"Tier-0": 0, "Tier-1": 1, "Tier-2": 2}.get(t, 3) for t in tier])
    registered = np.array([s not in DEFECT_UNKNOWN_SITES for s in names])
    # Sites named in the topology moves and defects exist from the start and never close.
    pinned = np.isin(names, [*SITE_NGI_MOVES, *SITE_FEDERATION_MOVES, *SITE_FEDERATION_UNKNOWN,
                             *(site for site, _ in SITE_VO_FEDERATIONS),
                             *ZERO_BENCHMARK_AT, *CPU_OVER_WALL_AT])
    # More sites over time: Tier-2s join early, other sites spread (denser later) up to 2022.
    start_year = np.where(tier_code == 2, FIRST_YEAR + np.minimum(rng.exponential(2.0, n), 8),
                          FIRST_YEAR + 18 * np.sqrt(rng.random(n)))
    start = np.where((tier_code < 2) | pinned, 0, (start_year - FIRST_YEAR) * 12).astype(np.int64)
    start[~registered] = [month_index(*_UNKNOWN_SITE_START[s]) for s in names if s in _UNKNOWN_SITE_START]
    decommissioned = (tier_code == 3) & ~pinned & registered & (rng.random(n) < 0.07)
    end = np.where(decommissioned, np.minimum(start + rng.integers(36, 144, n), month_index(2024, 12)), 10**6)
    size = np.choose(tier_code, [10.0, 3 * rng.lognormal(0, 0.3, n), rng.lognormal(0, 0.5, n),
                                 0.4 * rng.lognormal(0, 0.9, n)])
    # Each tier's share of the samples is fixed, so the small federation (a subset) has the mix of the full one.
    capacity = np.where(registered, size, 0)
    share = capacity / np.bincount(tier_code, capacity)[tier_code] * np.array([0.06, 0.2, 0.42, 0.32])[tier_code]
    share[~registered] = 0.002
    n_ce = np.clip(1 + rng.poisson(np.sqrt(size)), 1, 5)
    arc = np.isin(ngi, ["NGI_NDGF", "NGI_SI"]) | (rng.random(n) < 0.15)
    hosts = Names([_submit_host(names[s], country[s], j, era, arc[s], rng.integers(4))
                   for s in range(n) for j in range(5) for era in range(2)])
    candidates = (tier_code == 3) & registered & ~pinned & ~decommissioned  # for Production=False
    hs23_from = month_index(2023, 3) + rng.integers(0, 46, n)
    return Sites(
        names=names, ngi=ngi, country=country, tier=tier, federation=fed, registered=registered,
        start=start, end=end, size=size, share=share, n_ce=n_ce, hosts=hosts,
        modern_from=month_index(2015, 1) + rng.integers(0, 72, n),
        local_share=np.where(rng.random(n) < 1 / 3, rng.uniform(0.15, 0.45, n), 0.0),
        bench=rng.uniform(6.5, 9.5, (n, 1)) * rng.uniform(0.85, 1.15, (n, 5)),
        hs23_ratio=rng.uniform(0.97, 1.08, n),
        hs06_from=month_index(2009, 1) + rng.integers(0, 30, n),
        hs23_from=np.where(rng.random(n) < 0.25, 10**6, hs23_from),
        spelling=np.arange(0, 6, 2) + (rng.random((n, 3)) < [0.3, 0.15, 0.2]),
        decommissioned=decommissioned,
        production=~np.isin(np.arange(n), rng.choice(np.flatnonzero(candidates), max(1, n // 100), replace=False)))


def site_domain(site: str, country: str) -> str:
    """The demo's DNS domain of a site: its name under the country's top-level domain."""
    cc = COUNTRY_CODES[country]
    return f"{site.lower().replace('_', '-')}.{ {'UK': 'ac.uk', 'US': 'edu'}.get(cc, cc.lower())}"


def _submit_host(site: str, country: str, j: int, era: int, arc: bool, batch: int) -> str:
    domain = site_domain(site, country)
    if arc:  # ARC CEs: the GridFTP interface, later the REST one
        return f"https://arc{j + 1:02d}.{domain}:443/arex" if era else f"gsiftp://arc{j + 1:02d}.{domain}:2811/jobs"
    if era == 0:
        return f"cream{j + 1:02d}.{domain}:8443/cream-{('pbs', 'lsf', 'sge', 'slurm')[batch]}-long"
    return f"ce{j + 1:02d}.{domain}:9619/ce{j + 1:02d}.{domain}-condor"


def discipline_rows() -> list[tuple[str, str, str]]:
    """(leaf, level 2, level 1) for every leaf of the tree in data/disciplines.txt."""
    return [(leaf, level2, level1) for level1, level2, leaves in load("disciplines.txt")
            for leaf in leaves.split("; ")]


@dataclass
class Vos:
    """The federation's VOs: entry v of every per-VO field is VO v's (names[v])."""

    names: list[str]
    discipline: list[str]
    official: np.ndarray
    lhc: np.ndarray
    start: np.ndarray  # first active month index
    end: np.ndarray  # first inactive month index
    home_ngi: list[str | None]  # national VOs run only in their NGI
    popularity: np.ndarray  # Zipf-like weight of non-LHC VOs
    jobs_mu: np.ndarray  # log of the median jobs per summary sample
    wall_mu: np.ndarray  # log of the median hours per job
    roles: np.ndarray  # (VO, role) weights
    dns: Names  # per VO: 3 robot DNs (roles 1..3), then its personal DNs
    dn_offset: np.ndarray
    dn_count: np.ndarray  # personal DNs
    groups: Names  # per VO: "/vo", then its subgroups
    group_offset: np.ndarray
    group_count: np.ndarray


def _vo_specs(sc: Scale, rng: np.random.Generator) -> list[tuple[str, str, list[str]]]:
    """The real VOs, then generated ones named after their discipline, up to sc.n_vos."""
    specs = [(name, leaf, flags.split()) for name, leaf, flags in load("vos.txt")]
    leaves = [leaf for leaf, _, level1 in discipline_rows() if level1 != "Support Activities"]
    taken = {name for name, _, _ in specs}
    while len(specs) < sc.n_vos:
        leaf = leaves[rng.integers(len(leaves))]
        name = f"vo.{leaf.lower().replace(' and ', ' ').replace(' ', '-')}.{_TLDS[rng.integers(len(_TLDS))]}"
        first = int(rng.integers(2006, 2022))
        years = f"{first}-{first + rng.integers(3, 12) if rng.random() < 0.3 else ''}"
        if name not in taken:
            taken.add(name)
            specs.append((name, leaf, ["E", years] if rng.random() < 0.55 else [years]))
    return specs[:sc.n_vos]


def draw_vos(sc: Scale) -> Vos:
    """The scale's VOs: those of data/vos.txt, then generated ones; their users and groups."""
    rng = np.random.default_rng([_TOPOLOGY_SEED, 2])
    specs = _vo_specs(sc, rng)
    names = [name for name, _, _ in specs]
    n = len(names)
    lhc = np.isin(names, LHC_VOS)
    years = [next((f for f in flags if f[:4].isdigit()), f"{FIRST_YEAR}-") for _, _, flags in specs]
    start = np.array([month_index(int(y[:4]), 1) for y in years])
    end = np.array([month_index(int(y[5:]) + 1, 1) if y[5:] else 10**6 for y in years])
    rank = np.cumsum(~lhc) - 1
    popularity = np.where(lhc, [_LHC_WEIGHT.get(v, 0.0) for v in names], 1 / (rank + 1.5) ** 1.1)
    popularity = popularity * rng.lognormal(0, 0.3, n)
    ops = np.isin(names, ["ops", "dteam"])
    roles = np.where(lhc[:, None], [0.25, 0.02, 0.45, 0.28], [0.6, 0.03, 0.12, 0.25])
    roles[ops] = [0.3, 0.7, 0.0, 0.0]
    dns, dn_offset, dn_count = _user_dns(sc, rng, names, lhc, popularity)
    groups = [[f"/{v}"] + [f"/{v}/{sub}" for sub in VO_SUBGROUPS.get(v, ())] for v in names]
    return Vos(
        names=names, discipline=[leaf for _, leaf, _ in specs],
        official=np.array(["E" in flags for _, _, flags in specs]), lhc=lhc, start=start, end=end,
        home_ngi=[next((f[1:] for f in flags if f.startswith("@")), None) for _, _, flags in specs],
        popularity=popularity,
        jobs_mu=np.where(lhc, np.log(50), np.where(ops, np.log(30), np.log(35) + rng.normal(0, 0.4, n))),
        wall_mu=np.where(lhc, np.log(2.5), np.where(ops, np.log(0.05), np.log(3) + rng.normal(0, 0.4, n))),
        roles=roles, dns=dns, dn_offset=dn_offset, dn_count=dn_count,
        groups=Names([g for gs in groups for g in gs]),
        group_offset=np.cumsum([0] + [len(g) for g in groups[:-1]]), group_count=np.array([len(g) for g in groups]))


def _user_dns(sc: Scale, rng: np.random.Generator, names: list[str], lhc: np.ndarray,
              popularity: np.ndarray) -> tuple[Names, np.ndarray, np.ndarray]:
    """Robot and personal certificate DNs of every VO; a serial number keeps each unique."""
    count = np.maximum(3, np.rint(sc.users_per_vo * np.sqrt(popularity / popularity.max()))).astype(np.int64)
    serials = iter(100_000 + rng.choice(900_000, int(count.sum()) + 3 * len(names), replace=False))
    orgs = [("CH", "CERN"), ("IT", "INFN"), ("FR", "CNRS"), ("DE", "DESY"), ("UK", "STFC"), ("ES", "CSIC"),
            ("CZ", "CESNET"), ("NL", "Nikhef"), ("DE", "KIT"), ("PT", "LIP"), ("PL", "Cyfronet"), ("GR", "GRNET")]
    dns, offset = [], []
    for v, vo in enumerate(names):
        offset.append(len(dns))
        for kind, login in _ROBOTS:
            dns.append(f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={vo[:3].replace('lhc', 'lb')}{login}"
                       f"/CN={next(serials)}/CN=Robot: {vo.upper()} {kind}" if lhc[v]
                       else f"/DC=eu/DC=egi/O=Robots/O={vo}/CN=Robot: {vo} {kind}")
        draws = (rng.integers(len(FIRST_NAMES), size=count[v]), rng.integers(len(LAST_NAMES), size=count[v]),
                 rng.integers(len(orgs), size=count[v]), rng.random(count[v]) < 0.25)
        for first, last, org, cern in zip(*draws):
            first, last, (cc, o), serial = FIRST_NAMES[first], LAST_NAMES[last], orgs[org], next(serials)
            dns.append(f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={(first[0] + last)[:8].lower()}"
                       f"/CN={serial}/CN={first} {last}" if lhc[v] or cern
                       else f"/DC=org/DC=terena/DC=tcs/C={cc}/O={o}/CN={first} {last} {serial}")
    return Names(dns), np.array(offset), count


def site_vo_weights(sites: Sites, vos: Vos) -> np.ndarray:
    """(site, VO) share of a site's samples: WLCG sites mostly LHC, the others mostly not."""
    rng = np.random.default_rng([_TOPOLOGY_SEED, 3])
    n_sites, lhc = len(sites.names), np.flatnonzero(vos.lhc)
    others = np.flatnonzero(~vos.lhc & ~np.isin(vos.names, ["ops", "dteam"]))
    weights = np.zeros((n_sites, len(vos.names)))
    for s, name in enumerate(sites.names):
        label = " ".join([name, str(sites.federation[s]), *(f for (site, _), f in SITE_VO_FEDERATIONS.items()
                                                              if site == name)]).lower()
        named = [v for v in lhc if vos.names[v] in label]  # e.g. INFN-NAPOLI-ATLAS, ES-CMS-T2
        supported = (named or [v for v in lhc if rng.random() < {"atlas": 0.8, "cms": 0.6}.get(vos.names[v], 0.45)]
                     or lhc[:1])
        if sites.tier[s] == "Tier-0":
            supported, lhc_share = lhc, 0.9
        elif sites.tier[s] == "Tier-1":
            lhc_share = 0.85
        elif sites.tier[s] == "Tier-2":
            lhc_share = rng.uniform(0.55, 0.85)
        else:  # a few non-WLCG sites also serve the LHC VOs (Tier-3s)
            lhc_share = rng.uniform(0.1, 0.4) if rng.random() < 0.3 else 0.0
        if lhc_share:
            weights[s, supported] = lhc_share * vos.popularity[supported] / vos.popularity[supported].sum()
        local = np.array([vos.home_ngi[v] in (None, sites.ngi[s]) for v in others])
        candidates = others[local]
        k = min(len(candidates), 2 + rng.poisson(3 + 4 * np.sqrt(sites.size[s])))
        p = vos.popularity[candidates] / vos.popularity[candidates].sum()
        chosen = rng.choice(candidates, k, replace=False, p=p)
        share = vos.popularity[chosen] * rng.lognormal(0, 0.7, k)
        weights[s, chosen] = (0.95 - lhc_share) * share / share.sum()
    weights[:, vos.names.index("ops")] = 0.04
    weights[:, vos.names.index("dteam")] = 0.01
    return weights
