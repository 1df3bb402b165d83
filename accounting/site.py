"""Stage 3: render the static site from the cubes into a staging tree swapped in at the end.

The report pages come from one generic mechanism: for each page kind and filter, one
query per table returns the sums for every entity at once (`cubes/queries/report.sql`);
each page variant then shapes a `report.Table` per metric and writes its HTML, chart
data and CSV/Parquet downloads from that same table.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe
from tqdm import tqdm

from . import atomic, charts, cubes, datasets_page, paths
from .assets import write_assets
from .catalogue import CUBES_DIR, ROOT, Catalogue, load
from .contracts import BENCHMARKS
from .pages import (DEFAULT_INFRA, DEFAULT_VO_GROUP, INFRA_FILTERS, KIND, KINDS, VO_GROUPS,
                    PageKind, TableSpec)
from .report import Table, build_table
from .timeframe import TimeFrame
from .writer import SiteWriter

log = logging.getLogger(__name__)

TEMPLATES = ROOT / "site_templates"
COLUMN_EXPR = {"month": "month_label(Year, Month)", "year": "printf('%04d', Year)"}
QUERY_IDENTIFIERS = {"NGI", "Country", "Site", "VO", "SubmitHost", "BenchmarkType", "Infrastructure",
                     "Discipline1", "Discipline2", "Discipline3", "htc_monthly", "htc_submithost"}


def query(name: str) -> str:
    return (CUBES_DIR / "queries" / f"{name}.sql").read_text()


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

    def entity_path(self, kind_id: str, name: str, metric: str | None = None) -> str:
        if kind_id == "discipline":
            kind_id = self.discipline_kind[name]
        kind = KIND[kind_id]
        if metric not in kind.metrics:
            metric = kind.default_metric
        return kind.variant_path(name, metric)


class SiteBuilder:
    def __init__(self, cubes_dir: Path, writer: SiteWriter, cache_dir: Path, progress: bool = True,
                 workers: int | None = None):
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.con = cubes.connect()
        cubes.register_cube_views(self.con, cubes_dir)
        self.cubes_dir = Path(cubes_dir)
        self.writer = writer
        self.env = make_env()
        self.progress = progress
        summary = self.con.execute("SELECT first_period, as_of FROM source_summary WHERE dataset = 'htc'").fetchone()
        frame = TimeFrame.from_as_of(summary[1], summary[0])
        homes = {s: (n, c) for s, n, c in self.con.execute(query("site_homes")).fetchall()}
        d_kind, d_parents = self._discipline_tree()
        self.ctx = Context(frame, write_assets(writer, cache_dir), load(), homes, d_kind, d_parents)
        self.pages = 0

    # -- shared page pieces -------------------------------------------------------------

    def _discipline_tree(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Each discipline name gets one page, at the deepest level where it appears (so
        'unknown discipline', present at every level, lists its VOs)."""
        kind, parents = {}, {}
        for d1, d2, d3, _vo in self.con.execute(query("disciplines")).fetchall():
            for level, name, chain in ((1, d1, []), (2, d2, [d1]), (3, d3, [d1, d2])):
                if level >= int(kind.get(name, "discipline0")[-1]):
                    kind[name] = f"discipline{level}"
                    parents[name] = [p for p in dict.fromkeys(chain) if p != name]
        return kind, parents

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
        return [(kind.heading.split(":")[0], kind.base_path())]

    # -- report pages -------------------------------------------------------------------

    def sums(self, kind: PageKind, spec: TableSpec, vo_group: str, infra: str) -> dict:
        """{scope: {row: {column: sums}}} for one table of one kind, every entity at once."""
        for ident in (kind.scope, spec.row, spec.cube):
            if ident is not None and ident not in QUERY_IDENTIFIERS:
                raise ValueError(f"not a known cube column: {ident!r}")
        sql = query("report").format(scope=kind.scope or "'EGI'", row=spec.row,
                                     column=COLUMN_EXPR.get(spec.column, spec.column), cube=spec.cube)
        first = 0 if spec.column == "year" else self.ctx.frame.window_first
        cur = self.con.execute(sql, {"vo_group": vo_group, "infra_filter": infra,
                                     "first": first, "last": self.ctx.frame.last})
        out: dict = defaultdict(lambda: defaultdict(dict))
        for scope, row, col, *s in cur.fetchall():
            out[scope][row][col] = tuple(int(v) for v in s)
        return out

    def columns(self, spec: TableSpec, sums: dict) -> tuple[list[str], list[str]]:
        f = self.ctx.frame
        if spec.column == "month":
            months = f.recent_months()
            return [f.month_key(y, m) for y, m in months], [f.month_label(y, m) for y, m in months]
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
        col_label = {"month": "month", "year": "year"}.get(spec.column, "benchmark type")
        return build_table(id=spec.id, title=f"{metric.name} by {_in_sentence(row_label)} and {col_label}",
                           row_dim=spec.row, row_label=row_label, columns=columns,
                           column_labels=labels, metric=metric, sums=sums, href=href,
                           chartable=spec.chart is not None)

    def report_page(self, kind: PageKind, name: str | None, metric_id: str, vo_group: str,
                    infra: str, sums_by_table: dict) -> None:
        page_dir = kind.variant_path(name, metric_id, vo_group, infra)
        metric = self.ctx.cat.metrics[metric_id]
        scope = name if kind.scope else "EGI"
        tables = []
        for spec in kind.tables:
            table = self.make_table(kind, spec, metric_id, sums_by_table[spec.id].get(scope, {}), page_dir)
            self.writer.write(page_dir + f"{spec.id}.csv", table.csv())
            self.writer.write_parquet(page_dir + f"{spec.id}.parquet", table.arrow())
            chart = None
            if spec.chart and table.rows:
                chart_kind = "line" if metric.is_ratio else spec.chart
                chart = charts.spec(chart_kind, metric.title, table.chart_values())
            tables.append({"id": spec.id, "title": table.title, "display": table.display(),
                           "chart": chart, "empty": not table.rows, "has_percent": table.has_percent})
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
        self.render("report.html", page_dir, kind=kind.id, heading=heading,
                    title=f"{heading} — {metric.name}",
                    crumbs=[(label, rel(p)) for label, p in self.crumbs(kind, name)],
                    metric=metric, metric_links=metric_links, filters=filters,
                    vo_group=self.ctx.cat.vo_groups[vo_group], infra=self.ctx.cat.infra_filters[infra],
                    tables=tables, extra_links=self.extra_links(kind, name, rel))

    def extra_links(self, kind: PageKind, name: str | None, rel) -> list[tuple[str, str]]:
        """Related pages: a site's NGI and country, an NGI's benchmark view, and so on."""
        links = []
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

    def entities(self, kind: PageKind, yearly: dict) -> list[str | None]:
        if kind.scope is None:
            return [None]
        names = sorted(yearly)
        if kind.id.startswith("discipline"):
            names = [n for n in names if self.ctx.discipline_kind.get(n) == kind.id]
        return names

    def plan_reports(self) -> list[tuple]:
        """Query the sums of every report page and list the pages: [(kind, variant, name)].

        The page list comes from the whole history, so an entity with no recent jobs still
        has its page and yearly table.
        """
        jobs = []
        self.report_sums = {}
        for kind in KINDS:
            all_time = self.sums(kind, TableSpec("all", kind.tables[0].row, "year", kind.tables[0].cube),
                                 DEFAULT_VO_GROUP, DEFAULT_INFRA) if kind.scope else {"EGI": {}}
            names = self.entities(kind, all_time)
            for variant in kind.variants():
                self.report_sums[kind.id, variant] = {
                    spec.id: self.sums(kind, spec, *variant) for spec in kind.tables}
                jobs += [(kind.id, variant, name) for name in names]
        return jobs

    def report_pages(self, jobs: list[tuple]) -> tuple[int, dict[str, int]]:
        """Render the listed entities' pages, every metric of each; return the files written."""
        before = set(self.writer.written)
        for kind_id, variant, name in jobs:
            kind = KIND[kind_id]
            for metric_id in kind.metrics:
                self.report_page(kind, name, metric_id, *variant, self.report_sums[kind_id, variant])
        return len(jobs), {k: v for k, v in self.writer.written.items() if k not in before}

    def render_reports(self, workers: int) -> None:
        """Pages are independent once the sums are known: render them in forked workers.

        fork is safe here: the workers only run Python (Jinja, pyarrow) and vl-convert,
        which does not survive fork, is never loaded in this process.
        """
        jobs = self.plan_reports()
        chunks = [jobs[i:i + 4] for i in range(0, len(jobs), 4)]
        bar = tqdm(total=len(jobs), desc="report pages", unit="entity", disable=not self.progress, leave=False)
        if workers <= 1:
            results = (self.report_pages(c) for c in chunks)
        else:
            global _BUILDER
            _BUILDER = self
            pool = multiprocessing.get_context("fork").Pool(workers)
            results = pool.imap_unordered(_render_chunk, chunks)
        for n_jobs, written in results:
            if workers > 1:  # the workers' bookkeeping happened in their own memory
                for rel, size in written.items():
                    if rel in self.writer.written:
                        raise RuntimeError(f"two outputs for the same path: {rel}")
                    self.writer.written[rel] = size
                self.pages += sum(1 for rel in written if rel.endswith("index.html"))
            bar.update(n_jobs)
        if workers > 1:
            pool.close()
            pool.join()
        bar.close()

    # -- special pages ------------------------------------------------------------------

    def landing(self) -> None:
        f, cat = self.ctx.frame, self.ctx.cat
        prev_y, prev_m = f.recent_months(2)[0]
        full_year = f.last_year if f.last_month == 12 else f.last_year - 1
        periods = {
            "month": (f.month_key(f.last_year, f.last_month), f.month_key(prev_y, prev_m),
                      f.last_month_label, f.month_label(prev_y, prev_m)),
            "year": (str(full_year), str(full_year - 1), str(full_year), str(full_year - 1)),
        }
        keys = [k for p in periods.values() for k in p[:2]]
        sums = {r[0]: r[1:] for r in self.con.execute(query("headline"), {
            "periods": keys, "first": 0, "last": f.last}).fetchall()}
        activity = {(r[0], r[1]): r[2:] for r in self.con.execute(
            "SELECT period_kind, period, active_sites, active_vos, active_users FROM htc_activity "
            "WHERE vo_group = 'all' AND infra_filter = 'localinfrajobs'").fetchall()}
        figures = [("njobs", 0), ("normcpu", 2), ("normelap_processors", 3), ("sumcpu", 1)]
        tiles = []
        for kind_, (cur, prev, cur_label, prev_label) in periods.items():
            items = []
            for metric_id, i in figures:
                m = cat.metrics[metric_id]
                items.append(_tile(m.name, m.unit, m.value(sums[cur][i]), m.value(sums[prev][i])))
            for j, (label, unit) in enumerate((("Active sites", "sites"), ("Active VOs", "VOs"),
                                              ("Active users", "users"))):
                a, b = activity.get((kind_, cur)), activity.get((kind_, prev))
                items.append(_tile(label, unit, a[j] if a else None, b[j] if b else None))
            tiles.append({"period": cur_label, "previous": prev_label, "figures": items})
        trend_rows = defaultdict(dict)
        for month, infra, s in self.con.execute(query("trend"), {"last": f.last}).fetchall():
            trend_rows[infra][month] = (0, 0, 0, 0, 0, 0, int(s))
        months = sorted({m for r in trend_rows.values() for m in r})
        metric = cat.metrics["normelap_processors"]
        trend = build_table(id="trend", title="Normalised work by infrastructure and month",
                            row_dim="Infrastructure", row_label="Infrastructure", columns=months,
                            column_labels=months, metric=metric, sums=trend_rows)
        self.writer.write("trend.csv", trend.csv())
        self.writer.write_parquet("trend.parquet", trend.arrow())
        chart = charts.spec("stacked", metric.title, trend.chart_values(), x_title="month")
        yearly = self.sums(KIND["egi"], TableSpec("yearly", "Infrastructure", "year"), "all", "localinfrajobs")
        ycols, ylabels = self.columns(TableSpec("yearly", "Infrastructure", "year"), yearly.get("EGI", {}))
        ytable = build_table(id="trend_yearly", title="Normalised work by infrastructure and year",
                             row_dim="Infrastructure", row_label="Infrastructure", columns=ycols,
                             column_labels=ylabels, metric=metric, sums=yearly.get("EGI", {}))
        self.writer.write("trend_yearly.csv", ytable.csv())
        self.writer.write_parquet("trend_yearly.parquet", ytable.arrow())
        self.render("index.html", "", title="EGI accounting", tiles=tiles, chart=chart,
                    yearly={"id": "trend_yearly", "display": ytable.display(), "title": ytable.title})

    def quality(self) -> None:
        cur = self.con.execute("SELECT * FROM quality_findings")
        cols = [d[0] for d in cur.description]
        by_finding = defaultdict(list)
        for r in cur.fetchall():
            item = dict(zip(cols, r))
            kind = "vo" if item["finding"].startswith("VO ") else "site"
            item["href"] = paths.relative("quality/", KIND[kind].base_path(item["subject"]))
            by_finding[item["finding"]].append(item)
        self.render("quality.html", "quality/", title="Data quality",
                    crumbs=[("Data quality", "./")], findings=dict(by_finding))

    def help(self) -> None:
        self.render("help.html", "help/", title="Help: metrics and dimensions",
                    crumbs=[("Help", "./")], path_examples=[(n, paths.encode(n)) for n in
                                                            ("NGI_UK", "United Kingdom", "a/b ~c")])

    def not_found(self) -> None:
        html = self.env.get_template("404.html").render(
            page={"title": "Page not found"}, root="/", assets={k: "/" + v for k, v in self.ctx.assets.items()},
            frame=self.ctx.frame, cat=self.ctx.cat)
        self.writer.write("404.html", html)

    def build(self) -> dict:
        t0 = time.perf_counter()
        self.render_reports(self.workers)
        self.landing()
        self.help()
        datasets_page.write(self, self.cubes_dir)
        self.quality()
        self.not_found()
        return {"pages": self.pages, "files": len(self.writer.written),
                "bytes": sum(self.writer.written.values()), "seconds": time.perf_counter() - t0}


def _in_sentence(label: str) -> str:
    """'Resource centre (site)' → 'resource centre (site)', but 'VO' stays 'VO'."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


_BUILDER: SiteBuilder | None = None


def _render_chunk(jobs: list[tuple]) -> tuple[int, dict[str, int]]:
    return _BUILDER.report_pages(jobs)


def _tile(label: str, unit: str, value, previous) -> dict:
    change = None
    if value is not None and previous:
        change = 100 * (value - previous) / previous
    return {"label": label, "unit": unit, "value": value, "previous": previous, "change": change}


def build(data_dir: Path, output: Path, progress: bool = True) -> dict:
    """Render the site into a staging directory beside `output` and swap it in when done."""
    data_dir = Path(data_dir)
    with atomic.staged_dir(output) as staging:
        builder = SiteBuilder(data_dir / "cubes", SiteWriter(staging), data_dir / "cache", progress)
        stats = builder.build()
    return stats
