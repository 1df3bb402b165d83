"""The site's search (issue 15): every site, VO, NGI, country and discipline with a page, in
a small index (`search.json`: names, what they are and their page, nothing else) that the
header's search box loads only when a reader uses it (static/site.js), and a /search/ page
listing them all, where the box goes without JavaScript."""

from __future__ import annotations

import json

from accounting.site import paths
from accounting.site.context import VIEWS
from accounting.site.generators import Build
from accounting.site.kinds import KIND, STORAGE_KIND

SEARCH_JSON = "search.json"
# What the index holds, in this order: (entity kind, the word shown beside a name).
TYPES = (("site", "Site"), ("vo", "VO"), ("ngi", "Operations centre"), ("country", "Country"))


def entries(b: Build) -> list[dict]:
    """[{name, type, url}] (url from the site's root): an entity's CPU page, or where it has
    none, its page in the first other view that has one (a site with storage only)."""
    ctx = b.ctx
    out = []
    for base, label in TYPES:
        seen = set()
        for _view, prefix in VIEWS:
            kind_id = prefix + base
            kind = KIND.get(kind_id) or STORAGE_KIND.get(kind_id)
            for name in sorted(ctx.entities.get(kind_id, ())):
                if name not in seen and not isinstance(name, paths.Absent):
                    seen.add(name)
                    out.append({"name": name, "type": label, "url": kind.base_path(name)})
    for name in sorted(ctx.discipline_kind):
        if not isinstance(name, paths.Absent) and name != ctx.cat.absent["Discipline1"]:
            out.append({"name": name, "type": "Discipline", "url": ctx.entity_path("discipline", name)})
    return out


def generate(b: Build) -> None:
    index = entries(b)
    b.writer.write(SEARCH_JSON, json.dumps(index, ensure_ascii=False, separators=(",", ":")) + "\n")
    groups = [(label, [e for e in index if e["type"] == label]) for label in [t for _, t in TYPES] + ["Discipline"]]
    b.render("search.html", "search/", title="Search", crumbs=[("Search", "./")],
             groups=[(label, [(e["name"], paths.relative("search/", e["url"])) for e in items])
                     for label, items in groups])
