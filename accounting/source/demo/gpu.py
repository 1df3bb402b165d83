"""GPU accounting in the demo federation: APEL accelerator summaries (`contracts.GPU`) and
the model -> vendor and category table (`contracts.GPU_MODELS`).

About 20 of the demo's sites (6 in the small federation) run accelerators from 2020 on: big
WLCG sites (the larger, the likelier) and a few non-WLCG ones, each with a fleet of models
that changes over the years (V100 and T4 at first, A100, H100, L40S later; consumer cards at
smaller sites, AMD Instinct and an FPGA here and there). Every month a site's accelerator
records (jobs mostly, VMs at a few cloud sites) are drawn as independent samples (VO, FQAN,
user, model, GPUs per record, records, hours available, utilisation), then samples sharing
the summary key are merged, as APEL's summariser does. Usage grows over the years. Every
draw comes from numpy Generators seeded by the scale's seed (and the month), so the same
scale and "today" give the same rows.

Defects injected at every scale (their sites are in the small federation and always run
GPUs) for the data-quality checks: UNKNOWN_MODEL_SITES report UNKNOWN_MODEL, a model not in
GPU_MODELS, in some months; ACTIVE_OVER_AVAILABLE_SITES have ACTIVE_OVER_AVAILABLE_ROWS rows
with ActiveDuration > AvailableDuration. Apart from those, ActiveDuration <= AvailableDuration,
Count is 1, 2, 4 or 8, NumberOfRecords >= 1 and Benchmark (3 decimals, exact in APEL's
DECIMAL(10,3)) is null exactly where BenchmarkType is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accounting.source.contracts import DECIMAL_COUNT, GPU, GPU_MODELS, UTC_TS
from accounting.source.demo import federation as fed


@dataclass(frozen=True)
class Size:
    """How much of the GPU accounting a demo scale has."""

    sites: int  # GPU sites
    non_wlcg: int  # of which outside WLCG
    samples: float  # samples per month of a unit-capacity site in mid-2025, before merging keys
    users: int  # at most this many personal DNs per VO use GPUs


SIZES = {"small": Size(6, 2, 11.0, 12), "default": Size(20, 5, 40.0, 60), "egi": Size(22, 6, 80.0, 150)}

# Injected defects, present at every scale; months are inclusive (year, month) ranges.
UNKNOWN_MODEL = "NVIDIA Tesla K80-custom"
UNKNOWN_MODEL_SITES = ("IFCA-LCG2",)
ACTIVE_OVER_AVAILABLE_SITES = ("CESGA",)
ACTIVE_OVER_AVAILABLE_ROWS = 6
_UNKNOWN_MODEL_AT = {"IFCA-LCG2": ((2021, 2), (2021, 9))}
_ACTIVE_OVER_AVAILABLE_AT = {"CESGA": ((2023, 4), (2023, 6))}
_OVER_PER_MONTH = 2  # rows per month; 3 months -> ACTIVE_OVER_AVAILABLE_ROWS

_GPU_FROM = (2020, 1)  # accelerator accounting starts
_DAY = 86_400
_COUNTS = np.array([1, 2, 4, 8])
_STARTERS = ("NVIDIA V100", "NVIDIA T4", "NVIDIA GeForce GTX 1080 Ti")  # a site's first model
_OLD = ("NVIDIA V100", "NVIDIA T4", "NVIDIA GeForce GTX 1080 Ti")  # retired after some years (not the starter)
_FLEET_WEIGHT = {"NVIDIA H100": 1.5, "NVIDIA A100": 1.3, "AMD Instinct MI250X": 1.2, "Xilinx Alveo U250": 0.15}
# GPU users among the VOs (relative weight); only those in the demo's VO list take part.
_GPU_VOS = {"atlas": 1.0, "cms": 0.9, "biomed": 0.45, "vo.access.egi.eu": 0.4, "lofar": 0.25, "icecube": 0.2,
            "lhcb": 0.15, "skatelescope.eu": 0.12, "alice": 0.1, "virgo": 0.08, "ligo": 0.08, "enmr.eu": 0.08,
            "km3net.org": 0.06, "vo.elixir-europe.org": 0.06, "cta": 0.05, "training.egi.eu": 0.02}
_ANYWHERE = ("biomed", "vo.access.egi.eu")  # EGI-wide VOs: served by every GPU site
# FQAN kinds: /vo (personal), /vo/Role=pilot and /vo/Role=production (robots), /vo/<group> (personal)
_FQAN_KINDS = np.array([[0.15, 0.35, 0.42, 0.08], [0.7, 0.0, 0.22, 0.08]])  # LHC, other VOs
_BENCH_TYPES = ("", "gpu-mlperf", "hepscore23-gpu")  # "" = no benchmark (null)
_RECORDS = ["job", "cloud"]  # AssociatedRecordType
# GPUs per record (Count 1, 2, 4, 8): data-centre jobs, consumer cards or FPGAs, cloud VMs
_COUNT_P = np.array([[0.45, 0.25, 0.2, 0.1], [0.65, 0.3, 0.05, 0.0], [0.6, 0.3, 0.1, 0.0]])


@dataclass
class _Models:
    names: list[str]  # the GPU_MODELS rows, then UNKNOWN_MODEL (not in GPU_MODELS)
    vendor: list[str]
    category: list[str]
    type: list[str]
    cores: np.ndarray
    intro: np.ndarray  # first month index on the market
    bench: np.ndarray  # benchmark per device; NaN: none
    have: np.ndarray  # (model, site class) probability


def _models() -> _Models:
    """The models of data/gpu_models.txt, then UNKNOWN_MODEL."""
    rows = fed.load("gpu_models.txt")
    rows.append([UNKNOWN_MODEL, "NVIDIA", "data-centre", "GPU", "2496", "2020-01", "-", "0 0 0"])
    name, vendor, category, kind, cores, intro, bench, have = map(list, zip(*rows))
    return _Models(names=name, vendor=vendor, category=category, type=kind, cores=np.array(cores, np.int64),
                   intro=np.array([fed.month_index(int(d[:4]), int(d[5:])) for d in intro]),
                   bench=np.array([np.nan if b == "-" else float(b) for b in bench]),
                   have=np.array([h.split() for h in have], float))


def models_table() -> pa.Table:
    """GPU_MODELS: every model the demo's sites report, but UNKNOWN_MODEL, sorted by name."""
    m = _models()
    order = sorted(range(len(m.names) - 1), key=m.names.__getitem__)
    return pa.table({"Model": [m.names[i] for i in order], "Vendor": [m.vendor[i] for i in order],
                     "Category": [m.category[i] for i in order]}, schema=GPU_MODELS.schema)


def generate(source_dir: Path, scale: str, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray,
             today: dt.date, progress: bool = True) -> int:
    """Write the GPU month partitions of the demo federation; returns the row count.

    sites, vos and site_vo (the VOs' share of each site's jobs) are the demo federation's."""
    sc, size = fed.SCALES[scale], SIZES[scale]
    fleet = _Fleet(np.random.default_rng([sc.seed, 7]), sites, vos, site_vo, size, today)
    return fed.write_months(GPU, source_dir, fed.month_index(*_GPU_FROM), today,
                            lambda m: fleet.month(np.random.default_rng([sc.seed, 8, m]), m), progress)


class _Fleet:
    """The GPU sites, their models over time, VOs and users; draws one month at a time."""

    def __init__(self, rng: np.random.Generator, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray,
                 size: Size, today: dt.date):
        self.size, self.vos, self.models = size, vos, _models()
        self.today_ts = fed.timestamp(today)
        chosen = _choose_sites(rng, sites, size, fed.month_index(today.year, today.month))
        self.site_index = np.array(chosen, np.int64)
        self.names = names = [sites.names[s] for s in chosen]
        self.site_names = fed.Names(names)
        tier = np.array([{"Tier-0": 0, "Tier-1": 0, "Tier-2": 1}.get(sites.tier[s], 2) for s in chosen])
        n = len(chosen)
        forced = np.isin(names, [*UNKNOWN_MODEL_SITES, *ACTIVE_OVER_AVAILABLE_SITES])
        first = fed.month_index(*_GPU_FROM)
        self.start = np.maximum(sites.start[self.site_index], first + np.where(
            forced, 0, np.where(tier == 0, rng.integers(0, 6, n), rng.integers(0, 40, n))))
        self.capacity = np.array([3.0, 1.0, 0.6])[tier] * rng.lognormal(0, 0.4, n)
        cloudy = np.array(["cloud" in name.lower() for name in names])
        self.cloud = np.where(cloudy, 0.9, np.where(tier == 2, rng.choice([0.0, 0.3], n, p=[0.5, 0.5]),
                                                    np.where(rng.random(n) < 0.2, 0.15, 0.0)))
        # Benchmarks: some sites publish one for every model, from some month on, others never.
        self.bench_type = np.where(rng.random(n) < 0.6, rng.choice([1, 2], n, p=[0.3, 0.7]), 0)
        self.bench_from = self.start + rng.integers(0, 48, n)
        self.bench = np.rint(self.models.bench * rng.uniform(0.9, 1.1, (n, 1))
                             * rng.uniform(0.97, 1.03, (n, len(self.models.names))) * 1000) / 1000
        self._fleets(rng, tier)
        self._vos(rng, site_vo)

    def _fleets(self, rng: np.random.Generator, tier: np.ndarray) -> None:
        """Per site and model: the months it is in use [since, until) and its share of the work."""
        md, n = self.models, len(tier)
        k = len(md.names)
        has = rng.random((n, k)) < md.have[:, tier].T
        starter = np.where(tier == 0, 0, rng.integers(0, len(_STARTERS), n))
        starter = np.array([md.names.index(_STARTERS[i]) for i in starter])
        has[np.arange(n), starter] = True
        self.since = np.maximum(self.start[:, None], md.intro[None, :] + rng.integers(0, 18, (n, k)))
        self.since[np.arange(n), starter] = self.start
        old = np.isin(md.names, _OLD)[None, :] & (np.arange(k)[None, :] != starter[:, None])
        self.until = np.where(old, self.since + rng.integers(30, 72, (n, k)), 10**6)
        self.since[~has] = 10**6
        self.share = rng.lognormal(0, 0.4, (n, k)) * np.array([_FLEET_WEIGHT.get(x, 1.0) for x in md.names])

    def _vos(self, rng: np.random.Generator, site_vo: np.ndarray) -> None:
        """The GPU VOs each site serves (LHC VOs only where it serves them in HTC), their FQANs."""
        v = self.vos
        self.vo = np.array([v.names.index(name) for name in _GPU_VOS if name in v.names])
        served = site_vo[self.site_index][:, self.vo] > 0
        lhc = v.lhc[self.vo]
        anywhere = np.isin(np.array(v.names)[self.vo], _ANYWHERE)
        self.vo_weight = (np.array([_GPU_VOS[v.names[i]] for i in self.vo])
                          * np.where(served | anywhere, 1.0, np.where(lhc, 0.0, 0.15))
                          * rng.lognormal(0, 0.6, served.shape))
        self.fqan_kind = _FQAN_KINDS[np.where(lhc, 0, 1)]
        fqans = [[f"/{v.names[i]}", f"/{v.names[i]}/Role=pilot", f"/{v.names[i]}/Role=production"]
                 + [f"/{v.names[i]}/{g}" for g in fed.VO_SUBGROUPS.get(v.names[i], ())] for i in self.vo]
        self.fqans = fed.Names([f for fs in fqans for f in fs])
        self.fqan_offset = np.cumsum([0] + [len(fs) for fs in fqans[:-1]])
        self.groups = np.array([len(fs) - 3 for fs in fqans])
        self.users = np.minimum(v.dn_count[self.vo], self.size.users)

    def month(self, rng: np.random.Generator, m: int) -> pa.Table | None:
        start, full_end, end = fed.month_span(m, self.today_ts)
        if end <= start:
            return None
        forced = self._forced(m)
        s = self._draw_sites(rng, m, (end - start) / (full_end - start), forced)
        keys = self._draw_keys(rng, m, s, forced)
        sums = self._draw_durations(rng, keys, end - start)
        if end < full_end:  # current month: summarised some time before today
            update = start + ((0.5 + 0.5 * rng.random(len(s))) * (self.today_ts - 1 - start)).astype(np.int64)
        else:  # past month: re-summarised a few days after it ended
            update = np.minimum(full_end + rng.integers(12 * 3600, 6 * _DAY, len(s)), self.today_ts - 1)
        return self._summarise(rng, m, keys, sums, update)

    def _draw_sites(self, rng: np.random.Generator, m: int, fraction: float, forced: list) -> np.ndarray:
        """Each sample's site: sites ramp up for half a year and grow ~30% a year. The forced
        samples (of the defect sites in their defect months) come first."""
        year = fed.FIRST_YEAR + m // 12 + (m % 12 + 0.5) / 12
        ramp = np.clip((m - self.start + 1) / 6, 0, 1)
        expected = self.size.samples * self.capacity * ramp * np.exp(0.27 * (year - 2025.5)) * fraction
        counts = rng.poisson(expected)
        if counts.sum() == 0:
            counts[np.argmax(expected)] = 1
        return np.r_[[self.names.index(name) for name, _, _ in forced],
                     np.repeat(np.arange(len(counts)), counts)].astype(np.int64)

    def _forced(self, m: int) -> list[tuple[str, int, int]]:
        """(site, model or -1, count or 0) of this month's forced samples."""
        unknown = len(self.models.names) - 1
        forced = [(site, unknown, 0) for site in fed.active_in(m, _UNKNOWN_MODEL_AT)] * 3
        return forced + [(site, -1, int(c)) for site in fed.active_in(m, _ACTIVE_OVER_AVAILABLE_AT)
                         for c in _COUNTS]  # distinct keys: enough rows to pick from

    def _draw_keys(self, rng: np.random.Generator, m: int, s: np.ndarray, forced: list) -> dict:
        n, md, nf = len(s), self.models, len(forced)
        in_use = (self.since <= m) & (m < self.until)
        in_use[~in_use.any(axis=1)] = True  # sites not started yet (no samples): any row will do
        model = fed.choose(rng, self.share * in_use, s)
        model[:nf] = np.where([f[1] >= 0 for f in forced], [f[1] for f in forced], model[:nf])
        cloud = (rng.random(n) < self.cloud[s]) & (np.array(md.type)[model] == "GPU")
        vo = fed.choose(rng, self.vo_weight, s)
        kind = fed.choose(rng, self.fqan_kind, vo)
        kind = np.where(cloud & (kind == 1), 0, kind)  # no pilots in VMs
        kind = np.where((kind == 3) & (self.groups[vo] == 0), 0, kind)
        group = (rng.random(n) * np.maximum(self.groups[vo], 1)).astype(np.int64)
        fqan = self.fqan_offset[vo] + np.minimum(kind, 2) + (kind == 3) * (1 + group)
        # Personal DNs: a few heavy users per VO, changing every year; robots: the VO's pilot or production DN.
        users, v = self.users[vo], self.vo[vo]
        personal = (np.floor(users * rng.random(n) ** 2.5).astype(np.int64) + (m // 12) * (users // 4 + 1)) % users
        dn = self.vos.dn_offset[v] + np.where((kind == 1) | (kind == 2), kind, 3 + personal)
        klass = np.where(cloud, 2, np.where(np.array(md.category)[model] == "consumer", 1, 0))
        klass = np.where(np.array(md.type)[model] == "FPGA", 1, klass)
        count = _COUNTS[fed.choose(rng, _COUNT_P, klass)]
        count[:nf] = np.where([f[2] > 0 for f in forced], [f[2] for f in forced], count[:nf])
        benched = (self.bench_type[s] > 0) & (m >= self.bench_from[s]) & ~np.isnan(md.bench[model])
        return {"site": s, "dn": dn, "fqan": fqan, "model": model, "count": count,
                "bench_type": np.where(benched, self.bench_type[s], 0),
                "bench": np.where(benched, self.bench[s, model], -1.0), "cloud": cloud.astype(np.int64),
                "robot": (kind == 1) | (kind == 2)}

    def _draw_durations(self, rng: np.random.Generator, keys: dict, elapsed: int) -> tuple:
        """Records, seconds available per GPU summed over records, and seconds active."""
        n, cloud, robot = len(keys["site"]), keys["cloud"] == 1, keys["robot"]
        records = np.maximum(1, np.rint(rng.lognormal(np.where(cloud, np.log(2), np.where(robot, np.log(40),
                                                                                          np.log(6))), 0.9)))
        hours = np.where(cloud, np.clip(rng.lognormal(np.log(150), 0.7, n), 1, elapsed / 3600),
                         np.clip(rng.lognormal(np.log(6), 0.8, n), 0.1, min(72, elapsed / 3600)))
        available = np.rint(records * hours * 3600).astype(np.int64)
        utilisation = np.clip(np.where(cloud, rng.beta(4, 3, n), rng.beta(7, 2.5, n)), 0.05, 0.995)
        active = np.floor(available * utilisation).astype(np.int64)
        return available, active, records.astype(np.int64)

    def _summarise(self, rng: np.random.Generator, m: int, keys: dict, sums: tuple, update: np.ndarray) -> pa.Table:
        """Merge samples sharing the summary key; rows come out sorted by it (a null
        benchmark first). Type and Cores follow from the model."""
        md, models = self.models, fed.Names(self.models.names)
        types = sorted(set(md.type))  # in name order: the position is the rank
        benches, records = fed.Names(list(_BENCH_TYPES)), fed.Names(_RECORDS)
        ranked = [self.site_names.rank[keys["site"]], self.vos.dns.rank[keys["dn"]], self.fqans.rank[keys["fqan"]],
                  np.searchsorted(types, md.type)[keys["model"]],
                  models.rank[keys["model"]], keys["count"], benches.rank[keys["bench_type"]], keys["bench"],
                  records.rank[keys["cloud"]]]
        ranked, (available, active, number), _, (update,) = fed.merge(ranked, sums, [], [update])
        site, dn, fqan, kind, model, count, bench_type, bench, record = ranked
        self._over(rng, m, self.site_names.sorted.take(site), available, active)
        bench_type = benches.sorted.take(bench_type)
        n = len(site)
        return pa.table({
            "Month": np.full(n, m % 12 + 1, np.int32), "Year": np.full(n, fed.FIRST_YEAR + m // 12, np.int32),
            "SiteName": self.site_names.sorted.take(site), "GlobalUserName": self.vos.dns.sorted.take(dn),
            "FQAN": self.fqans.sorted.take(fqan), "Type": pa.array(types).take(kind),
            "Model": models.sorted.take(model), "Count": pa.array(count.astype(np.float64)).cast(DECIMAL_COUNT),
            "Cores": md.cores[models.code[model]].astype(np.int32),
            "AvailableDuration": available.astype(np.uint64), "ActiveDuration": active.astype(np.uint64),
            "BenchmarkType": pc.if_else(pc.equal(bench_type, ""), pa.scalar(None, pa.string()), bench_type),
            "Benchmark": pa.array(bench, mask=bench < 0), "AssociatedRecordType": records.sorted.take(record),
            "NumberOfRecords": number.astype(np.uint64), "UpdateTime": pa.array(update, UTC_TS)})

    def _over(self, rng: np.random.Generator, m: int, site: pa.Array, available: np.ndarray,
              active: np.ndarray) -> None:
        """In a defect month, a few rows of the site: more seconds active than available."""
        for name in fed.active_in(m, _ACTIVE_OVER_AVAILABLE_AT):
            rows = rng.choice(np.flatnonzero(pc.equal(site, name).to_numpy(zero_copy_only=False)),
                              _OVER_PER_MONTH, replace=False)
            active[rows] = np.ceil(available[rows] * rng.uniform(1.05, 1.35, len(rows))).astype(np.int64)


def _choose_sites(rng: np.random.Generator, sites: fed.Sites, size: Size, today_m: int) -> list[int]:
    """GPU sites in name order: the defect sites, then a draw weighted by size among WLCG sites,
    preferring the big ones, and a few non-WLCG ones (cloud sites likelier)."""
    forced = [sites.names.index(name) for name in [*UNKNOWN_MODEL_SITES, *ACTIVE_OVER_AVAILABLE_SITES]]
    wlcg = np.array([t is not None for t in sites.tier])
    eligible = sites.registered & ~sites.decommissioned & (sites.start <= today_m - 12)
    cloudy = np.array(["cloud" in name.lower() for name in sites.names])
    others = size.non_wlcg - int((~wlcg[forced]).sum())
    return fed.choose_sites(rng, sites.names, forced, eligible,
                            sites.size ** np.where(wlcg, 1.5, 1.0) * np.where(cloudy, 5.0, 1.0),
                            [(wlcg, size.sites - len(forced) - others), (~wlcg, others)])
