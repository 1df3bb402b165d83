"""The link checker of the built site tests: every link and source of every page resolves
to a file inside the site (or is one of the few allowed external addresses)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from htmltables import parse

ALLOWED_EXTERNAL = ("https://creativecommons.org/",)
# (path, inode, size, mtime) → (links, srcs) of each page parsed: parsing is most of a link
# check's time, and two tests walk the links of the same shared build. A file changed or
# replaced is another key, so a page is parsed again whenever it may have changed.
_PARSED: dict[tuple, tuple[list[str], list[str]]] = {}


def page_links(page: Path) -> tuple[list[str], list[str]]:
    """(hrefs of its <a>, sources of its scripts, styles and images) of an HTML page."""
    st = page.stat()
    key = (str(page), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _PARSED:
        doc = parse(page.read_text())
        _PARSED[key] = (doc.links, doc.srcs)
    return _PARSED[key]


def resolve(root: Path, page: Path, href: str) -> Path | None:
    """The file a link points to, or None for links that leave the site."""
    url = urlparse(href)
    if url.scheme or url.netloc:
        return None
    path = url.path  # (a query string, such as the explorer's view, names no other file)
    if not path:
        return page
    target = (root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    if path.endswith("/"):
        target = target / "index.html"
    return target.resolve()


def resolver(root: Path):
    """`resolve` for the pages under `root` (resolved), faster: Path.resolve looks up every
    component of every link (some 90,000 links on the small site), but where no symbolic
    link lies under `root` a path that stays inside it resolves to its plain normalised
    form, computed without the filesystem. Links leaving `root`, or any tree holding a
    symbolic link, take Path.resolve as ever."""
    inside = str(root) + os.sep
    plain = not any(p.is_symlink() for p in root.rglob("*"))

    def resolve_fast(page: Path, href: str) -> Path | None:
        url = urlparse(href)
        if url.scheme or url.netloc:
            return None
        path = url.path  # (without the query string or fragment)
        if not plain or not path:
            return resolve(root, page, href)
        target = os.path.normpath(os.path.join(str(root), path.lstrip("/")) if path.startswith("/")
                                  else os.path.join(str(page.parent), path))
        if path.endswith("/"):
            target = os.path.join(target, "index.html")
        return Path(target) if target.startswith(inside) else resolve(root, page, href)

    return resolve_fast


def broken_links(root: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """(pages checked, [(page, href, why)]) over every HTML page under `root`."""
    root = root.resolve()
    inside = str(root) + os.sep
    pages = list(root.rglob("*.html"))
    broken = []
    target_of, verdicts = resolver(root), {}  # each target looked up once, too
    # The API's description (/help/ links it): served by `build.py api` behind the site's
    # Apache (apache-config --api), not a file of the site.
    api = {root / "api" / "v1" / "openapi.json"}
    for page in pages:
        links, srcs = page_links(page)
        for href in links + srcs:
            target = target_of(page, href)
            if target is None:
                if not href.startswith(ALLOWED_EXTERNAL):
                    broken.append((str(page.relative_to(root)), href, "leaves the site"))
                continue
            if target not in verdicts:  # resolved: inside the site when its path starts with root's
                verdicts[target] = target.is_file() and str(target).startswith(inside) or target in api
            if not verdicts[target]:
                broken.append((str(page.relative_to(root)), href, "missing"))
    return len(pages), broken
