"""The Apache 2.4 configuration of the published site, rendered from
site_templates/apache.conf.j2 (all configuration text lives in the template, every
content type, encoding and cache policy in accounting/media.py: S3 serves the same)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from accounting import media
from accounting.errors import PublishError
from accounting.locations import TEMPLATES
from accounting.publish import directory

DEBIAN_MODULES = "/usr/lib/apache2/modules"


def media_table() -> dict:
    """What the template serves by, suffixes without their dot (as Apache writes them)."""
    return {
        "types": [(suffix[1:], ctype) for suffix, ctype in media.TYPES.items()],
        "text_types": [(suffix[1:], ctype) for suffix, ctype in media.TYPES.items()
                       if suffix in media.TEXT_SUFFIXES],
        "encodings": [(suffix[1:], token) for suffix, token in media.ENCODINGS.items()],
        "hashed_dir": media.HASHED_DIR,
        "hashed_name": media.HASHED_NAME,
        "immutable": media.IMMUTABLE,
        "revalidate": media.REVALIDATE,
    }


def config(root: Path, port: int | None = None, modules: str = DEBIAN_MODULES) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    root = Path(root).absolute()
    if '"' in root.as_posix() or "\n" in root.as_posix():
        raise PublishError(f"cannot serve a path with a quote or newline in Apache: {root.as_posix()!r}")
    # The `current` link of a release directory: each request is answered from the release
    # current.map names when it starts (see publish/directory.py); any other directory as it is.
    releases = None
    if root.name == directory.CURRENT:
        releases = {"map": (root.parent / directory.MAP).as_posix(),
                    "dir": (root.parent / directory.RELEASES).as_posix()}
    return env.get_template("apache.conf.j2").render(root=root.as_posix().rstrip("/"), port=port, modules=modules,
                                                     releases=releases, **media_table())
