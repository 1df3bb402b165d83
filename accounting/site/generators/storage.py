"""The storage reports under /storage/: the same sub-structure as /egi/ (infrastructure,
countries, NGI, country, site, VO), one page per storage measure, from the
storage_monthly cube. Tables are `stock.StockTable`s: months add up across rows, never
across time."""

from __future__ import annotations

from accounting.site import charts, paths
from accounting.site.generators import Build
from accounting.site.kinds import STORAGE_DEFAULT_METRIC, StorageKind
from accounting.site.kinds import STORAGE_KIND as KIND
from accounting.site.kinds import STORAGE_KINDS as KINDS
from accounting.site.render import headline, titled
from accounting.site.stock import StockTable, add_rows


def generate(b: Build) -> None:
    if "storage" in b.ctx.with_data:  # else generators.nodata says there is none
        StoragePages(b).build()


class StoragePages:
    """Queries storage_monthly once per kind, table and measure, and renders every page."""

    def __init__(self, b: Build):
        self.b = b
        self.ctx = b.ctx
        self.metrics = self.ctx.cat.storage_metrics

    def build(self) -> None:
        for kind in KINDS:
            data = {m: {row: self.b.reader.storage_monthly(kind.scope, row, f"{spec['column']}_avg")
                        for row in kind.rows} for m, spec in self.metrics.items()}
            names = sorted(data[STORAGE_DEFAULT_METRIC][kind.rows[0]]) if kind.scope else [None]
            self.b.entity_names.update(n for n in names if n is not None)
            for name in names:
                for metric_id in self.metrics:
                    scope = name if kind.scope else "EGI"
                    self.page(kind, name, metric_id, {r: d.get(scope, {}) for r, d in data[metric_id].items()},
                              {r: d.get(scope, {}) for r, d in data["allocated"].items()},
                              {r: d.get(scope, {}) for r, d in data["used"].items()})

    def page(self, kind: StorageKind, name: str | None, metric_id: str, monthly: dict,
             allocated: dict, used: dict) -> None:
        f, cat = self.ctx.frame, self.ctx.cat
        metric = self.metrics[metric_id]
        page_dir = kind.metric_path(name, metric_id)
        rel = lambda target: paths.relative(page_dir, target)  # noqa: E731
        months = [f.month_key(y, m) for y, m in f.recent_months()]
        month_labels = [f.month_label(y, m) for y, m in f.recent_months()]
        first_row = kind.rows[0]
        all_months = sorted({m for by_month in monthly[first_row].values() for m in by_month})
        years = [str(y) for y in range(int(all_months[0][:4]), f.last_year + 1)] if all_months else []
        # The current year holds complete months only, like the HTC pages.
        last = f.month_key(*f.recent_months()[-1])
        scale = float(metric["scale"])
        scaled = {row: {k: {m: v / scale for m, v in by_month.items() if m <= last}
                        for k, by_month in rows.items()} for row, rows in monthly.items()}

        tables = []
        specs = [("table" if i == 0 else row.lower(), row, months, month_labels, "average", True)
                 for i, row in enumerate(kind.rows)]
        specs[1:1] = [("yearly", first_row, years, [f.year_label(int(y)) for y in years], "average", False),
                      ("yearly_peak", first_row, years, [f.year_label(int(y)) for y in years], "peak", False)]
        for table_id, row, periods, labels, stat, summary in specs:
            row_label = cat.dimensions[row]["label"]
            target = dict(kind.links).get(row)
            hrefs = {k: rel(KIND[target].metric_path(k, metric_id)) for k in scaled[row]} if target else None
            what = {"table": "monthly average", "yearly": "yearly average of the monthly values",
                    "yearly_peak": "yearly peak of the monthly values"}.get(table_id, "monthly average")
            table = StockTable(table_id, f"{metric['name']} by {row_label[0].lower() + row_label[1:]}: {what}",
                               row, row_label, periods, labels, metric["unit"], scaled[row], stat, summary, hrefs)
            self.b.writer.write(page_dir + f"{table_id}.csv", table.csv())
            self.b.writer.write_parquet(page_dir + f"{table_id}.parquet", table.arrow())
            chart = None
            if len(periods) == len(months) and table.rows:
                chart = charts.spec("stacked", f"{metric['name']} ({metric['unit']})", f"{table_id}.csv", row,
                                    periods)
            tables.append({"id": table_id, "title": table.title, "display": table.display(), "chart": chart,
                           "empty": not table.rows})
        capacity = self.capacity_table(months, month_labels, used[first_row], allocated[first_row])
        self.b.writer.write(page_dir + "capacity.csv", capacity.csv())
        self.b.writer.write_parquet(page_dir + "capacity.parquet", capacity.arrow())
        capacity_chart = charts.spec("stacked", "Capacity (TB)", "capacity.csv", "Capacity", months) \
            if capacity.rows else None

        heading = headline(kind.heading, name)
        self.b.render("storage.html", page_dir, heading=heading, title=f"{titled(heading)} — {metric['name']}",
                      crumbs=[(label, rel(p)) for label, p in self.ctx.crumbs(kind, name)], metric=metric,
                      metric_links=[(m["name"], rel(kind.metric_path(name, k)), k == metric_id)
                                    for k, m in self.metrics.items()],
                      tables=tables, capacity={"id": "capacity", "title": capacity.title,
                                               "display": capacity.display(), "chart": capacity_chart,
                                               "empty": not capacity.rows},
                      extra_links=self.extra_links(kind, name, rel))

    def capacity_table(self, months, labels, used: dict, allocated: dict) -> StockTable:
        """Used and allocated (not used) capacity of the whole page, stacked in its chart."""
        used_m = dict(zip(months, add_rows([[v.get(m) for m in months] for v in used.values()]) if used else []))
        alloc_m = dict(zip(months, add_rows([[v.get(m) for m in months] for v in allocated.values()])
                           if allocated else []))
        to_tb = lambda v: None if v is None else v / 1e12  # noqa: E731
        rows = {
            "Used": {m: to_tb(v) for m, v in used_m.items() if v is not None},
            "Allocated, not used": {m: to_tb(max(alloc_m[m] - (used_m.get(m) or 0), 0))
                                    for m in months if alloc_m.get(m) is not None},
        }
        return StockTable("capacity", "Capacity used and allocated, monthly average", "Capacity", "Capacity",
                          months, labels, "TB", {k: v for k, v in rows.items() if v})

    def extra_links(self, kind: StorageKind, name: str | None, rel) -> list[tuple[str, str | None, str]]:
        """The same entity's CPU and GPU pages, where it has them."""
        if name is None:
            return [("CPU (HTC) accounting of EGI", None, rel("egi/" if kind.id == "storage" else "egi/countries/"))]
        return self.ctx.cross_links(kind.id, name, rel)
