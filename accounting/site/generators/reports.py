"""The report pages of every PageKind (HTC, GPU, cloud, disciplines, benchmarks).

For each page kind and filter, one query per table returns the sums for every entity at
once; each page variant then shapes a `report.Table` per metric and writes its HTML,
chart and CSV/Parquet downloads from that same table. Pages are independent, so they are
rendered in worker processes from the sums (each task carries its own small slice).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from urllib.parse import urlencode

from tqdm import tqdm

from accounting.site import charts, explore, paths, summary
from accounting.site.context import WLCG_SECTIONS, Context
from accounting.site.generators import Build
from accounting.site.kinds import (
    DEFAULT_INFRA,
    DEFAULT_VO_GROUP,
    INFRA_FILTERS,
    KIND,
    KINDS,
    VO_GROUPS,
    PageKind,
    TableSpec,
)
from accounting.site.reader import CubeReader
from accounting.site.render import Renderer, headline, titled
from accounting.site.report import Table, build_table, records_arrow, records_csv
from accounting.site.stock import StockTable
from accounting.site.writer import SiteWriter
from accounting.source.contracts import BENCHMARKS

MONTHS = "_months"  # the monthly sums behind a yearly table, for the peaks of per-period metrics


def sums(reader: CubeReader, ctx: Context, kind: PageKind, spec: TableSpec, vo_group: str, infra: str) -> dict:
    """{scope: {row: {column: sums}}} for one table of one kind, every entity at once."""
    first = ctx.frame.window_first if spec.column in ("month", "BenchmarkType") or spec.recent else 0
    return reader.sums(kind.scope, spec.row, spec.column, spec.cube, spec.family, first, ctx.frame.last,
                       vo_group, infra, kind.where)


def columns(ctx: Context, spec: TableSpec, table_sums: dict) -> tuple[list[str], list[str]]:
    """The keys and labels of a table's columns."""
    f = ctx.frame
    if spec.column == "month":
        months = f.recent_months()
        return [f.month_key(y, m) for y, m in months], [f.month_label(y, m) for y, m in months]
    found = sorted({c for cols in table_sums.values() for c in cols})
    if spec.column == "history":
        return found, found
    if spec.column == "year":
        first = int(found[0]) if found else f.last_year
        keys = [str(y) for y in range(first, f.last_year + 1)]
        return keys, [f.year_label(int(y)) for y in keys]
    keys = [b for b in BENCHMARKS if b in found or spec.column == "BenchmarkType"] + \
        [c for c in found if c not in BENCHMARKS]
    return keys, keys


def make_table(ctx: Context, kind: PageKind, spec: TableSpec, metric_id: str, table_sums: dict,
               page_dir: str) -> Table:
    metric = ctx.cat.metrics[metric_id]
    if spec.top:
        table_sums = top_rows(ctx, spec, table_sums)
    keys, labels = columns(ctx, spec, table_sums)
    target = kind.row_links.get(spec.row)
    if target and spec.family != kind.family and f"{spec.family}_{target}" in KIND:
        target = f"{spec.family}_{target}"  # another data type's table links into its own view
    has_page = ctx.entities.get(target)  # None: every row has a page (disciplines)
    href = (lambda key: paths.relative(page_dir, ctx.entity_path(target, key, metric_id))
            if has_page is None or key in has_page else None) if target else None
    row_label = ctx.cat.dimensions[spec.row]["label"]
    col_label = {"month": "month", "history": "month", "year": "year",
                 "BenchmarkType": "benchmark type"}.get(spec.column) or \
        _in_sentence(ctx.cat.dimensions[spec.column]["label"])
    period_s = [_length(ctx, spec, c, metric.period_unit) for c in keys] if metric.per_period else None
    return build_table(id=spec.id, title=f"{metric.name} by {_in_sentence(row_label)} and {col_label}",
                       row_dim=spec.row, row_label=row_label, columns=keys, column_labels=labels, metric=metric,
                       sums=table_sums, href=href, period_s=period_s)


def _length(ctx: Context, spec: TableSpec, key: str, unit: str) -> int:
    """A column's period length; a category column's is its table's window (the 12 months)."""
    f = ctx.frame
    if spec.column in ("month", "history", "year"):
        return f.length(key, unit)
    return sum(f.length(f.month_key(y, m), unit) for y, m in f.recent_months())


def top_rows(ctx: Context, spec: TableSpec, table_sums: dict) -> dict:
    """The spec.top rows with the most normalised work (normalised CPU time for HTC, the
    family's default metric otherwise), whatever the metric shown: the same rows on every page."""
    cat = ctx.cat
    rank = cat.metrics["normcpu" if spec.family == "htc" else cat.families[spec.family].default].numerator
    i = cat.families[spec.family].sums.index(rank)
    kept = sorted(table_sums, key=lambda r: (-sum(s[i] for s in table_sums[r].values()), str(r)))[:spec.top]
    return {r: table_sums[r] for r in kept}


def shown_tables(ctx: Context, kind: PageKind) -> list[TableSpec]:
    """A kind's tables that have data to show: none of a data type the source lacks (the
    cloud tables of the discipline pages), no VO breakdown of a data type without VOs."""
    return [spec for spec in kind.tables if spec.family in ctx.with_data
            and not (spec.row == "VO" and not ctx.has_vos(kind.family))]


def has_per_period(ctx: Context, family: str) -> bool:
    return any(ctx.cat.metrics[m].per_period for m in ctx.cat.families[family].metrics)


def peak_table(ctx: Context, kind: PageKind, spec: TableSpec, metric_id: str, monthly_sums: dict,
               page_dir: str) -> StockTable:
    """The yearly peak of a per-period metric: each year's largest month, from the monthly
    sums behind the yearly table (rows added month by month first, as for storage)."""
    metric, f = ctx.cat.metrics[metric_id], ctx.frame
    i = ctx.cat.families[metric.family].sums.index(metric.numerator)
    monthly = {row: {m: metric.value(s[i], f.length(m, metric.period_unit)) for m, s in by_month.items()}
               for row, by_month in monthly_sums.items()}
    months = sorted({m for by_month in monthly.values() for m in by_month})
    years = [str(y) for y in range(int(months[0][:4]), f.last_year + 1)] if months else []
    target = kind.row_links.get(spec.row)
    hrefs = {k: paths.relative(page_dir, ctx.entity_path(target, k, metric_id)) for k in monthly} if target else None
    row_label = ctx.cat.dimensions[spec.row]["label"]
    return StockTable(spec.id + "_peak", f"{metric.name} by {_in_sentence(row_label)}: yearly peak month", spec.row,
                      row_label, years, [f.year_label(int(y)) for y in years], metric.unit, monthly, "peak", False,
                      hrefs)


def write_downloads(writer: SiteWriter, page_dir: str, table: Table) -> None:
    """A table's CSV and Parquet, exactly as shown; a ratio's also with the sums behind it."""
    writer.write(page_dir + f"{table.id}.csv", table.csv())
    writer.write_parquet(page_dir + f"{table.id}.parquet", table.arrow())
    if table.metric.is_ratio:
        sums_table = table.sums_records()
        writer.write(page_dir + f"{table.id}_sums.csv", records_csv(*sums_table))
        writer.write_parquet(page_dir + f"{table.id}_sums.parquet", records_arrow(*sums_table))


class ReportPages:
    """Writes every metric's page of one entity and filter through one renderer."""

    def __init__(self, renderer: Renderer):
        self.r = renderer
        self.ctx = renderer.ctx

    def page(self, kind: PageKind, name: str | None, metric_id: str, vo_group: str, infra: str,
             sums_by_table: dict, shown_summary: dict | None = None) -> None:
        ctx, page_dir = self.ctx, kind.variant_path(name, metric_id, vo_group, infra)
        metric = ctx.cat.metrics[metric_id]
        tables = []
        for spec in shown_tables(ctx, kind):
            t_metric = ctx.cat.metrics[spec.metric or metric_id]
            table = make_table(ctx, kind, spec, t_metric.id, sums_by_table[spec.id], page_dir)
            if spec.title:
                table.title = f"{spec.title}: {table.title[0].lower()}{table.title[1:]}"
            write_downloads(self.r.writer, page_dir, table)
            chart = None
            if spec.chart and table.rows:
                chart = charts.spec("line" if t_metric.is_ratio else spec.chart, t_metric.title, f"{spec.id}.csv",
                                    table.row_dim, table.columns)
            tables.append({"id": spec.id, "title": table.title, "display": table.display(), "unit": t_metric.unit,
                           "chart": chart, "empty": not table.rows, "has_percent": table.has_percent,
                           "sums": t_metric.is_ratio, "averaged": table.averaged})
            if table.averaged and spec.column == "year":
                peak = peak_table(ctx, kind, spec, t_metric.id, sums_by_table[spec.id + MONTHS], page_dir)
                self.r.writer.write(page_dir + f"{peak.id}.csv", peak.csv())
                self.r.writer.write_parquet(page_dir + f"{peak.id}.parquet", peak.arrow())
                tables.append({"id": peak.id, "title": peak.title, "display": peak.display(), "unit": t_metric.unit,
                               "chart": None, "empty": not peak.rows, "has_percent": False, "sums": False,
                               "averaged": False})
        rel = lambda target: paths.relative(page_dir, target)  # noqa: E731
        metric_links = [(ctx.cat.metrics[m].name, rel(kind.variant_path(name, m, vo_group, infra)), m == metric_id)
                        for m in kind.metrics]
        filters = None
        if kind.filters:
            filters = {
                "vo": [(ctx.cat.vo_groups[g]["label"], rel(kind.variant_path(name, metric_id, g, infra)),
                        g == vo_group) for g in VO_GROUPS],
                "infra": [(ctx.cat.infra_filters[i]["label"], rel(kind.variant_path(name, metric_id, vo_group, i)),
                           i == infra) for i in INFRA_FILTERS],
            }
        summary_table = None
        if shown_summary:
            home = kind.variant_path(name, kind.default_metric, vo_group, infra)
            summary_table = {**shown_summary, "download": rel(home) + "summary"}
        heading = headline(kind.heading, name)
        view = explore.page_view(ctx.cat, ctx.frame, kind, name, metric_id, vo_group, infra)
        self.r.render("report.html", page_dir, explore=rel("explore/") + "?" + urlencode(view) if view else None,
                      kind=kind.id, kind_family=kind.family, view=kind.view, heading=heading,
                      title=f"{titled(heading)} — {metric.name}",
                      crumbs=[(label, rel(p)) for label, p in ctx.crumbs(kind, name)],
                      metric=metric, metric_links=metric_links, filters=filters,
                      vo_group=ctx.cat.vo_groups[vo_group], infra=ctx.cat.infra_filters[infra],
                      tables=tables, extra_links=self.extra_links(kind, name, rel),
                      without_vos=not ctx.has_vos(kind.family), summary=summary_table)

    def extra_links(self, kind: PageKind, name: str | None, rel) -> list[tuple[str, str | None, str]]:
        """Related pages: the same entity's CPU, GPU, cloud and storage views, a site's NGI
        and country, an NGI's benchmark view and back."""
        links = self.ctx.cross_links(kind.id, name, rel)
        if kind.view == "wlcg":  # every WLCG page reaches the sections and the pledges
            links += [(label, None, rel(KIND[k].base_path())) for k, label in
                      {"wlcg": "WLCG by tier", **WLCG_SECTIONS}.items() if k != kind.id]
            links.append(("Usage against pledge", None, rel("wlcg/pledges/")))
            if kind.id == "wlcg_site" and name in self.ctx.entities.get("site", ()):
                links.append(("CPU accounting of", name, rel(KIND["site"].base_path(name))))
        elif kind.id == "site":
            ngi, country = self.ctx.site_homes.get(name, (None, None))
            if ngi:
                links.append(("Operations centre", ngi, rel(KIND["ngi"].base_path(ngi))))
                links.append(("Country", country, rel(KIND["country"].base_path(country))))
        elif kind.id == "ngi":
            links.append(("Benchmarks in", name, rel(KIND["benchmarks_ngi"].base_path(name))))
        elif kind.id == "benchmarks_ngi":
            links.append(("Operations centre", name, rel(KIND["ngi"].base_path(name))))
        return links

    def entity(self, kind_id: str, variant: tuple[str, str], name: str | None, sums_by_table: dict) -> dict[str, int]:
        """Every metric's page of one entity and filter; returns the files written."""
        before = set(self.r.writer.written)
        kind = KIND[kind_id]
        shown = None
        if kind.family == "htc" and "table" in sums_by_table:
            # One summary per entity and filter, beside the default metric's page; every metric's page shows it.
            shown = summary.write(self.r.writer, kind.variant_path(name, kind.default_metric, *variant), self.ctx.cat,
                                  self.ctx.frame, sums_by_table["table"])
        for metric_id in kind.metrics:
            self.page(kind, name, metric_id, *variant, sums_by_table, shown)
        return {k: v for k, v in self.r.writer.written.items() if k not in before}


def tasks(b: Build):
    """(kind, variant, name, sums) for every report page, queried kind by kind so the
    workers can start on the first kind while the next is being queried. The page list
    comes from the whole history, so an entity with no recent jobs still has its page."""
    ctx = b.ctx
    for kind in KINDS:
        if kind.family not in ctx.with_data or (kind.scope == "VO" and not ctx.has_vos(kind.family)):
            continue  # generators.nodata says so where the data type's pages would be
        names = [None]
        if kind.scope and kind.id.startswith("discipline"):  # every discipline of every data type's VOs
            names = sorted(n for n, k in ctx.discipline_kind.items() if k == kind.id)
        elif kind.scope:
            first = kind.tables[0]
            all_time = sums(b.reader, ctx, kind, TableSpec("all", first.row, "year", first.cube),
                            DEFAULT_VO_GROUP, DEFAULT_INFRA)
            names = sorted(all_time)
        b.entity_names.update(n for n in names if n is not None)
        specs = shown_tables(ctx, kind)
        for variant in kind.variants():
            by_table = {spec.id: sums(b.reader, ctx, kind, spec, *variant) for spec in specs}
            for spec in specs:
                if spec.column == "year" and has_per_period(ctx, spec.family):
                    by_table[spec.id + MONTHS] = sums(b.reader, ctx, kind, TableSpec(spec.id + MONTHS, spec.row,
                                                      "history", spec.cube), *variant)
            for name in names:
                scope = name if kind.scope else "EGI"
                yield kind.id, variant, name, {t: s.get(scope, {}) for t, s in by_table.items()}


def generate(b: Build) -> None:
    """In `spawn`ed workers (never `fork`: this process holds DuckDB threads, and
    vl-convert does not survive a fork)."""
    bar = tqdm(desc="report pages", unit="entity", disable=not b.progress, leave=False)
    if b.workers <= 1:
        pages = ReportPages(b.renderer)
        for task in tasks(b):
            pages.entity(*task)
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(b.workers, _init_worker, (b.ctx, b.writer.root)) as pool:
            for written in pool.imap_unordered(_render_task, tasks(b), chunksize=4):
                b.writer.adopt(written)
                b.renderer.pages += sum(1 for rel in written if rel.endswith("index.html"))
                bar.update()
    bar.close()


_WORKER: ReportPages | None = None


def _init_worker(ctx: Context, root: Path) -> None:
    global _WORKER
    _WORKER = ReportPages(Renderer(ctx, SiteWriter(root)))


def _render_task(task: tuple) -> dict[str, int]:
    return _WORKER.entity(*task)


def _in_sentence(label: str) -> str:
    """'Resource centre (site)' → 'resource centre (site)', but 'VO' stays 'VO'."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]
