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
from pathlib import Path

from tqdm import tqdm

from accounting import files
from accounting.site import charts
from accounting.cubes import build as cubes
from accounting.site import datasets_page
from accounting import manifest
from accounting.site import paths
from accounting.site.assets import write_assets
from accounting.cubes.catalogue import FAMILY_SUM_COLUMNS, Metric, load
from accounting.site.precompress import precompress_tree
from accounting.site.kinds import DEFAULT_INFRA, DEFAULT_VO_GROUP, KIND, KINDS, STORAGE_KIND, PageKind, TableSpec
from accounting.site.render import Context, Renderer
from accounting.site.storage_pages import StoragePages
from accounting.site.timeframe import TimeFrame
from accounting.site.writer import SiteWriter

log = logging.getLogger(__name__)

COLUMN_EXPR = {"month": "month_label(Year, Month)", "history": "month_label(Year, Month)",
               "year": "printf('%04d', Year)"}


class SiteBuilder:
    """Holds the DuckDB connection over the cubes: queries, plans and writes the site."""

    def __init__(self, cubes_dir: Path, writer: SiteWriter, cache_dir: Path, progress: bool = True,
                 workers: int | None = None):
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.con = cubes.connect()
        cubes.register_cube_views(self.con, cubes_dir)
        self.cubes_dir = Path(cubes_dir)
        self.writer = writer
        self.progress = progress
        as_of = self.con.execute("SELECT as_of FROM source_summary WHERE dataset = 'htc'").fetchone()[0]
        frame = TimeFrame.from_as_of(as_of)
        homes = {s: (n, c) for s, n, c in self.con.execute(cubes.query("site_homes")).fetchall()}
        d_kind, d_parents = self._discipline_tree()
        self.ctx = Context(frame, write_assets(writer, cache_dir), load(), homes, d_kind, d_parents,
                           self._entities())
        self.renderer = Renderer(self.ctx, writer)
        # Identifiers go into the report SQL text: only catalogue dimensions and cubes may.
        self.identifiers = set(self.ctx.cat.dimensions) | {p.stem for p in self.cubes_dir.glob("*.parquet")}
        self.render = self.renderer.render

    # -- shared page pieces -------------------------------------------------------------

    def _entities(self) -> dict[str, frozenset[str]]:
        """Names that have a page, per kind of the HTC, GPU and storage views, so pages of
        one entity in different views can link to each other."""
        out = {}
        for cube, prefix in (("htc_monthly", ""), ("gpu_monthly", "gpu_"), ("cloud_monthly", "cloud_"),
                             ("storage_monthly", "storage_")):
            for kind_id, column in (("ngi", "NGI"), ("country", "Country"), ("site", "Site"), ("vo", "VO")):
                names = self.con.execute(f"SELECT DISTINCT {column} FROM {cube}").fetchall() \
                    if self.has_cube(cube) else []
                out[prefix + kind_id] = frozenset(n for (n,) in names)
        return out

    def _discipline_tree(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Each discipline name gets one page, at the deepest level where it appears (so
        'unknown discipline', present at every level, lists its VOs); returns the page kind
        and the parent chain of each name."""
        level, parents = {}, {}
        for d1, d2, d3, _vo in self.con.execute(cubes.query("disciplines")).fetchall():
            for depth, name, chain in ((1, d1, []), (2, d2, [d1]), (3, d3, [d1, d2])):
                if depth >= level.get(name, 0):
                    level[name] = depth
                    parents[name] = [p for p in dict.fromkeys(chain) if p != name]
        return {name: f"discipline{depth}" for name, depth in level.items()}, parents

    # -- report pages -------------------------------------------------------------------

    def sums(self, kind: PageKind, spec: TableSpec, vo_group: str, infra: str) -> dict:
        """{scope: {row: {column: sums}}} for one table of one kind, every entity at once."""
        for ident in (kind.scope, spec.row, spec.cube):
            if ident is not None and ident not in self.identifiers:
                raise ValueError(f"not a known cube or dimension: {ident!r}")
        sql = cubes.query(spec.query).format(scope=kind.scope or "'EGI'", row=spec.row, family=spec.family,
                                             column=COLUMN_EXPR.get(spec.column, spec.column), cube=spec.cube)
        first = self.ctx.frame.window_first if spec.column in ("month", "BenchmarkType") else 0
        params = {"vo_group": vo_group, "infra_filter": infra, "first": first, "last": self.ctx.frame.last}
        cur = self.con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
        out: dict = defaultdict(lambda: defaultdict(dict))
        for scope, row, col, *s in cur.fetchall():
            out[scope][row][col] = tuple(s)
        return out

    def entities(self, kind: PageKind, yearly: dict) -> list[str | None]:
        if kind.scope is None:
            return [None]
        names = sorted(yearly)
        if kind.id.startswith("discipline"):
            names = [n for n in names if self.ctx.discipline_kind.get(n) == kind.id]
        return names

    def report_tasks(self):
        """(kind, variant, name, sums) for every report page, queried kind by kind so the
        workers can start on the first kind while the next is being queried.

        The page list comes from the whole history, so an entity with no recent jobs still
        has its page and yearly table.
        """
        for kind in KINDS:
            all_time = self.sums(kind, TableSpec("all", kind.tables[0].row, "year", kind.tables[0].cube),
                                 DEFAULT_VO_GROUP, DEFAULT_INFRA) if kind.scope else {"EGI": {}}
            names = self.entities(kind, all_time)
            for variant in kind.variants():
                sums = {spec.id: self.sums(kind, spec, *variant) for spec in kind.tables}
                for name in names:
                    scope = name if kind.scope else "EGI"
                    yield kind.id, variant, name, {t: s.get(scope, {}) for t, s in sums.items()}

    def render_reports(self) -> None:
        """Report pages are independent: render them in `spawn`ed workers (never `fork`:
        this process holds DuckDB threads, and vl-convert does not survive a fork)."""
        bar = tqdm(desc="report pages", unit="entity", disable=not self.progress, leave=False)
        if self.workers <= 1:
            for task in self.report_tasks():
                self.renderer.report_entity(*task)
                bar.update()
        else:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(self.workers, _init_worker, (self.ctx, self.writer.root)) as pool:
                for written in pool.imap_unordered(_render_task, self.report_tasks(), chunksize=4):
                    for rel, size in written.items():
                        if rel in self.writer.written:
                            raise RuntimeError(f"two outputs for the same path: {rel}")
                        self.writer.written[rel] = size
                    self.renderer.pages += sum(1 for rel in written if rel.endswith("index.html"))
                    bar.update()
        bar.close()

    def has_cube(self, name: str) -> bool:
        return (self.cubes_dir / f"{name}.parquet").exists()

    # -- special pages ------------------------------------------------------------------

    def landing(self) -> None:
        """Headline figures of the last complete month and year against the previous ones,
        and the whole history of normalised work by infrastructure (grid, local)."""
        f, cat, egi = self.ctx.frame, self.ctx.cat, KIND["egi"]
        history = TableSpec("trend", "Infrastructure", "history")
        years = TableSpec("trend_yearly", "Infrastructure", "year")
        by_month = self.sums(egi, history, DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {})
        by_year = self.sums(egi, years, DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {})
        other = {(family, period): self.sums(KIND[family], TableSpec(family, "Site", period, f"{family}_monthly"),
                                             DEFAULT_VO_GROUP, DEFAULT_INFRA).get("EGI", {})
                 for family in ("gpu", "cloud") for period in ("history", "year")}
        activity = {(r[0], r[1]): r[2:] for r in self.con.execute(cubes.query("activity"), {
            "vo_group": DEFAULT_VO_GROUP, "infra_filter": DEFAULT_INFRA}).fetchall()}

        (py, pm), (ly, lm) = f.recent_months(2)
        full_year = ly if lm == 12 else ly - 1
        blocks = [("month", "history", by_month, f.month_key(ly, lm), f.month_key(py, pm),
                   f.last_month_label, f.month_label(py, pm)),
                  ("year", "year", by_year, str(full_year), str(full_year - 1), str(full_year),
                   str(full_year - 1))]
        tiles = []
        for period_kind, period, sums, cur, prev, cur_label, prev_label in blocks:
            figures = []
            for metric_id, family_sums in [(m, sums) for m in ("njobs", "normcpu", "normelap_processors", "sumcpu")] \
                    + [(m, other["gpu", period]) for m in ("gpu_available", "gpu_utilisation", "gpu_count")] \
                    + [(m, other["cloud", period]) for m in ("cloud_vms", "cloud_core_hours")]:
                m = cat.metrics[metric_id]
                figures.append(_tile(m.name, m.unit, _metric_at(m, family_sums, cur, f),
                                     _metric_at(m, family_sums, prev, f)))
            for j, (label, unit) in enumerate((("Active sites", "sites"), ("Active VOs", "VOs"),
                                              ("Active users", "users"))):
                a, b = activity.get((period_kind, cur)), activity.get((period_kind, prev))
                figures.append(_tile(label, unit, a[j] if a else None, b[j] if b else None))
            tiles.append({"period": cur_label, "previous": prev_label, "figures": figures})

        tables = {}
        for spec, sums in ((history, by_month), (years, by_year)):
            table = self.renderer.make_table(egi, spec, "normelap_processors", sums, "")
            self.writer.write(f"{spec.id}.csv", table.csv())
            self.writer.write_parquet(f"{spec.id}.parquet", table.arrow())
            tables[spec.id] = table
        trend = tables["trend"]
        chart = charts.spec("stacked", trend.metric.title, "trend.csv", trend.row_dim, trend.columns,
                            trend.summary_rows, x_title="month")
        yearly = tables["trend_yearly"]
        self.render("index.html", "", title="EGI accounting", tiles=tiles, chart=chart,
                    yearly={"id": yearly.id, "display": yearly.display(), "title": yearly.title})

    def quality(self) -> None:
        """HTC findings by finding, then one section per other data type (storage, GPU);
        a subject links to its page where it has one (quarantined rows are in no report)."""
        sections = []
        for cube, title, page_kind in (("quality_findings", "HTC", None), ("storage_findings", "Storage records",
                                       STORAGE_KIND["storage_site"]), ("gpu_findings", "GPU records", KIND["gpu_site"]),
                                      ("cloud_findings", "Cloud records", KIND["cloud_site"])):
            if not self.has_cube(cube):
                continue
            cur = self.con.execute(f"SELECT * FROM {cube}")
            cols = [d[0] for d in cur.description]
            by_finding = defaultdict(list)
            for item in (dict(zip(cols, r)) for r in cur.fetchall()):
                kind_id = page_kind.id if page_kind else ("vo" if item["finding"].startswith("VO ") else "site")
                target = page_kind or KIND[kind_id]
                known = self.ctx.entities[kind_id]
                item["href"] = paths.relative("quality/", target.base_path(item["subject"])) \
                    if item["subject"] in known else None
                by_finding[item["finding"]].append(item)
            sections.append({"id": cube, "cube": cube, "title": title, "findings": dict(by_finding)})
        self.render("quality.html", "quality/", title="Data quality", crumbs=[("Data quality", "./")],
                    findings=sections[0]["findings"], sections=sections[1:])

    def help(self) -> None:
        self.render("help.html", "help/", title="Help: metrics and dimensions",
                    crumbs=[("Help", "./")], path_examples=[(n, paths.encode(n)) for n in
                                                            ("NGI_UK", "United Kingdom", "a/b ~c")])

    def not_found(self) -> None:
        html = self.renderer.env.get_template("404.html").render(
            page={"title": "Page not found"}, root="/", assets={k: "/" + v for k, v in self.ctx.assets.items()},
            frame=self.ctx.frame, cat=self.ctx.cat)
        self.writer.write("404.html", html)

    def build(self) -> dict:
        t0 = time.perf_counter()
        self.render_reports()
        self.renderer.pages += StoragePages(self).build()
        self.landing()
        self.help()
        datasets_page.write(self, self.cubes_dir)
        self.quality()
        self.not_found()
        return {"pages": self.renderer.pages, "files": len(self.writer.written),
                "bytes": sum(self.writer.written.values()), "seconds": time.perf_counter() - t0}


_WORKER: Renderer | None = None


def _init_worker(ctx: Context, root: Path) -> None:
    global _WORKER
    _WORKER = Renderer(ctx, SiteWriter(root))


def _render_task(task: tuple) -> dict[str, int]:
    return _WORKER.report_entity(*task)


def _column_total(sums: dict, column: str, i: int) -> int:
    return sum(by_col[column][i] for by_col in sums.values() if column in by_col)


def _metric_at(m: Metric, sums: dict, column: str, frame: TimeFrame) -> float | None:
    """A metric over all rows of one column (a month or a year) of a table's sums."""
    cols = FAMILY_SUM_COLUMNS[m.family]
    if not any(column in by_col for by_col in sums.values()):
        return None
    num = _column_total(sums, column, cols.index(m.numerator))
    if m.per_period:
        return m.value(num, frame.seconds(column))
    return m.value(num, _column_total(sums, column, cols.index(m.denominator)) if m.denominator else None)


def _tile(label: str, unit: str, value, previous) -> dict:
    change = None
    if value is not None and previous:
        change = 100 * (value - previous) / previous
    return {"label": label, "unit": unit, "value": value, "previous": previous, "change": change}


def build(data_dir: Path, output: Path, progress: bool = True) -> dict:
    """Render the site into a staging directory beside `output` and swap it in when done."""
    data_dir = Path(data_dir)
    with files.staged_dir(output) as staging:
        builder = SiteBuilder(data_dir / "cubes", SiteWriter(staging), data_dir / "cache", progress)
        stats = builder.build()
        # Last, before the swap: precompressed siblings, then the manifest listing them all.
        t0 = time.perf_counter()
        stats["precompressed"] = precompress_tree(staging, data_dir / "cache" / "precompressed")
        stats["build_id"] = manifest.write(staging, data_dir / "source", builder.ctx.frame.as_of)["build_id"]
        stats["seconds_compress_manifest"] = round(time.perf_counter() - t0, 2)
    return stats
