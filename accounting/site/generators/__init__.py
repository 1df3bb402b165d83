"""The site's page generators. Each module has one `generate(b: Build)` that writes its
pages through the build's one writer and renderer, from the build's one reader of the
cubes; `accounting.site.build` runs them in order (as Pelican's generators share its writer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounting.site.context import Context
from accounting.site.frozen import Store
from accounting.site.reader import CubeReader
from accounting.site.render import Renderer
from accounting.site.writer import SiteWriter


@dataclass
class Build:
    ctx: Context
    reader: CubeReader
    writer: SiteWriter
    renderer: Renderer
    progress: bool = True
    workers: int = 1
    entity_names: set[str] = field(default_factory=set)  # every name with a page (for data/paths.json)
    pdfs: bool = False  # print the latest WLCG reports to PDF (accounting/site/reportpdf.py)
    pdf_pages: list[tuple[str, str]] = field(default_factory=list)  # (page directory, PDF name) to print
    frozen: Store | None = None  # the frozen WLCG reports (accounting/site/frozen.py)
    to_freeze: list[tuple[str, int, int]] = field(default_factory=list)  # (page directory, year, month) to keep
    restatements: list[dict] = field(default_factory=list)  # frozen reports whose figures changed since
    _figures: dict = field(default_factory=dict)  # (year, month) -> report_figures, read once per build

    def render(self, template: str, page_dir: str, **page) -> None:
        self.renderer.render(template, page_dir, **page)

    def report_figures(self, year: int, month: int):
        """One month's figures behind the WLCG reports, read once for its three reports,
        their restatements and its snapshot."""
        if (year, month) not in self._figures:
            self._figures[year, month] = self.reader.report_figures(year, month)
        return self._figures[year, month]
