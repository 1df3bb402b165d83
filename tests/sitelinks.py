"""The link checker of the built site tests: every link and source of every page resolves
to a file inside the site (or is one of the few allowed external addresses)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urldefrag, urlparse

from htmltables import parse

ALLOWED_EXTERNAL = ("https://creativecommons.org/",)


def resolve(root: Path, page: Path, href: str) -> Path | None:
    """The file a link points to, or None for links that leave the site."""
    url = urlparse(href)
    if url.scheme or url.netloc:
        return None
    path = urldefrag(href)[0]
    if not path:
        return page
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    if path.endswith("/"):
        target = target / "index.html"
    return target.resolve()


def broken_links(root: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """(pages checked, [(page, href, why)]) over every HTML page under `root`."""
    root = root.resolve()
    pages = list(root.rglob("*.html"))
    broken = []
    for page in pages:
        doc = parse(page.read_text())
        for href in doc.links + doc.srcs:
            target = resolve(root, page, href)
            if target is None:
                if not href.startswith(ALLOWED_EXTERNAL):
                    broken.append((str(page.relative_to(root)), href, "leaves the site"))
            elif not target.is_file() or root not in target.parents:
                broken.append((str(page.relative_to(root)), href, "missing"))
    return len(pages), broken
