"""Turning prepared figures into pages: the one Jinja environment, and the renderer every
generator writes its pages through (one writer, so no path is written twice)."""

from __future__ import annotations

import jinja2
import markupsafe

from accounting.errors import SiteError
from accounting.locations import templates_dir
from accounting.site import charts, paths
from accounting.site.context import Context
from accounting.site.paths import Absent
from accounting.site.writer import SiteWriter

# First strong isolate … pop directional isolate: a name inside <title>, where no <bdi>
# can go, cannot reorder the text around it.
FSI, PDI = "\u2068", "\u2069"


def isolate(name: str) -> str:
    return f"{FSI}{name}{PDI}"


def headline(template: str, name: str | None) -> tuple[str, str | None, str]:
    """A page heading such as 'Operations centre {name}' as (before, name, after), for the
    template's headline macro; the page title is `titled` of the same."""
    before, _, after = template.partition("{name}")
    return before, name, after


def titled(parts: tuple[str, str | None, str]) -> str:
    before, name, after = parts
    return before + ("" if name is None else isolate(name)) + after


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir()), autoescape=True,
                             undefined=jinja2.StrictUndefined, auto_reload=False,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["script_json"] = lambda obj: markupsafe.Markup(charts.script_json(obj))
    env.tests["absent"] = lambda value: isinstance(value, Absent)
    return env


class Renderer:
    def __init__(self, ctx: Context, writer: SiteWriter):
        self.ctx = ctx
        self.writer = writer
        self.env = make_env()
        self.pages = 0

    def html(self, template: str, root: str, **page) -> str:
        try:
            tpl = self.env.get_template(template)
        except jinja2.TemplateNotFound as e:
            raise SiteError(f"template {e.name} not found in {templates_dir()}") from None
        except jinja2.TemplateSyntaxError as e:
            raise SiteError(f"template {e.name or template} line {e.lineno}: {e.message}") from None
        return tpl.render(page=page, root=root, assets={k: root + v for k, v in self.ctx.assets.items()},
                          frame=self.ctx.frame, cat=self.ctx.cat)

    def render(self, template: str, page_dir: str, **page) -> None:
        """A page at `page_dir` (its links relative, so the site works from any prefix)."""
        self.writer.page(page_dir, self.html(template, paths.relative(page_dir, ""), **page))
        self.pages += 1
