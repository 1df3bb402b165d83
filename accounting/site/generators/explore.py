"""The explorer page (/explore/): DuckDB-WASM under hashed names, the queries it runs
(explore/queries.json, accounting/site/explore.py) and the page that loads them. Runs
first, so a checkout without the vendored DuckDB-WASM fails before any page is rendered."""

from __future__ import annotations

import json

from accounting.locations import STATIC
from accounting.site import explore, legacy
from accounting.site.generators import Build

QUERIES_JSON = "explore/queries.json"


def generate(b: Build) -> None:
    vendor = explore.write_vendor(b.writer)
    script = b.writer.write_hashed("static/explore", ".js", (STATIC / "explore.js").read_bytes())
    # explore.js imports these by the addresses in its configuration (hashed names).
    modules = {part: b.writer.write_hashed(f"static/explore-{part}", ".js",
                                           (STATIC / f"explore-{part}.js").read_bytes())
               for part in ("shape", "chart", "table", "download")}
    q = explore.queries(b.ctx.cat, b.reader.con, b.ctx.frame)
    b.writer.write(QUERIES_JSON, json.dumps(q, indent=1, ensure_ascii=False) + "\n")
    b.writer.write(legacy.LEGACY_JSON, json.dumps(legacy.table(b.ctx.cat), indent=1, ensure_ascii=False) + "\n")
    rel = lambda path: "../" + path  # noqa: E731  (the page is one level down)
    config = {"queries": "queries.json", "duckdb": rel(vendor["duckdb"]), "legacy": rel(b.ctx.assets["legacy"]),
              "legacy_table": legacy.LEGACY_JSON.removeprefix("explore/"),
              "bundles": {"eh": {"mainModule": rel(vendor["eh_wasm"]), "mainWorker": rel(vendor["eh_worker"])},
                          "mvp": {"mainModule": rel(vendor["mvp_wasm"]), "mainWorker": rel(vendor["mvp_worker"])}},
              "modules": {part: rel(path) for part, path in modules.items()}}
    b.render("explore.html", "explore/", title="Explore", crumbs=[("Explore", "./")], config=config,
             arrow=rel(vendor["arrow"]), script=rel(script))
