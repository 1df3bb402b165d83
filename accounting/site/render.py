"""Turning prepared figures into files: the Jinja environment, report pages and their
downloads. Knows nothing of DuckDB, so report pages can be rendered in worker processes
from the sums the site builder queried (each task carries its own small slice)."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
import markupsafe

from accounting.site import charts
from accounting.site import paths
from accounting.cubes.catalogue import Catalogue
from accounting.locations import TEMPLATES
from accounting.source.contracts import BENCHMARKS
from accounting.site.kinds import INFRA_FILTERS, KIND, STORAGE_KIND, VO_GROUPS, PageKind, TableSpec
from accounting.site.report import Table, build_table, records_arrow, records_csv
from accounting.site.timeframe import TimeFrame
from accounting.site.writer import SiteWriter


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, auto_reload=False,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["script_json"] = lambda obj: markupsafe.Markup(charts.script_json(obj))
    return env


@dataclass
class Context:
    """What every page needs: the time frame, assets, catalogue and the link resolver."""

    frame: TimeFrame
    assets: dict[str, str]
    cat: Catalogue
    site_homes: dict[str, tuple[str, str]]  # site -> (NGI, Country) in its latest month
    discipline_kind: dict[str, str]  # discipline name -> page kind id
    discipline_parents: dict[str, list[str]]
    entities: dict[str, frozenset[str]]  # page kind ('site', 'gpu_site', 'storage_vo', ...) -> names with a page

    def entity_path(self, kind_id: str, name: str, metric: str | None = None) -> str:
        if kind_id == "discipline":
            kind_id = self.discipline_kind[name]
        kind = KIND[kind_id]
        if metric not in kind.metrics:
            metric = kind.default_metric
        return kind.variant_path(name, metric)


class Renderer:
    """Writes pages under one root with one shared Jinja environment."""

    def __init__(self, ctx: Context, writer: SiteWriter):
        self.ctx = ctx
        self.writer = writer
        self.env = make_env()
        self.pages = 0

    def render(self, template: str, page_dir: str, **page) -> None:
        root = paths.relative(page_dir, "")
        html = self.env.get_template(template).render(
            page=page, root=root, assets={k: root + v for k, v in self.ctx.assets.items()},
            frame=self.ctx.frame, cat=self.ctx.cat)
        self.writer.page(page_dir, html)
        self.pages += 1

    def crumbs(self, kind: PageKind, name: str | None) -> list[tuple[str, str]]:
        egi = [("EGI", "egi/")]
        ctx = self.ctx
        if kind.id == "countries":
            return egi + [("Countries", "egi/countries/")]
        if kind.id in ("ngi", "vo"):
            return egi + [(name, kind.base_path(name))]
        if kind.id == "country":
            return egi + [("Countries", "egi/countries/"), (name, kind.base_path(name))]
        if kind.id == "site":
            ngi = ctx.site_homes.get(name, (None, None))[0]
            return egi + ([(ngi, KIND["ngi"].base_path(ngi))] if ngi else []) + [(name, kind.base_path(name))]
        if kind.id.startswith("discipline") and name is not None:
            chain = ctx.discipline_parents.get(name, []) + [name]
            return [("Disciplines", "disciplines/")] + [(d, ctx.entity_path("discipline", d)) for d in chain]
        if kind.id == "benchmarks_ngi":
            return [("Benchmarks", "benchmarks/"), (name, kind.base_path(name))]
        if kind.family in ("gpu", "cloud"):
            f = kind.family
            top = [({"gpu": "GPU", "cloud": "Cloud"}[f], f"{f}/")]
            if kind.id in (f"{f}_countries", f"{f}_country"):
                top.append(("Countries", f"{f}/countries/"))
            elif kind.id in ("gpu_models", "gpu_model"):
                top.append(("Models", "gpu/models/"))
            elif kind.id == f"{f}_site":
                ngi = ctx.site_homes.get(name, (None, None))[0]
                if ngi in ctx.entities[f"{f}_ngi"]:
                    top.append((ngi, KIND[f"{f}_ngi"].base_path(ngi)))
            return top + ([(name, kind.base_path(name))] if name is not None else [])
        return [(kind.heading.split(":")[0], kind.base_path())]

    def columns(self, spec: TableSpec, sums: dict) -> tuple[list[str], list[str]]:
        f = self.ctx.frame
        if spec.column == "month":
            months = f.recent_months()
            return [f.month_key(y, m) for y, m in months], [f.month_label(y, m) for y, m in months]
        if spec.column == "history":
            keys = sorted({c for cols in sums.values() for c in cols})
            return keys, keys
        if spec.column == "year":
            years = sorted({c for cols in sums.values() for c in cols})
            first = int(years[0]) if years else f.last_year
            keys = [str(y) for y in range(first, f.last_year + 1)]
            return keys, [f.year_label(int(y)) for y in keys]
        found = sorted({c for cols in sums.values() for c in cols})
        keys = [b for b in BENCHMARKS if b in found or spec.column == "BenchmarkType"] + \
            [c for c in found if c not in BENCHMARKS]
        return keys, keys

    def make_table(self, kind: PageKind, spec: TableSpec, metric_id: str, sums: dict, page_dir: str) -> Table:
        metric = self.ctx.cat.metrics[metric_id]
        columns, labels = self.columns(spec, sums)
        target = kind.row_links.get(spec.row)
        href = (lambda key: paths.relative(page_dir, self.ctx.entity_path(target, key, metric_id))) \
            if target else None
        row_label = self.ctx.cat.dimensions[spec.row]["label"]
        col_label = {"month": "month", "history": "month", "year": "year"}.get(spec.column, "benchmark type")
        period_s = [self.ctx.frame.seconds(c) for c in columns] if metric.per_period else None
        return build_table(id=spec.id, title=f"{metric.name} by {_in_sentence(row_label)} and {col_label}",
                           row_dim=spec.row, row_label=row_label, columns=columns,
                           column_labels=labels, metric=metric, sums=sums, href=href, period_s=period_s)

    def report_page(self, kind: PageKind, name: str | None, metric_id: str, vo_group: str,
                    infra: str, sums_by_table: dict) -> None:
        page_dir = kind.variant_path(name, metric_id, vo_group, infra)
        metric = self.ctx.cat.metrics[metric_id]
        tables = []
        for spec in kind.tables:
            t_metric = self.ctx.cat.metrics[spec.metric or metric_id]
            table = self.make_table(kind, spec, t_metric.id, sums_by_table[spec.id], page_dir)
            if spec.title:
                table.title = f"{spec.title}: {table.title[0].lower()}{table.title[1:]}"
            self.writer.write(page_dir + f"{spec.id}.csv", table.csv())
            self.writer.write_parquet(page_dir + f"{spec.id}.parquet", table.arrow())
            if t_metric.is_ratio:
                header, records = table.sums_records()
                self.writer.write(page_dir + f"{spec.id}_sums.csv", records_csv(header, records))
                self.writer.write_parquet(page_dir + f"{spec.id}_sums.parquet", records_arrow(header, records))
            chart = None
            if spec.chart and table.rows:
                chart_kind = "line" if t_metric.is_ratio else spec.chart
                chart = charts.spec(chart_kind, t_metric.title, f"{spec.id}.csv", table.row_dim, table.columns,
                                    table.summary_rows)
            tables.append({"id": spec.id, "title": table.title, "display": table.display(), "unit": t_metric.unit,
                           "chart": chart, "empty": not table.rows, "has_percent": table.has_percent,
                           "sums": t_metric.is_ratio})
        rel = lambda target: paths.relative(page_dir, target)  # noqa: E731
        metric_links = [(self.ctx.cat.metrics[m].name, rel(kind.variant_path(name, m, vo_group, infra)),
                         m == metric_id) for m in kind.metrics]
        filters = None
        if kind.filters:
            filters = {
                "vo": [(self.ctx.cat.vo_groups[g]["label"], rel(kind.variant_path(name, metric_id, g, infra)),
                        g == vo_group) for g in VO_GROUPS],
                "infra": [(self.ctx.cat.infra_filters[i]["label"], rel(kind.variant_path(name, metric_id, vo_group, i)),
                           i == infra) for i in INFRA_FILTERS],
            }
        heading = kind.heading.format(name=name)
        self.render("report.html", page_dir, kind=kind.id, kind_family=kind.family, heading=heading,
                    title=f"{heading} — {metric.name}",
                    crumbs=[(label, rel(p)) for label, p in self.crumbs(kind, name)],
                    metric=metric, metric_links=metric_links, filters=filters,
                    vo_group=self.ctx.cat.vo_groups[vo_group], infra=self.ctx.cat.infra_filters[infra],
                    tables=tables, extra_links=self.extra_links(kind, name, rel))

    def extra_links(self, kind: PageKind, name: str | None, rel) -> list[tuple[str, str]]:
        """Related pages: a site's NGI and country, an NGI's benchmark view, the same
        entity's CPU, GPU and storage views, and so on."""
        links = cross_links(self.ctx, kind.id, name, rel)
        if kind.id == "site":
            ngi, country = self.ctx.site_homes.get(name, (None, None))
            if ngi:
                links.append((f"Operations centre {ngi}", rel(KIND["ngi"].base_path(ngi))))
                links.append((f"Country {country}", rel(KIND["country"].base_path(country))))
        elif kind.id == "ngi":
            links.append((f"Benchmarks in {name}", rel(KIND["benchmarks_ngi"].base_path(name))))
        elif kind.id == "benchmarks_ngi":
            links.append((f"Operations centre {name}", rel(KIND["ngi"].base_path(name))))
        return links

    def report_entity(self, kind_id: str, variant: tuple[str, str], name: str | None,
                      sums_by_table: dict) -> dict[str, int]:
        """Every metric's page of one entity and filter; returns the files written."""
        before = set(self.writer.written)
        kind = KIND[kind_id]
        for metric_id in kind.metrics:
            self.report_page(kind, name, metric_id, *variant, sums_by_table)
        return {k: v for k, v in self.writer.written.items() if k not in before}


def cross_links(ctx: Context, kind_id: str, name: str | None, rel) -> list[tuple[str, str]]:
    """The same NGI, country, site or VO in the other views (CPU, GPU, storage), where it
    has a page there."""
    base = kind_id.removeprefix("gpu_").removeprefix("cloud_").removeprefix("storage_")
    if base not in ("site", "vo", "ngi", "country") or name is None:
        return []
    links = []
    for view, other in (("CPU (HTC)", base), ("GPU", "gpu_" + base), ("Cloud", "cloud_" + base),
                        ("Storage", "storage_" + base)):
        if other != kind_id and name in ctx.entities.get(other, ()):
            path = KIND[other].base_path(name) if other in KIND else STORAGE_KIND[other].base_path(name)
            links.append((f"{view} accounting of {name}", rel(path)))
    return links


def _in_sentence(label: str) -> str:
    """'Resource centre (site)' → 'resource centre (site)', but 'VO' stays 'VO'."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


