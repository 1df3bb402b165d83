"""HTC accounting in the demo federation: APEL job summaries (`contracts.HTC`).

HTC rows are drawn per month as independent "samples" (site, VO, user, CE, benchmark, job
sizes), then samples sharing the APEL summary key are merged, as APEL's summariser does.
The rows are what an APEL server's HybridSuperSummaries hold: with its conventions
(`_apel_conventions`), and normalised durations as its procedures compute them (`exact_normalised`).
Every month's draws come from a numpy Generator seeded by the scale's seed and the month.
The federation's defects (`federation.DEFECT_*`) are injected here, in their months, so
that they show at every scale.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from accounting.source.contracts import APEL_NONE, SI2K_PER_HS23, UTC_TS
from accounting.source.demo import federation as fed


def _growth(year: float) -> float:
    """Federation activity: ramps up through the EGEE years and flattens after ~2015."""
    return 1 / (1 + np.exp(-(year - 2009.5) / 1.6))


def _si2k_divisor(bench_code: np.ndarray) -> np.ndarray:
    """si2k benchmarks are normalised into HEPSPEC06 (= HEPscore23) units."""
    return np.where(bench_code // 2 == 0, SI2K_PER_HS23, 1)


def exact_normalised(seconds: np.ndarray, value: np.ndarray, si2k: np.ndarray) -> np.ndarray:
    """seconds × benchmark value (/ 250 for si2k), rounded half up, in integers: what APEL's
    procedures compute in exact DECIMALs on a summary's sums (the demo's values have two
    decimals, si2k ones none), so the rows sent through them come back the same."""
    num = np.where(si2k, np.rint(value), np.rint(value * 100)).astype(np.int64)
    den = np.where(si2k, SI2K_PER_HS23, 100)
    return (seconds.astype(np.int64) * num * 2 + den) // (2 * den)


class Months:
    """Draws one month of HTC samples at a time and summarises them into APEL rows."""

    def __init__(self, sc: fed.Scale, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray, today: dt.date):
        self.sc, self.sites, self.vos, self.site_vo = sc, sites, vos, site_vo
        self.today_ts = fed.timestamp(today)
        self.site_names = fed.Names(sites.names)
        # APEL's 'None' (a local job without an FQAN) is one more name of each owner column.
        self.vo_names, self.dns = fed.Names([*vos.names, APEL_NONE]), fed.Names([*vos.dns.names, APEL_NONE])
        self.groups, self.roles = fed.Names([*vos.groups.names, APEL_NONE]), fed.Names([*fed.ROLES, APEL_NONE])
        self.benchmarks = fed.Names([*fed.BENCH_SPELLINGS, APEL_NONE, "custom"])
        idx, pinned = np.arange(len(sites.names)), np.isin(sites.names, [*fed.ZERO_BENCHMARK_AT,
                                                                          *fed.CPU_OVER_WALL_AT])
        never = np.iinfo(np.int64).max
        self.normalised_from = np.where((idx % 13 == 5) & ~pinned, fed.month_index(*fed.NORMALISED_SUMMARY_FROM), never)
        # 'custom' applies to local jobs: every fifth site that runs some (so every scale has one).
        local = (sites.local_share > 0) & (idx % 13 != 5) & ~pinned
        self.custom_from = np.where(local & (np.cumsum(local) % 5 == 1), fed.month_index(*fed.CUSTOM_BENCHMARK_FROM),
                                    never)
        # Normalised core-hours (HS23 h) per site, year and VO (a last slot for misspelled
        # VOs): what the pledges are sized on.
        self.usage = np.zeros((len(sites.names), today.year - fed.FIRST_YEAR + 1, len(vos.names) + 1))

    def month(self, m: int) -> pa.Table | None:
        start, full_end, end = fed.month_span(m, self.today_ts)
        if end <= start:
            return None
        rng = np.random.default_rng([self.sc.seed, 4, m])
        site, forced_vo = self._draw_sites(rng, m, (end - start) / (full_end - start))
        keys = self._draw_keys(rng, m, site, forced_vo)
        njobs, wall, cpu = self._draw_durations(rng, m, site, keys)
        norm_hours = wall * keys["value"] / _si2k_divisor(keys["bench"]) * keys["procs"] / 3600
        n_vos = self.usage.shape[2]
        self.usage[:, m // 12] += np.bincount(site * n_vos + np.minimum(keys["vo"], n_vos - 1), weights=norm_hours,
                                              minlength=len(self.sites.names) * n_vos).reshape(-1, n_vos)
        times = self._draw_times(rng, m, start, end, full_end, njobs)
        keys, normalised = self._apel_conventions(rng, m, site, keys, wall, cpu)
        return self._summarise(m, site, keys, (wall, cpu, njobs, *normalised), times)

    def _draw_sites(self, rng: np.random.Generator, m: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
        """Sites of this month's samples, weighted by size; the first ones are forced to the
        sites (and VOs) of this month's defects so that they show at every scale."""
        s = self.sites
        weight = s.share * np.clip((m - s.start + 1) / 12, 0, 1) * (m < s.end)  # a new site ramps up for a year
        year, month = fed.FIRST_YEAR + m // 12, m % 12 + 1
        expected = self.sc.samples_per_month * _growth(year + (month - 0.5) / 12) * fraction
        forced = [(site, None) for site in fed.active_in(m, {**fed.ZERO_BENCHMARK_AT, **fed.CPU_OVER_WALL_AT})] * 3
        n = max(rng.poisson(expected * (1 + 0.05 * np.cos(2 * np.pi * (month - 3) / 12))), len(forced), 1)
        site = rng.choice(len(weight), n, p=weight / weight.sum())
        site[:len(forced)] = [s.names.index(name) for name, _ in forced]
        return site, np.array([-1 if vo is None else self.vos.names.index(vo) for _, vo in forced], np.int64)

    def _draw_keys(self, rng: np.random.Generator, m: int, site: np.ndarray, forced_vo: np.ndarray) -> dict:
        s, v, n, year = self.sites, self.vos, len(site), fed.FIRST_YEAR + m // 12
        vo = fed.choose(rng, self.site_vo * ((v.start <= m) & (m < v.end)), site)
        vo[:len(forced_vo)] = np.where(forced_vo >= 0, forced_vo, vo[:len(forced_vo)])
        role = fed.choose(rng, v.roles, vo)
        # Personal DNs: a few heavy users per VO, and the heavy users change every year.
        count = v.dn_count[vo]
        personal = (np.floor(count * rng.random(n) ** 2.5).astype(np.int64) + (m // 12) * (count // 5 + 1)) % count
        group_count = v.group_count[vo]
        subgroup = np.where((rng.random(n) < 0.3) & (group_count > 1),
                            1 + (rng.random(n) * (group_count - 1)).astype(np.int64), 0)
        ce = (rng.random(n) * s.n_ce[site]).astype(np.int64)
        btype = (m >= s.hs06_from[site]).astype(np.int64) + (m >= s.hs23_from[site])
        per_core = s.bench[site, ce] * 1.05 ** (year - 2010)  # HS06 per core; sites re-benchmark yearly
        # rint(x·100)/100 is the double nearest the 2-decimal value (np.round(x, 2) can be
        # off by an ulp), so the value survives APEL's DECIMAL(10,3) column unchanged.
        value = np.choose(btype, [np.rint(per_core * SI2K_PER_HS23), np.rint(per_core * 100) / 100,
                                  np.rint(per_core * s.hs23_ratio[site] * 100) / 100])
        for name in fed.active_in(m, fed.ZERO_BENCHMARK_AT):
            value[site == s.names.index(name)] = 0.0
        lhc = v.lhc[vo]
        # Multi-core jobs: mostly 8-core LHC pilots, from 2014 on.
        multicore_share = np.where(lhc, np.clip((year - 2013) / 6, 0, 0.8), np.clip((year - 2008) / 40, 0, 0.25))
        multicore = rng.random(n) < multicore_share
        procs = np.where(multicore, np.where(lhc, rng.choice([8, 4, 16, 32, 64], n, p=[.86, .05, .04, .03, .02]),
                                             rng.choice([2, 4, 8, 16, 32, 64], n, p=[.25, .25, .2, .15, .1, .05])), 1)
        return {
            "vo": vo, "role": role,
            "dn": v.dn_offset[vo] + np.where(role == 0, 3 + personal, role - 1),
            "group": v.group_offset[vo] + subgroup,
            "host": 10 * site + 2 * ce + (m >= s.modern_from[site]),
            "local": (rng.random(n) < s.local_share[site]).astype(np.int64),
            "bench": s.spelling[site, btype], "value": value, "procs": procs,
            "nodes": np.where((procs >= 16) & (rng.random(n) < 0.15), rng.choice([2, 4], n), 1)}

    def _apel_conventions(self, rng: np.random.Generator, m: int, site: np.ndarray, keys: dict,
                          wall: np.ndarray, cpu: np.ndarray) -> tuple[dict, tuple]:
        """What APEL writes for some sites and jobs: a site that publishes normalised
        summaries has ServiceLevel 0 and its type as it spells it ('None' too), with the
        normalised durations it computed (returned, per sample; 0 elsewhere); the local
        jobs of a site without a scaling factor for them have 'custom' and 1; a local job
        without an FQAN has VO, group, role and user 'None'. Drawn last, so the other draws stay as they were."""
        keys = dict(keys)
        normal = m >= self.normalised_from[site]
        si2k = keys["bench"] // 2 == 0  # an index into fed.BENCH_SPELLINGS: type = index // 2
        normalised = tuple(np.where(normal, exact_normalised(x, keys["value"], si2k), 0) for x in (wall, cpu))
        spelling = np.array([self.benchmarks.names.index(b) for b in fed.NORMALISED_SUMMARY_SPELLINGS])
        keys["bench"] = np.where(normal, spelling[site % len(spelling)], keys["bench"])
        custom = (m >= self.custom_from[site]) & ~normal & (keys["local"] == 1)
        keys["bench"] = np.where(custom, self.benchmarks.names.index("custom"), keys["bench"])
        keys["value"] = np.where(normal, 0.0, np.where(custom, 1.0, keys["value"]))
        no_fqan = (keys["local"] == 1) & (rng.random(len(site)) < fed.LOCAL_WITHOUT_FQAN)
        for key, names in (("vo", self.vo_names), ("dn", self.dns), ("group", self.groups), ("role", self.roles)):
            keys[key] = np.where(no_fqan, len(names.names) - 1, keys[key])
        return keys, normalised

    def _draw_durations(self, rng: np.random.Generator, m: int, site: np.ndarray, keys: dict) -> tuple:
        """Jobs, wall and CPU seconds: robots (pilots, production) run many long jobs."""
        v, robot = self.vos, keys["role"] > 0
        vo = np.minimum(keys["vo"], len(v.names) - 1)  # a misspelled VO is atlas or biomed: same job mix
        # Sites grow ~4% a year; a multi-core job replaces as many single-core ones.
        mu = v.jobs_mu[vo] + 1.5 * robot + 0.04 * (m // 12) - np.log(keys["procs"])
        njobs = np.clip(np.rint(rng.lognormal(mu, 1.4)), 1, 50_000).astype(np.int64)
        hours = np.clip(rng.lognormal(v.wall_mu[vo] + 0.5 * robot, 0.8), 0.02, 48)
        wall = njobs * np.rint(hours * 3600).astype(np.int64)
        efficiency = np.clip(rng.beta(np.where(robot, 9.0, 4.0), 2.0), 0.3, 0.98)
        for name in fed.active_in(m, fed.CPU_OVER_WALL_AT):  # e.g. a batch system counting hyper-threads twice
            over = site == self.sites.names.index(name)
            efficiency[over] = rng.uniform(1.05, 1.4, over.sum())
        return njobs, wall, np.floor(wall * keys["procs"] * efficiency).astype(np.int64)

    def _draw_times(self, rng: np.random.Generator, m: int, start: int, end: int, full_end: int,
                    njobs: np.ndarray) -> tuple:
        """End-time range of each sample's jobs (wider with more jobs) and its last update
        (today, for a month APEL summarises again every night)."""
        n, span = len(njobs), end - start
        spread = 0.5 / (1 + 0.5 * np.log(njobs))
        earliest = start + (rng.random(n) * spread * span).astype(np.int64)
        latest = np.where(njobs == 1, earliest, end - 1 - (rng.random(n) * spread * span).astype(np.int64))
        if end < full_end:  # current month: summarised some time since the jobs ended
            update = latest + (rng.random(n) * (self.today_ts - latest)).astype(np.int64)
        else:  # past month: re-summarised a few days after it ended
            update = np.minimum(end + rng.integers(12 * 3600, 6 * 86400, n), self.today_ts)
        if fed.resummarised(m, self.today_ts):
            update = np.full(n, self.today_ts)
        return earliest, latest, update

    def _summarise(self, m: int, site: np.ndarray, keys: dict, sums: tuple, times: tuple) -> pa.Table:
        """Merge samples that share the APEL summary key; rows come out sorted by the key."""
        s = self.sites
        ranked = [self.site_names.rank[site], self.dns.rank[keys["dn"]], self.vo_names.rank[keys["vo"]],
                  self.groups.rank[keys["group"]], self.roles.rank[keys["role"]], s.hosts.rank[keys["host"]],
                  keys["local"], self.benchmarks.rank[keys["bench"]], keys["value"], keys["nodes"], keys["procs"]]
        earliest, latest, update = times
        ranked, (wall, cpu, njobs, given_wall, given_cpu), (earliest,), (latest, update) = fed.merge(
            ranked, sums, [earliest], [latest, update])
        site, dn, vo, group, role, host, local, bench, value, nodes, procs = ranked
        bench = self.benchmarks.code[bench]
        si2k = bench // 2 == 0
        # A zero benchmark normalises to 0; a normalised summary keeps the durations given.
        norm_wall, norm_cpu = (np.where(value > 0, exact_normalised(x, value, si2k), given)
                               for x, given in ((wall, given_wall), (cpu, given_cpu)))
        n = len(site)
        return pa.table({
            "Site": self.site_names.sorted.take(site), "Month": np.full(n, m % 12 + 1, np.int32),
            "Year": np.full(n, fed.FIRST_YEAR + m // 12, np.int32), "GlobalUserName": self.dns.sorted.take(dn),
            "VO": self.vo_names.sorted.take(vo), "VOGroup": self.groups.sorted.take(group),
            "VORole": self.roles.sorted.take(role), "SubmitHost": s.hosts.sorted.take(host),
            "Infrastructure": pa.array(np.array(["grid", "local"])[local]),
            "ServiceLevelType": pa.array(self.benchmarks.names, pa.string()).take(bench), "ServiceLevel": value,
            "NodeCount": nodes.astype(np.int32), "Processors": procs.astype(np.int32),
            "EarliestEndTime": pa.array(earliest, UTC_TS), "LatestEndTime": pa.array(latest, UTC_TS),
            "WallDuration": wall.astype(np.uint64), "CpuDuration": cpu.astype(np.uint64),
            "NormalisedWallDuration": norm_wall.astype(np.uint64), "NormalisedCpuDuration": norm_cpu.astype(np.uint64),
            "NumberOfJobs": njobs.astype(np.uint64), "UpdateTime": pa.array(update, UTC_TS)})

