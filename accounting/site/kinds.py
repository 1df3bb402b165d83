"""The page kinds of the site and the URL of every page variant.

A page kind says which entity it is about (its scope column in the cube), which tables it
shows, and which variants exist: one per metric, and on the infrastructure-wide views one
per VO group and infrastructure filter too. Adding a view means adding a PageKind here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounting.catalogue import load
from accounting.site import paths

_FAMILIES = load().families
ALL_METRICS = _FAMILIES["htc"].metrics
NORMALISED_METRICS = tuple(m for m in ALL_METRICS if load().metrics[m].normalised)
DEFAULT_METRIC = _FAMILIES["htc"].default
DEFAULT_VO_GROUP = "all"
DEFAULT_INFRA = "localinfrajobs"
VO_GROUPS = ("all", "egi", "lhc")
INFRA_FILTERS = ("localinfrajobs", "onlyinfrajobs", "onlylocaljobs")


@dataclass(frozen=True)
class TableSpec:
    id: str  # stem of the table's download files
    row: str  # cube column of the rows
    column: str  # 'month' (last 12 complete months), 'year', or a category column
    cube: str = "htc_monthly"
    chart: str | None = "stacked"  # chart kind, None for no chart
    metric: str | None = None  # a fixed metric (another family's table on a page), else the page's
    title: str | None = None  # heading prefix, for such a table
    top: int | None = None  # only the rows with the most normalised work (the Resource Centres reports)
    recent: bool = False  # a category-column table over the last 12 complete months (else all years)

    @property
    def family(self) -> str:
        """htc, gpu or cloud: the cube family, its sum columns and page query."""
        prefix = self.cube.split("_")[0]
        return prefix if prefix in ("gpu", "cloud") else "htc"

    @property
    def query(self) -> str:
        return "report" if self.family == "htc" else "family_report"


@dataclass(frozen=True)
class PageKind:
    id: str
    path: str  # with {name} for entity pages
    scope: str | None  # cube column naming the entity; None: infrastructure-wide
    tables: tuple[TableSpec, ...]
    heading: str
    metrics: tuple[str, ...] = ALL_METRICS
    default_metric: str = DEFAULT_METRIC
    filters: bool = False  # VO-group and infrastructure variants
    row_links: dict[str, str] = field(default_factory=dict)  # row column -> page kind id
    family: str = "htc"  # htc, gpu or cloud: the data type (metrics, cubes) of the page
    # The rows the page keeps: (cube column, its allowed values), e.g. the Tier-1 pages' tiers.
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    default_vo_group: str = DEFAULT_VO_GROUP
    view: str = ""  # the section of the site (breadcrumbs) where it is not the data type's: wlcg
    parent: str | None = None  # the kind of the page above an entity page (breadcrumbs)

    def base_path(self, name: str | None = None) -> str:
        return self.path.format(name=paths.encode(name)) if name is not None else self.path

    def variant_path(self, name: str | None, metric: str, vo_group: str = DEFAULT_VO_GROUP,
                     infra: str = DEFAULT_INFRA) -> str:
        base = self.base_path(name)
        vo_group = vo_group if vo_group != DEFAULT_VO_GROUP or self.filters else self.default_vo_group
        if self.filters and (vo_group, infra) != (self.default_vo_group, DEFAULT_INFRA):
            return f"{base}{metric}/{vo_group}/{infra}/"
        return base if metric == self.default_metric else f"{base}{metric}/"

    def variants(self):
        groups = VO_GROUPS if self.filters else (self.default_vo_group,)
        infras = INFRA_FILTERS if self.filters else (DEFAULT_INFRA,)
        return [(g, i) for g in groups for i in infras]


_ENTITY_LINKS = {"NGI": "ngi", "Country": "country", "Site": "site", "VO": "vo",
                 "Discipline1": "discipline", "Discipline2": "discipline", "Discipline3": "discipline"}


def _monthly_yearly(row: str, chart: str = "stacked") -> tuple[TableSpec, ...]:
    return (TableSpec("table", row, "month", chart=chart), TableSpec("yearly", row, "year", chart=chart))


def _cloud_beside(row: str) -> tuple[TableSpec, ...]:
    """Cloud core hours next to the HTC tables of a discipline page."""
    return (TableSpec("cloud", row, "month", "cloud_monthly", metric="cloud_core_hours", title="Cloud"),
            TableSpec("cloud_yearly", row, "year", "cloud_monthly", metric="cloud_core_hours", title="Cloud"))


KINDS: tuple[PageKind, ...] = (
    PageKind("egi", "egi/", None, _monthly_yearly("NGI"), "EGI: HTC by operations centre",
             filters=True, row_links=_ENTITY_LINKS),
    PageKind("countries", "egi/countries/", None, _monthly_yearly("Country"), "EGI: HTC by country",
             filters=True, row_links=_ENTITY_LINKS),
    PageKind("ngi", "egi/ngi/{name}/", "NGI", _monthly_yearly("Site"), "Operations centre {name}",
             row_links=_ENTITY_LINKS),
    PageKind("country", "egi/country/{name}/", "Country", _monthly_yearly("Site"), "Country {name}",
             row_links=_ENTITY_LINKS),
    PageKind("site", "egi/site/{name}/", "Site",
             _monthly_yearly("VO") + (TableSpec("submithosts", "SubmitHost", "month", "htc_submithost"),),
             "Resource centre {name}", row_links=_ENTITY_LINKS),
    PageKind("vo", "egi/vo/{name}/", "VO",
             _monthly_yearly("Site") + (TableSpec("ngis", "NGI", "month"),), "VO {name}",
             row_links=_ENTITY_LINKS),
    PageKind("disciplines", "disciplines/", None, _monthly_yearly("Discipline1") + _cloud_beside("Discipline1"),
             "Scientific disciplines", row_links=_ENTITY_LINKS),
    # One kind per discipline level; a discipline's page lists the level below it.
    PageKind("discipline1", "discipline/{name}/", "Discipline1",
             _monthly_yearly("Discipline2") + _cloud_beside("Discipline2"), "Discipline {name}",
             row_links=_ENTITY_LINKS),
    PageKind("discipline2", "discipline/{name}/", "Discipline2",
             _monthly_yearly("Discipline3") + _cloud_beside("Discipline3"), "Discipline {name}",
             row_links=_ENTITY_LINKS),
    PageKind("discipline3", "discipline/{name}/", "Discipline3", _monthly_yearly("VO") + _cloud_beside("VO"),
             "Discipline {name}", row_links=_ENTITY_LINKS),
    PageKind("benchmarks", "benchmarks/", None,
             _monthly_yearly("BenchmarkType", chart="share")
             + (TableSpec("ngis", "NGI", "BenchmarkType", chart=None),),
             "Benchmarks: normalised work by benchmark type", metrics=NORMALISED_METRICS,
             default_metric="normelap_processors", row_links={"NGI": "benchmarks_ngi"}),
    PageKind("benchmarks_ngi", "benchmarks/ngi/{name}/", "NGI",
             (TableSpec("table", "BenchmarkType", "month", chart="share"),
              TableSpec("sites", "Site", "BenchmarkType", chart=None)),
             "Benchmarks in {name}", metrics=NORMALISED_METRICS,
             default_metric="normelap_processors", row_links={"Site": "site"}),
)

GPU_METRICS = _FAMILIES["gpu"].metrics
_GPU_LINKS = {"NGI": "gpu_ngi", "Country": "gpu_country", "Site": "gpu_site", "VO": "gpu_vo", "Model": "gpu_model"}


def _gpu(id: str, path: str, scope: str | None, tables: tuple[TableSpec, ...], heading: str) -> PageKind:
    return PageKind(id, path, scope, tables, heading, metrics=GPU_METRICS, default_metric=_FAMILIES["gpu"].default,
                    row_links=_GPU_LINKS, family="gpu")


def _family_tables(cube: str, row: str, *more: str) -> tuple[TableSpec, ...]:
    """A monthly and a yearly table by `row`, then a monthly table by each of `more`."""
    return (TableSpec("table", row, "month", cube), TableSpec("yearly", row, "year", cube),
            *(TableSpec(m.lower(), m, "month", cube) for m in more))


def _gpu_tables(row: str, *more: str) -> tuple[TableSpec, ...]:
    return _family_tables("gpu_monthly", row, *more)


KINDS += (
    _gpu("gpu", "gpu/", None, _gpu_tables("NGI", "Category", "RecordType"), "GPU: accelerators by operations centre"),
    _gpu("gpu_countries", "gpu/countries/", None, _gpu_tables("Country"), "GPU: accelerators by country"),
    _gpu("gpu_models", "gpu/models/", None, _gpu_tables("Model", "Category", "Type"), "GPU: accelerators by model"),
    _gpu("gpu_ngi", "gpu/ngi/{name}/", "NGI", _gpu_tables("Site", "Model"), "GPU in operations centre {name}"),
    _gpu("gpu_country", "gpu/country/{name}/", "Country", _gpu_tables("Site", "Model"), "GPU in {name}"),
    _gpu("gpu_site", "gpu/site/{name}/", "Site", _gpu_tables("VO", "Model", "RecordType"),
         "GPU at resource centre {name}"),
    _gpu("gpu_vo", "gpu/vo/{name}/", "VO", _gpu_tables("Site", "Model"), "GPU use of VO {name}"),
    _gpu("gpu_model", "gpu/model/{name}/", "Model", _gpu_tables("Site", "VO"), "GPU model {name}"),
)

CLOUD_METRICS = _FAMILIES["cloud"].metrics
_CLOUD_LINKS = {"NGI": "cloud_ngi", "Country": "cloud_country", "Site": "cloud_site", "VO": "cloud_vo"}


def _cloud(id: str, path: str, scope: str | None, heading: str, row: str, *more: str) -> PageKind:
    return PageKind(id, path, scope, _family_tables("cloud_monthly", row, *more), heading, metrics=CLOUD_METRICS,
                    default_metric=_FAMILIES["cloud"].default, row_links=_CLOUD_LINKS, family="cloud")


KINDS += (
    _cloud("cloud", "cloud/", None, "Cloud: virtual machines by operations centre", "NGI", "Status"),
    _cloud("cloud_countries", "cloud/countries/", None, "Cloud: virtual machines by country", "Country"),
    _cloud("cloud_ngi", "cloud/ngi/{name}/", "NGI", "Cloud in operations centre {name}", "Site"),
    _cloud("cloud_country", "cloud/country/{name}/", "Country", "Cloud in {name}", "Site"),
    _cloud("cloud_site", "cloud/site/{name}/", "Site", "Cloud at resource centre {name}", "VO",
           "CloudComputeService", "ImageId", "Status"),
    _cloud("cloud_vo", "cloud/vo/{name}/", "VO", "Cloud use of VO {name}", "Site", "ImageId"),
)

# WLCG: the HTC work of WLCG sites (wlcg_monthly), LHC VOs by default, in the old portal's
# paths. Tier-1 pages hold the Tier-0 too (the old "All Tier-1s + CERN").
_T1, _T2 = (("Tier", ("Tier-0", "Tier-1")),), (("Tier", ("Tier-2",)),)
_WLCG_LINKS = {"Country": "wlcg_country", "Site": "wlcg_site"}


def _wlcg(id: str, path: str, scope: str | None, heading: str, row: str, *more: str,
          where: tuple = (), links: dict | None = None, parent: str | None = None) -> PageKind:
    tables = (TableSpec("table", row, "month", "wlcg_monthly"), TableSpec("yearly", row, "year", "wlcg_monthly"),
              *(TableSpec(m.lower(), m, "month", "wlcg_monthly") for m in more))
    return PageKind(id, path, scope, tables, heading, filters=scope is None, where=where, default_vo_group="lhc",
                    default_metric="normelap_processors",
                    row_links={**_WLCG_LINKS, **(links or {})}, view="wlcg", parent=parent)


KINDS += (
    _wlcg("wlcg", "wlcg/", None, "WLCG: work by tier", "Tier", "Experiment", "Country"),
    _wlcg("wlcg_countries", "wlcg/countries/", None, "WLCG: work by country", "Country", "Experiment"),
    _wlcg("wlcg_country", "wlcg/country/{name}/", "Country", "WLCG in {name}", "Site", "Experiment",
          parent="wlcg_countries"),
    _wlcg("wlcg_site", "wlcg/site/{name}/", "Site", "WLCG site {name}", "Experiment"),
    _wlcg("wlcg_tier1", "wlcg/tier1/", None, "WLCG Tier-0 and Tier-1: work by federation", "Federation",
          "Experiment", where=_T1, links={"Federation": "wlcg_tier1_node"}),
    _wlcg("wlcg_tier1_node", "wlcg/tier1/node/{name}/", "Federation", "Tier-1 {name}", "Site", "Experiment",
          where=_T1, parent="wlcg_tier1"),
    _wlcg("wlcg_tier2", "wlcg/tier2/", None, "WLCG Tier-2: work by country", "Country", "Federation",
          "Experiment", where=_T2, links={"Federation": "wlcg_tier2_federation", "Country": "wlcg_tier2_country"}),
    _wlcg("wlcg_tier2_country", "wlcg/tier2/country/{name}/", "Country", "Tier-2 sites in {name}", "Site",
          "Federation", where=_T2, links={"Federation": "wlcg_tier2_federation"}, parent="wlcg_tier2"),
    _wlcg("wlcg_tier2_federation", "wlcg/tier2/federation/{name}/", "Federation", "Tier-2 federation {name}",
          "Site", "Experiment", where=_T2, parent="wlcg_tier2"),
    _wlcg("wlcg_osg", "wlcg/osg/", None, "WLCG: Open Science Grid sites", "Site", "Experiment",
          where=(("SiteGrid", ("OSG",)),)),
    _wlcg("wlcg_sites", "wlcg/sites/", None, "WLCG: every Tier-1 and Tier-2 site, EGI and OSG", "Site", "Tier",
          where=(("Tier", ("Tier-1", "Tier-2")),)),
)

# The old portal's Reports menu, Resource Centres: sites by first-level discipline over the
# last 12 complete months (all VOs, all jobs), the top 10 and top 100 by normalised CPU
# time, all sites, by country; HTC and cloud.
def _rc(id: str, path: str, heading: str, row: str = "Site", top: int | None = None, cube: str = "htc_monthly",
        family: str = "htc") -> PageKind:
    tables = (TableSpec("table", row, "month", cube, top=top),
              TableSpec("disciplines", row, "Discipline1", cube, top=top, recent=True))
    cat = _FAMILIES[family]
    links = {"Site": "site", "Country": "country"} if family == "htc" else {"Site": "cloud_site",
                                                                             "Country": "cloud_country"}
    return PageKind(id, path, None, tables, heading, metrics=cat.metrics, default_metric=cat.default, row_links=links,
                    family=family, view="reports")


KINDS += (
    _rc("rc_top10", "report/resource_centres/", "Resource centres: the top 10 by normalised CPU time", top=10),
    _rc("rc_top100", "report/resource_centres/top100/", "Resource centres: the top 100 by normalised CPU time",
        top=100),
    _rc("rc_all", "report/resource_centres/all/", "Resource centres: all, by scientific discipline"),
    _rc("rc_countries", "report/resource_centres/by_country/", "Resource centres by country and discipline",
        row="Country"),
    _rc("rc_cloud_top10", "report/resource_centres/cloud/", "Cloud resource centres: the top 10 by core hours",
        top=10, cube="cloud_monthly", family="cloud"),
    _rc("rc_cloud_all", "report/resource_centres/cloud/all/", "Cloud resource centres: all, by scientific discipline",
        cube="cloud_monthly", family="cloud"),
)
KIND = {k.id: k for k in KINDS}


# Storage (stock) pages: their own tables (accounting/stock.py), one page per measure.
STORAGE_DEFAULT_METRIC = "used"


@dataclass(frozen=True)
class StorageKind:
    id: str
    path: str  # with {name} for entity pages
    scope: str | None  # storage_monthly column naming the entity
    rows: tuple[str, ...]  # row dimension of each monthly table; the first also gets yearly tables
    heading: str
    links: tuple[tuple[str, str], ...] = ()  # (row dimension, page kind its rows link to)
    family: str = "storage"

    def base_path(self, name: str | None = None) -> str:
        return self.path.format(name=paths.encode(name)) if name is not None else self.path

    def metric_path(self, name: str | None, metric: str) -> str:
        base = self.base_path(name)
        return base if metric == STORAGE_DEFAULT_METRIC else f"{base}{metric}/"


_STORAGE_LINKS = (("NGI", "storage_ngi"), ("Country", "storage_country"), ("Site", "storage_site"),
                  ("VO", "storage_vo"))
STORAGE_KINDS = (
    StorageKind("storage", "storage/", None, ("NGI", "StorageMedia"), "Storage by operations centre",
                _STORAGE_LINKS),
    StorageKind("storage_countries", "storage/countries/", None, ("Country",), "Storage by country", _STORAGE_LINKS),
    StorageKind("storage_ngi", "storage/ngi/{name}/", "NGI", ("Site", "StorageMedia"),
                "Storage in operations centre {name}", _STORAGE_LINKS),
    StorageKind("storage_country", "storage/country/{name}/", "Country", ("Site",), "Storage in {name}",
                _STORAGE_LINKS),
    StorageKind("storage_site", "storage/site/{name}/", "Site", ("VO", "StorageShare", "StorageMedia"),
                "Storage at resource centre {name}", _STORAGE_LINKS),
    StorageKind("storage_vo", "storage/vo/{name}/", "VO", ("Site",), "Storage of VO {name}", _STORAGE_LINKS),
)
STORAGE_KIND = {k.id: k for k in STORAGE_KINDS}
