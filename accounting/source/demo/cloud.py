"""Cloud accounting in the demo federation: APEL cloud summaries (`contracts.CLOUD`).

About 25 of the demo's sites (6 in the small federation) run an IaaS cloud, the EGI Federated
Cloud, from 2014 on: the sites of _PREFERRED that exist at the scale (cloud sites first), then a
draw weighted by size. Each site runs one to three cloud compute services over the years
(OpenStack mostly, OpenNebula, a few Synnefo; a second service often replaces the first), each
with its images (AppDB image URLs or os_tpl templates) coming and going. Every month a site's
VMs are drawn as independent samples (service, VO, user, status, image, vCPUs, VMs, hours, CPU
efficiency, network, memory, disk), then samples sharing the summary key (SUMMARY_KEY) are
merged, as APEL's summariser does. Usage grows over the years. Every draw comes from numpy
Generators seeded by the scale's seed (and the month), so the same scale and "today" give the
same rows.

Defects injected at every scale (their sites are in the small federation and always run a
cloud) for the data-quality checks: ZERO_CPU_COUNT_SITES publish ZERO_CPU_COUNT_ROWS rows with
CpuCount 0, UNKNOWN_STATUS_SITES UNKNOWN_STATUS_ROWS rows with UNKNOWN_STATUS (not in
KNOWN_STATUSES), CPU_OVER_WALL_SITES CPU_OVER_WALL_ROWS rows with CpuDuration > WallDuration x
CpuCount (the zero-CpuCount rows have CPU time too, as if of one vCPU). Apart from those,
CpuCount is 1, 2, 4, 8 or 16, CpuDuration <= WallDuration x CpuCount, Memory is MB per vCPU x
CpuCount x NumberOfVMs, NumberOfVMs >= 1, EarliestStartTime <= LatestStartTime < the month's
end, UpdateTime is a few days after the month's end (the current month: before today; the
months APEL summarises every night, fed.resummarised: today) and
Benchmark (per vCPU, 3 decimals, exact in APEL's DECIMAL(10,3)) is null exactly where
BenchmarkType is. Network and disk are null at the services that do not report them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accounting.source.contracts import CLOUD, DECIMAL_COUNT, UTC_TS
from accounting.source.demo import federation as fed


@dataclass(frozen=True)
class Size:
    """How much of the cloud accounting a demo scale has."""

    sites: int  # cloud sites
    samples: float  # samples per month of a unit-capacity site in mid-2025, before merging keys
    users: int  # at most this many personal DNs per VO start VMs


SIZES = {"small": Size(6, 16.0, 10), "default": Size(25, 40.0, 40), "egi": Size(28, 70.0, 120)}

# The columns one summary row stands for (APEL's summariser groups by them), with Month and Year.
SUMMARY_KEY = ("SiteName", "CloudComputeService", "GlobalUserName", "VO", "VOGroup", "VORole", "Status", "ImageId",
               "CpuCount", "BenchmarkType")
KNOWN_STATUSES = ("started", "completed", "suspended", "paused", "error")

# Injected defects, present at every scale; months are inclusive (year, month) ranges, with
# _DEFECT_ROWS rows in each month.
UNKNOWN_STATUS = "migrating-legacy"
ZERO_CPU_COUNT_SITES = ("INFN-BARI",)
UNKNOWN_STATUS_SITES = ("IFCA-LCG2",)
CPU_OVER_WALL_SITES = ("NCG-INGRID-PT",)
_ZERO_CPU_COUNT_AT = {"INFN-BARI": ((2016, 3), (2016, 5))}
_UNKNOWN_STATUS_AT = {"IFCA-LCG2": ((2019, 6), (2019, 8))}
_CPU_OVER_WALL_AT = {"NCG-INGRID-PT": ((2021, 3), (2021, 5))}
_DEFECT_ROWS = 2
ZERO_CPU_COUNT_ROWS = UNKNOWN_STATUS_ROWS = CPU_OVER_WALL_ROWS = 3 * _DEFECT_ROWS

_CLOUD_FROM = (2014, 1)  # cloud accounting starts
_DAY = 86_400
# Sites with a cloud flavour, taken first where they exist (the defect sites always are).
_PREFERRED = ("CESNET-MetaCloud", "IN2P3-IRES", "CYFRONET-CLOUD", "100IT", "IFCA-LCG2", "RECAS-BARI", "INFN-BARI",
              "NCG-INGRID-PT", "BIFI", "SCAI", "CESGA-CLOUD", "UPV-GRyCAP", "HG-08-OKEANOS", "CETA-GRID",
              "TR-10-ULAKBIM", "KR-KISTI-CLOUD", "PSNC-CLOUD", "UKI-GRIDPP-CLOUD-IC", "AU-NECTAR-MELBOURNE",
              "UZH-S3IT", "SURF-HPC", "IN2P3-LAL", "GWDG-GOETTINGEN", "INFN-CATANIA", "RECAS-NAPOLI", "SRCE",
              "DESY-HH")
_DEFECT_SITES = (*ZERO_CPU_COUNT_SITES, *UNKNOWN_STATUS_SITES, *CPU_OVER_WALL_SITES)
_CLOUD_TYPES = ("OpenStack", "OpenNebula", "Synnefo")
_TYPE_P = np.array([[0.72, 0.22, 0.06], [0.85, 0.15, 0.0]])  # a site's first service, a later one
_FIRST_TYPE = {"CESNET-MetaCloud": 1, "HG-08-OKEANOS": 2, "BIFI": 2, "IFCA-LCG2": 0}  # first service's type
_SYNNEFO_HOME = ("HG-08-OKEANOS",)  # GRNET's ~okeanos, where Synnefo comes from, keeps it
# Service endpoints per cloud type, the n-th service of that type at a site taking the n-th.
_ENDPOINTS = (("nova.{}:8774", "openstack.{}:5000/v3", "fedcloud.{}:8774"),
              ("opennebula.{}", "one.{}:2633", "cloud.{}:11443"),
              ("cyclades.{}", "okeanos.{}", "synnefo.{}"))
_MAX_SERVICES, _MAX_IMAGES = 3, 10
_TEMPLATES = fed.load("cloud_templates.txt")  # os_tpl templates: name, years offered
# Cloud users among the VOs (relative weight); only those in the demo's VO list take part.
_CLOUD_VOS = {"vo.access.egi.eu": 1.0, "fedcloud.egi.eu": 0.9, "biomed": 0.5, "enmr.eu": 0.45,
              "vo.notebooks.egi.eu": 0.4, "vo.elixir-europe.org": 0.35, "training.egi.eu": 0.2,
              "vo.plgrid.pl": 0.15, "vo.lifewatch.eu": 0.15, "vo.nextgeoss.eu": 0.12, "vo.indigo-datacloud.eu": 0.12,
              "vo.emso-eric.eu": 0.1, "vo.clarin.eu": 0.1, "vo.opencoast.eu": 0.1, "vo.seadatanet.org": 0.1,
              "vo.france-grilles.fr": 0.1, "worsica.vo.incd.pt": 0.08, "km3net.org": 0.08, "lofar": 0.08,
              "gridit": 0.06, "eiscat.se": 0.06, "compchem": 0.05, "vo.dariah.eu": 0.05, "vo.neugrid.eu": 0.05,
              "ops": 0.03, "atlas": 0.5, "cms": 0.45, "lhcb": 0.25, "alice": 0.2}
_ANYWHERE = ("vo.access.egi.eu", "fedcloud.egi.eu", "biomed", "ops")  # served by every cloud site
# Owner kinds: /vo Role=NULL (personal), /vo/<group> Role=NULL (personal), /vo Role=production (robot)
_KIND_P = np.array([[0.93, 0.07, 0.0], [0.55, 0.05, 0.4]])  # other VOs, LHC VOs
_ROLES = ("Role=NULL", "Role=production")
_PRODUCTION_ROBOT = 2  # demo DNs of a VO: SAM Monitoring, Pilot, Production robots, then personal ones
_STATUS_P = [0.36, 0.46, 0.05, 0.03, 0.10]
_LONG_RUNNING = np.array([True, False, True, True, False])  # per status: VMs that keep running for months
_CPU_COUNTS, _CPU_COUNT_P = np.array([1, 2, 4, 8, 16]), [0.28, 0.32, 0.22, 0.13, 0.05]
_BENCH_TYPES = ("None", "HEPSPEC", "HEPscore23")  # "None": no benchmark, as APEL writes it


def generate(source_dir: Path, scale: str, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray,
             today: dt.date, progress: bool = True) -> int:
    """Write the cloud month partitions of the demo federation; returns the row count.

    sites, vos and site_vo (the VOs' share of each site's jobs) are the demo federation's."""
    seed = fed.SCALES[scale].seed
    clouds = _Clouds(np.random.default_rng([seed, 9]), sites, vos, site_vo, SIZES[scale], today)
    return fed.write_months(CLOUD, source_dir, fed.month_index(*_CLOUD_FROM), today,
                            lambda m: clouds.month(np.random.default_rng([seed, 10, m]), m), progress)


def _uuid(rng: np.random.Generator) -> str:
    a, b, c, d = (int(x) for x in rng.integers(0, 2**32, 4))
    return f"{a:08x}-{b >> 16:04x}-{b & 0xffff:04x}-{c >> 16:04x}-{c & 0xffff:04x}{d:08x}"


class _Clouds:
    """The cloud sites, their services, images, VOs and users; draws one month at a time."""

    def __init__(self, rng: np.random.Generator, sites: fed.Sites, vos: fed.Vos, site_vo: np.ndarray,
                 size: Size, today: dt.date):
        self.size, self.vos = size, vos
        self.today_ts = fed.timestamp(today)
        today_m = fed.month_index(today.year, today.month)
        chosen = _choose_sites(rng, sites, size, today_m)
        self.names = names = [sites.names[s] for s in chosen]
        self.ngi = [sites.ngi[s] for s in chosen]
        self.site_names = fed.Names(names)
        n = len(chosen)
        index = np.array(chosen, np.int64)
        first = fed.month_index(*_CLOUD_FROM)
        forced = np.isin(names, _DEFECT_SITES)
        self.start = np.maximum(sites.start[index], first + np.where(forced, 0, rng.integers(0, 30, n)))
        self.end = sites.end[index]  # a decommissioned site's cloud closes with it
        self.capacity = rng.lognormal(0, 0.5, n) * np.sqrt(sites.size[index])
        self._services(rng, [fed.site_domain(sites.names[s], sites.country[s]) for s in chosen], today_m)
        self._images(rng, today_m)
        self._vos(rng, index, site_vo)

    def _services(self, rng: np.random.Generator, domains: list[str], today_m: int) -> None:
        """1-3 services per site: the first from the site's start, later ones added (and the first
        often retired a few years after); each with its cloud type, what it reports and benchmarks."""
        n = len(self.names)
        kind = np.c_[[rng.choice(3, p=_TYPE_P[0]) for _ in range(n)], rng.choice(3, (n, 2), p=_TYPE_P[1])]
        kind[:, 0] = [_FIRST_TYPE.get(name, k) for name, k in zip(self.names, kind[:, 0])]
        # Synnefo sites but its home move on to another middleware some years later.
        moves = (kind[:, 0] == 2) & ~np.isin(self.names, _SYNNEFO_HOME)
        count = np.where(moves, 2, 1) + (rng.random(n) < 0.55) + (rng.random(n) < 0.2)
        count = np.minimum(count, _MAX_SERVICES)
        since = self.start[:, None] + np.c_[np.zeros(n, np.int64), rng.integers(6, 72, (n, 2))]
        since[:, 2] = np.maximum(since[:, 2], since[:, 1] + 6)
        until = np.minimum(np.full((n, _MAX_SERVICES), 10**6), self.end[:, None])
        retire = ((count > 1) & (rng.random(n) < 0.5)) | moves
        until[retire, 0] = np.minimum(until[retire, 0], since[retire, 1] + rng.integers(6, 36, retire.sum()))
        slot = np.arange(_MAX_SERVICES)[None, :] < count[:, None]
        self.slot_weight = np.where(slot & (since <= today_m), rng.lognormal(0, 0.5, (n, _MAX_SERVICES)), 0.0)
        # Flat service arrays, in site then slot order.
        site, self.slot_of = np.nonzero(self.slot_weight > 0)
        self.service_index = np.full((n, _MAX_SERVICES), -1)
        self.service_index[site, self.slot_of] = np.arange(len(site))
        self.service_site, self.service_since = site, since[site, self.slot_of]
        self.service_until, self.service_type = until[site, self.slot_of], kind[site, self.slot_of]
        names, taken = [], {}
        for s, k in zip(site, self.service_type):
            taken[s, k] = taken.get((s, k), -1) + 1
            names.append(_ENDPOINTS[k][taken[s, k]].format(domains[s]))
        self.services = fed.Names(names)
        ns = len(names)
        self.reports = rng.random((ns, 2)) < [0.75, 0.9]  # network, disk (else null)
        # Benchmarks (HS06-like per vCPU): from some month on, HEPscore23 later at some services.
        self.bench_from = np.where(rng.random(ns) < 0.7, self.service_since + rng.integers(12, 96, ns), 10**6)
        self.hs23_from = np.where(rng.random(ns) < 0.6, fed.month_index(2023, 3) + rng.integers(0, 30, ns), 10**6)
        self.bench = rng.uniform(8.0, 13.0, ns)[:, None] * np.array([0.0, 1.0, 1.0])
        self.bench[:, 2] *= rng.uniform(0.97, 1.08, ns)

    def _images(self, rng: np.random.Generator, today_m: int) -> None:
        """Per service up to _MAX_IMAGES images, each offered for some months of its life."""
        ns = len(self.service_site)
        first_years = np.array([int(y[:4]) for _, y in _TEMPLATES])
        last_years = np.array([int(y[5:]) if y[5:] else 9999 for _, y in _TEMPLATES])
        self.image_since = np.full((ns, _MAX_IMAGES), 10**6)
        self.image_until = np.zeros((ns, _MAX_IMAGES), np.int64)
        self.image_weight = rng.lognormal(0, 1.0, (ns, _MAX_IMAGES))
        appdb = np.array([0.65, 0.3, 0.65])[self.service_type]
        cap = self.capacity[self.service_site]
        image_ids, codes = {}, np.zeros((ns, _MAX_IMAGES), np.int64)
        for j in range(ns):
            since, until = self.service_since[j], min(self.service_until[j], today_m + 1)
            life = max(until - since, 1)
            for i in range(min(_MAX_IMAGES, 3 + rng.poisson(2 + 2 * cap[j]))):
                if i == 0 or rng.random() < appdb[j]:
                    name = f"https://appdb.egi.eu/store/vo/image/{_uuid(rng)}:{rng.integers(1, 40)}/"
                    start = since if i == 0 else since + rng.integers(0, life)
                    span = (since, until) if i == 0 else (start, start + rng.integers(18, 96))
                else:
                    t = rng.integers(len(_TEMPLATES))
                    name = f"os_tpl#{_TEMPLATES[t][0]}"
                    span = (max(since, fed.month_index(first_years[t], 1)),
                            min(until, fed.month_index(last_years[t] + 1, 1) if last_years[t] < 9999 else until))
                self.image_since[j, i], self.image_until[j, i] = span
                codes[j, i] = image_ids.setdefault(name, len(image_ids))
        self.image_code = codes
        self.images = fed.Names(list(image_ids))

    def _vos(self, rng: np.random.Generator, index: np.ndarray, site_vo: np.ndarray) -> None:
        """The VOs each site serves: the EGI-wide ones everywhere, LHC VOs at a few sites that
        serve them in HTC, a few others (national VOs only in their NGI)."""
        v = self.vos
        self.vo = np.array([v.names.index(name) for name in _CLOUD_VOS if name in v.names])
        names = [v.names[i] for i in self.vo]
        lhc, n = v.lhc[self.vo], len(index)
        anywhere = np.isin(names, _ANYWHERE)
        home = np.array([[v.home_ngi[i] in (None, self.ngi[s]) for i in self.vo] for s in range(n)])
        served = np.where(lhc, (site_vo[index][:, self.vo] > 0) & (rng.random((n, len(self.vo))) < 0.5), anywhere)
        others = ~lhc & ~anywhere & home
        weight = np.array([_CLOUD_VOS[x] for x in names])
        pick = rng.random((n, len(self.vo))) * weight * others
        k = 2 + rng.poisson(2 + 2 * self.capacity)
        served |= (pick > 0) & (np.argsort(np.argsort(-pick, axis=1), axis=1) < k[:, None])
        self.vo_weight = served * weight * rng.lognormal(0, 0.6, served.shape)
        self.kind_p = _KIND_P[lhc.astype(np.int64)]
        self.ops = np.array(names) == "ops"
        self.users = np.minimum(v.dn_count[self.vo], self.size.users)
        self.roles = fed.Names(list(_ROLES))
        self.vo_names = fed.Names(v.names)

    def month(self, rng: np.random.Generator, m: int) -> pa.Table | None:
        start, full_end, end = fed.month_span(m, self.today_ts)
        if end <= start:
            return None
        site, forced = self._draw_sites(rng, m, (end - start) / (full_end - start))
        keys = self._draw_keys(rng, m, site, forced)
        sums = self._draw_usage(rng, keys, (end - start) / 3600)
        times = self._draw_times(rng, m, keys, start, end, end < full_end)
        return self._summarise(rng, m, keys, sums, times)

    def _draw_sites(self, rng: np.random.Generator, m: int, fraction: float) -> tuple[np.ndarray, dict]:
        """Each sample's site: clouds ramp up for half a year and grow ~20% a year. This month's
        defect samples come first: (site, CpuCount, status) forced where not -1."""
        year = fed.FIRST_YEAR + m // 12 + (m % 12 + 0.5) / 12
        ramp = np.clip((m - self.start + 1) / 6, 0, 1) * (m < self.end)
        expected = self.size.samples * self.capacity * ramp * np.exp(0.18 * (year - 2025.5)) * fraction
        counts = rng.poisson(expected)
        if counts.sum() == 0:
            counts[np.argmax(expected)] = 1
        unknown = len(KNOWN_STATUSES)
        forced = ([(s, 0, status) for s in fed.active_in(m, _ZERO_CPU_COUNT_AT) for status in range(_DEFECT_ROWS)]
                  + [(s, c, unknown) for s in fed.active_in(m, _UNKNOWN_STATUS_AT)
                     for c in _CPU_COUNTS[1:1 + _DEFECT_ROWS]]
                  + [(s, c, -1) for s in fed.active_in(m, _CPU_OVER_WALL_AT)
                     for c in _CPU_COUNTS[:4]])  # rows to pick from
        site = np.r_[[self.names.index(s) for s, _, _ in forced], np.repeat(np.arange(len(counts)), counts)]
        return site.astype(np.int64), {"count": np.array([c for _, c, _ in forced], np.int64),
                                       "status": np.array([st for _, _, st in forced], np.int64)}

    def _draw_keys(self, rng: np.random.Generator, m: int, site: np.ndarray, forced: dict) -> dict:
        n, nf, v = len(site), len(forced["count"]), self.vos
        active = (self.service_since <= m) & (m < self.service_until)
        slot_active = np.zeros(self.slot_weight.shape, bool)
        slot_active[self.service_site, self.slot_of] = active
        slot_active[~slot_active.any(axis=1)] = True  # sites without a service now (no samples): any will do
        service = self.service_index[site, fed.choose(rng, self.slot_weight * slot_active, site)]
        open_images = (self.image_since <= m) & (m < self.image_until)
        open_images[~open_images.any(axis=1), 0] = True
        image = self.image_code[service, fed.choose(rng, self.image_weight * open_images, service)]
        vo = fed.choose(rng, self.vo_weight * ((v.start[self.vo] <= m) & (m < v.end[self.vo])), site)
        kind = fed.choose(rng, self.kind_p, vo)
        kind = np.where((kind == 1) & (v.group_count[self.vo[vo]] < 2), 0, kind)
        subgroup = 1 + (rng.random(n) * np.maximum(v.group_count[self.vo[vo]] - 1, 1)).astype(np.int64)
        # Personal DNs: a few users per VO, changing every year; the ops VO's VMs are SAM's.
        users = self.users[vo]
        personal = (np.floor(users * rng.random(n) ** 2).astype(np.int64) + (m // 12) * (users // 3 + 1)) % users
        owner = np.where(kind == 2, _PRODUCTION_ROBOT, np.where(self.ops[vo], 0, 3 + personal))
        status = rng.choice(len(KNOWN_STATUSES), n, p=_STATUS_P)
        count = _CPU_COUNTS[rng.choice(len(_CPU_COUNTS), n, p=_CPU_COUNT_P)]
        status[:nf] = np.where(forced["status"] >= 0, forced["status"], status[:nf])
        count[:nf] = np.where(forced["count"] >= 0, forced["count"], count[:nf])
        bench = np.where(m >= self.bench_from, np.where(m >= self.hs23_from, 2, 1), 0)[service]
        return {"site": site, "service": service, "dn": v.dn_offset[self.vo[vo]] + owner, "vo": self.vo[vo],
                "group": v.group_offset[self.vo[vo]] + np.where(kind == 1, subgroup, 0),
                "role": (kind == 2).astype(np.int64), "status": status, "image": image, "count": count,
                "bench": bench}

    def _draw_usage(self, rng: np.random.Generator, keys: dict, hours_in_month: float) -> tuple:
        """VMs, wall and CPU seconds, network (GB), memory (MB) and disk (GB), summed over VMs."""
        status, count, n = keys["status"], keys["count"], len(keys["site"])
        known = np.minimum(status, len(KNOWN_STATUSES) - 1)
        running = _LONG_RUNNING[known]
        vms = np.maximum(1, np.rint(rng.lognormal(np.log([3, 5, 1.5, 1.5, 2])[known] + (keys["role"] == 1), 1.0)))
        hours = np.where(running, hours_in_month * rng.uniform(0.3, 1.0, n),
                         np.where(known == 4, rng.lognormal(np.log(0.3), 1.0, n), rng.lognormal(np.log(40), 1.2, n)))
        hours = np.clip(hours, 0.05, hours_in_month)
        wall = np.rint(vms * hours * 3600).astype(np.int64)
        idle = (known == 2) | (known == 3) | (known == 4)
        efficiency = np.clip(np.where(idle, rng.beta(1.0, 9.0, n), rng.beta(2.5, 3.0, n)), 0.001, 0.98)
        cpu = np.floor(wall * np.maximum(count, 1) * efficiency).astype(np.int64)
        days = vms * hours / 24
        inbound = np.rint(days * rng.lognormal(np.log(1.5), 1.3, n)).astype(np.int64)
        outbound = np.rint(inbound * rng.uniform(0.05, 0.6, n)).astype(np.int64)
        memory = (rng.choice([1024, 2048, 4096], n, p=[0.2, 0.6, 0.2]) * np.maximum(count, 1) * vms).astype(np.int64)
        disk = (rng.choice([10, 20, 40, 80, 160], n, p=[0.1, 0.35, 0.3, 0.15, 0.1]) * vms).astype(np.int64)
        return vms.astype(np.int64), wall, cpu, inbound, outbound, memory, disk

    def _draw_times(self, rng: np.random.Generator, m: int, keys: dict, start: int, end: int,
                    current: bool) -> tuple:
        """Start times of the first and last VM (long-running ones may have started months
        before; never before their service) and the sample's last update."""
        n, service = len(keys["site"]), keys["service"]
        latest = start + (rng.random(n) * (end - start)).astype(np.int64)
        running = _LONG_RUNNING[np.minimum(keys["status"], len(KNOWN_STATUSES) - 1)]
        lead = np.where(running, rng.exponential(40 * _DAY, n), rng.random(n) * (latest - start)).astype(np.int64)
        since = np.array([fed.epoch(m) for m in self.service_since])[service]
        earliest = np.maximum(latest - lead, np.minimum(since, latest))
        if current:  # the current month: summarised some time since the last VM started
            update = latest + (rng.random(n) * (self.today_ts - latest)).astype(np.int64)
        else:  # past month: re-summarised a few days after it ended
            update = np.minimum(end + rng.integers(12 * 3600, 6 * _DAY, n), self.today_ts - 1)
        if fed.resummarised(m, self.today_ts):
            update = np.full(n, self.today_ts)  # summarised again last night
        return earliest, latest, update

    def _summarise(self, rng: np.random.Generator, m: int, keys: dict, sums: tuple, times: tuple) -> pa.Table:
        """Merge samples sharing the summary key; rows come out sorted by it (no benchmark first)."""
        statuses = fed.Names([*KNOWN_STATUSES, UNKNOWN_STATUS])
        benches, v = fed.Names(list(_BENCH_TYPES)), self.vos
        ranked = [self.site_names.rank[keys["site"]], self.services.rank[keys["service"]], v.dns.rank[keys["dn"]],
                  self.vo_names.rank[keys["vo"]], v.groups.rank[keys["group"]], self.roles.rank[keys["role"]],
                  statuses.rank[keys["status"]], self.images.rank[keys["image"]], keys["count"],
                  benches.rank[keys["bench"]]]
        earliest, latest, update = times
        ranked, sums, (earliest,), (latest, update) = fed.merge(ranked, sums, [earliest], [latest, update])
        site, service, dn, vo, group, role, status, image, count, bench = ranked
        vms, wall, cpu, inbound, outbound, memory, disk = sums
        site_names, service_names = self.site_names.sorted.take(site), self.services.sorted.take(service)
        service = self.services.code[service]
        for name in fed.active_in(m, _CPU_OVER_WALL_AT):  # e.g. a hypervisor reporting host CPU time
            over = rng.choice(np.flatnonzero(pc.equal(site_names, name).to_numpy(zero_copy_only=False) & (count > 0)),
                              _DEFECT_ROWS, replace=False)
            cpu[over] = np.ceil(wall[over] * count[over] * rng.uniform(1.05, 1.35, _DEFECT_ROWS)).astype(np.int64)
        # An image flavour with fractional vCPUs (APEL keeps CpuCount as DECIMAL(10,3)): its
        # 2-vCPU VMs have 1.345, and CPU time shrinks with them.
        fractional = (count == 2) & (self.images.code[image] % 7 == 0)
        vcpus = np.where(fractional, 1.345, count.astype(np.float64))
        cpu = np.where(fractional, np.floor(cpu * 1.345 / 2), cpu).astype(np.int64)
        bench_type = benches.code[bench]
        value = np.rint(self.bench[service, bench_type] * 1.03 ** (m // 12 + fed.FIRST_YEAR - 2014) * 1000) / 1000
        network, has_disk = self.reports[service, 0], self.reports[service, 1]
        n = len(site)
        return pa.table({
            "SiteName": site_names, "CloudComputeService": service_names,
            "Month": np.full(n, m % 12 + 1, np.int32), "Year": np.full(n, fed.FIRST_YEAR + m // 12, np.int32),
            "GlobalUserName": v.dns.sorted.take(dn), "VO": self.vo_names.sorted.take(vo),
            "VOGroup": v.groups.sorted.take(group), "VORole": self.roles.sorted.take(role),
            "Status": statuses.sorted.take(status),
            "CloudType": pa.array(np.array(_CLOUD_TYPES)[self.service_type[service]]),
            "ImageId": self.images.sorted.take(image),
            "EarliestStartTime": pa.array(earliest, UTC_TS), "LatestStartTime": pa.array(latest, UTC_TS),
            "WallDuration": wall.astype(np.uint64), "CpuDuration": cpu.astype(np.uint64),
            "CpuCount": pa.array(vcpus).cast(DECIMAL_COUNT),  # 3 decimals: Arrow rounds to the nearest
            "NetworkInbound": pa.array(inbound.astype(np.uint64), mask=~network),
            "NetworkOutbound": pa.array(outbound.astype(np.uint64), mask=~network),
            "Memory": memory.astype(np.uint64), "Disk": pa.array(disk.astype(np.uint64), mask=~has_disk),
            # APEL's CloudSummaries has no NULL benchmark: the loader writes 'None' and 0.
            "BenchmarkType": pa.array(np.array(_BENCH_TYPES, object)[bench_type], pa.string()),
            "Benchmark": pa.array(np.where(bench_type == 0, 0.0, value)), "NumberOfVMs": vms.astype(np.uint64),
            "UpdateTime": pa.array(update, UTC_TS)})


def _choose_sites(rng: np.random.Generator, sites: fed.Sites, size: Size, today_m: int) -> list[int]:
    """Cloud sites in name order: the defect sites, those of _PREFERRED that exist (in its order),
    then a draw weighted by size among the others, cloud-named ones likelier."""
    eligible = (sites.registered & (sites.start <= today_m - 6)
                & (sites.end > fed.month_index(*_CLOUD_FROM) + 12))
    preferred = [sites.names.index(name) for name in dict.fromkeys([*_DEFECT_SITES, *_PREFERRED])
                 if name in sites.names and eligible[sites.names.index(name)]]
    forced = preferred[:size.sites]
    cloudy = np.array(["cloud" in name.lower() for name in sites.names])
    return fed.choose_sites(rng, sites.names, forced, eligible, sites.size * np.where(cloudy, 5.0, 1.0),
                            [(eligible, size.sites - len(forced))])
