"""The Apache 2.4 configuration of the published site, rendered from
site_templates/apache.conf.j2 (all configuration text lives in the template)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from accounting.locations import TEMPLATES

DEBIAN_MODULES = "/usr/lib/apache2/modules"


def config(root: Path, port: int | None = None, modules: str = DEBIAN_MODULES) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    root = Path(root).absolute().as_posix().rstrip("/")
    if '"' in root or "\n" in root:
        raise ValueError(f"cannot serve a path with a quote or newline in Apache: {root!r}")
    return env.get_template("apache.conf.j2").render(root=root, port=port, modules=modules)
