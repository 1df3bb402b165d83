"""What every page generator shares: the typed context of one build (time frame, assets,
catalogue, where each entity has a page) and the links between pages built from it
(breadcrumbs, the same entity in the other views).

A Context is plain data, so report pages can be rendered in worker processes from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounting.catalogue import Catalogue
from accounting.site.kinds import KIND, STORAGE_KIND, PageKind, StorageKind
from accounting.site.reader import CubeReader
from accounting.site.timeframe import TimeFrame

# The first breadcrumb of each view, and the sections below it.
TOPS = {"htc": ("EGI", "egi/"), "gpu": ("GPU", "gpu/"), "cloud": ("Cloud", "cloud/"),
        "storage": ("Storage", "storage/"), "wlcg": ("WLCG", "wlcg/")}
# The WLCG section pages, as a breadcrumb names them.
WLCG_SECTIONS = {"wlcg_countries": "Countries", "wlcg_tier1": "Tier-0 and Tier-1", "wlcg_tier2": "Tier-2",
                 "wlcg_osg": "OSG", "wlcg_sites": "All sites"}
SECTIONS = {"countries": ("Countries", "countries/"), "country": ("Countries", "countries/"),
            "models": ("Models", "models/"), "model": ("Models", "models/")}
VIEWS = (("CPU (HTC)", ""), ("GPU", "gpu_"), ("Cloud", "cloud_"), ("Storage", "storage_"))
# Each data type's cube: one without rows means the source had no such data.
FAMILY_CUBES = {"htc": "htc_monthly", "gpu": "gpu_monthly", "cloud": "cloud_monthly", "storage": "storage_monthly"}


def role(kind_id: str) -> str:
    """A kind without its view: 'gpu_site' → 'site'; a view's top page → 'top'."""
    if kind_id in ("egi", "gpu", "cloud", "storage"):
        return "top"
    for _, prefix in VIEWS[1:]:
        if kind_id.startswith(prefix):
            return kind_id.removeprefix(prefix)
    return kind_id


def kind_of(kind_id: str) -> PageKind | StorageKind:
    return KIND[kind_id] if kind_id in KIND else STORAGE_KIND[kind_id]


@dataclass
class Context:
    frame: TimeFrame
    assets: dict[str, str]  # logical name -> site path of the hashed file
    cat: Catalogue
    site_homes: dict[str, tuple[str, str]]  # site -> (NGI, Country) in its latest month
    discipline_kind: dict[str, str]  # discipline name -> page kind id
    discipline_parents: dict[str, list[str]]
    entities: dict[str, frozenset[str]]  # page kind ('site', 'gpu_site', 'storage_vo', ...) -> names with a page
    with_data: frozenset[str] = frozenset(FAMILY_CUBES)  # data types whose cube has rows
    # Data types whose rows carry no VO at all (APEL's accelerator summaries without FQAN):
    # their pages have no VO breakdown, and their VO kind no pages.
    without_vos: frozenset[str] = frozenset()

    def has_vos(self, family: str) -> bool:
        return family not in self.without_vos

    def entity_path(self, kind_id: str, name: str, metric: str | None = None) -> str:
        if kind_id == "discipline":
            kind_id = self.discipline_kind[name]
        kind = KIND[kind_id]
        if metric not in kind.metrics:
            metric = kind.default_metric
        return kind.variant_path(name, metric)

    def crumbs(self, kind: PageKind | StorageKind, name: str | None) -> list[tuple[str, str]]:
        """Site paths from the view's top page down to this one (the home page comes before)."""
        r = role(kind.id)
        if getattr(kind, "view", "") == "wlcg":  # WLCG, then the page's parents (Tier-1, a node)
            chain, up = [], kind
            while up.parent:
                up = KIND[up.parent]
                chain.insert(0, (WLCG_SECTIONS[up.id], up.base_path()))
            if name is not None:
                chain.append((name, kind.base_path(name)))
            elif kind.id in WLCG_SECTIONS:
                chain.append((WLCG_SECTIONS[kind.id], kind.base_path()))
            return [TOPS["wlcg"], *chain]
        if getattr(kind, "view", "") == "reports":
            return [("Reports", "report/"), (kind.heading.split(": ")[0], kind.base_path())]
        if r == "disciplines":
            return [("Scientific disciplines", kind.base_path())]
        if r.startswith("discipline"):
            chain = self.discipline_parents.get(name, []) + [name]
            return [("Disciplines", "disciplines/")] + [(d, self.entity_path("discipline", d)) for d in chain]
        if r.startswith("benchmarks"):
            return [("Benchmarks", "benchmarks/")] + ([(name, kind.base_path(name))] if name is not None else [])
        top = TOPS[kind.family]
        out = [top]
        if r in SECTIONS:
            label, path = SECTIONS[r]
            out.append((label, top[1] + path))
        elif r == "site":
            prefix = "" if kind.family == "htc" else f"{kind.family}_"
            ngi = self.site_homes.get(name, (None, None))[0]
            if ngi in self.entities[prefix + "ngi"]:
                out.append((ngi, kind_of(prefix + "ngi").base_path(ngi)))
        if name is not None:
            out.append((name, kind.base_path(name)))
        return out

    def cross_links(self, kind_id: str, name: str | None, rel) -> list[tuple[str, str, str]]:
        """The same NGI, country, site or VO in the other views (CPU, GPU, cloud, storage),
        where it has a page there: (text, name, link)."""
        base = role(kind_id)
        if base not in ("site", "vo", "ngi", "country") or name is None:
            return []
        links = []
        for view, prefix in VIEWS:
            other = prefix + base
            if other != kind_id and name in self.entities.get(other, ()):
                links.append((f"{view} accounting of", name, rel(kind_of(other).base_path(name))))
        return links


def discipline_tree(rows) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each discipline name gets one page, at the deepest level where it appears (so
    'unknown discipline', present at every level, lists its VOs); returns the page kind
    and the parent chain of each name."""
    level, parents = {}, {}
    for d1, d2, d3, _vo in rows:
        for depth, name, chain in ((1, d1, []), (2, d2, [d1]), (3, d3, [d1, d2])):
            if depth >= level.get(name, 0):
                level[name] = depth
                parents[name] = [p for p in dict.fromkeys(chain) if p != name]
    return {name: f"discipline{depth}" for name, depth in level.items()}, parents


def make_context(reader: CubeReader, cat: Catalogue, assets: dict[str, str]) -> Context:
    kinds, parents = discipline_tree(reader.disciplines())
    entities = reader.entities()
    with_data = frozenset(f for f, cube in FAMILY_CUBES.items() if reader.row_count(cube))
    without_vos = set()
    # Only APEL's accelerator summaries come in a shape without FQAN (every row the absent VO).
    if "gpu" in with_data and entities["gpu_vo"] <= {reader.absent["VO"]}:
        without_vos.add("gpu")
        entities["gpu_vo"] = frozenset()
    return Context(TimeFrame.from_as_of(reader.as_of()), assets, cat, reader.site_homes(), kinds, parents,
                   entities, with_data, frozenset(without_vos))
