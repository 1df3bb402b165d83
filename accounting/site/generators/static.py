"""Pages that need no figures: the help page and the 404 page."""

from __future__ import annotations

from accounting.site import legacy, paths
from accounting.site.generators import Build


def generate(b: Build) -> None:
    b.render("help.html", "help/", title="Help: metrics and dimensions", crumbs=[("Help", "./")],
             path_examples=[(n, paths.encode(n)) for n in ("NGI_UK", "United Kingdom", "a/b ~c")],
             max_segment=paths.MAX_SEGMENT, hash_digits=paths.HASH_DIGITS)
    # Served for any missing path, at any depth: its links start at the site's root.
    # An old portal view address forwards to the explorer (static/legacy.js; Apache redirects it first).
    forward = {"explore": "/explore/", "prefixes": legacy.prefixes(b.ctx.cat),
               "formats": list(legacy.FORMATS), "files": list(legacy.FILES)}
    b.writer.write("404.html", b.renderer.html("404.html", "/", title="Page not found", forward=forward))
