"""The Apache 2.4 configuration of the published site, rendered from
site_templates/apache.conf.j2 (all configuration text lives in the template, every
content type, encoding and cache policy in accounting/media.py: S3 serves the same)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from accounting import media
from accounting.errors import PublishError
from accounting.locations import TEMPLATES

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
    root = Path(root).absolute().as_posix().rstrip("/")
    if '"' in root or "\n" in root:
        raise PublishError(f"cannot serve a path with a quote or newline in Apache: {root!r}")
    return env.get_template("apache.conf.j2").render(root=root, port=port, modules=modules, **media_table())
