"""Static assets: CSS, the page script and the offline Vega bundle, under hashed names."""

from __future__ import annotations

from pathlib import Path

from accounting import files
from accounting.locations import STATIC
from accounting.site import charts
from accounting.site.writer import SiteWriter


def cached_vega_bundle(cache_dir: Path) -> str:
    """The bundle takes ~1.6 s to make; keep it per library version between builds."""
    versions = charts.vega_versions()
    name = "vega-bundle-" + "-".join(f"{k}{v}" for k, v in sorted(versions.items())) + ".js"
    path = Path(cache_dir) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_bytes(path, charts.vega_bundle().encode("utf-8"))
    return path.read_text(encoding="utf-8")


def write_assets(writer: SiteWriter, cache_dir: Path) -> dict[str, str]:
    """Write every asset; return {logical name: site path}."""
    return {
        "css": writer.write_hashed("static/site", ".css", (STATIC / "site.css").read_bytes()),
        "icon": writer.write_hashed("static/favicon", ".svg", (STATIC / "favicon.svg").read_bytes()),
        "js": writer.write_hashed("static/site", ".js", (STATIC / "site.js").read_bytes()),
        # The old portal's addresses (static/legacy.js): the 404 page and the explorer load it.
        "legacy": writer.write_hashed("static/legacy", ".js", (STATIC / "legacy.js").read_bytes()),
        "vega": writer.write_hashed("static/vega", ".js", cached_vega_bundle(cache_dir)),
    }
