"""The pages of a data type the source has no rows of (cloud, storage or GPU: only HTC must
exist). Where its infrastructure-wide pages would be (/gpu/, /gpu/countries/, …) one page
says there is no such data, so the menu and old links lead somewhere; it has no tables, no
charts and no links to entity pages that do not exist."""

from __future__ import annotations

from accounting.site import paths
from accounting.site.context import TOPS
from accounting.site.generators import Build
from accounting.site.kinds import KINDS, STORAGE_KINDS


def generate(b: Build) -> None:
    for kind in (*KINDS, *STORAGE_KINDS):
        if kind.family in b.ctx.with_data or kind.scope is not None:
            continue
        page_dir = kind.base_path()
        label, top = TOPS[kind.family]
        b.render("no_data.html", page_dir, title=f"{label}: no data", family=kind.family,
                 crumbs=[(label, paths.relative(page_dir, top))])
