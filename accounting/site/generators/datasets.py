"""The /data/ catalogue: every cube as Parquet and CSV, its schema, size and SHA-256, and
a Frictionless `datapackage.json` describing the same files for machines."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq

from accounting import media
from accounting.manifest import file_sha256
from accounting.site import paths
from accounting.site.generators import Build

PATHS_JSON = "data/paths.json"  # the names behind shortened path segments

# Arrow type → Frictionless Table Schema type.
_FRICTIONLESS = {"int": "integer", "uint": "integer", "double": "number", "float": "number",
                 "decimal": "number", "bool": "boolean", "string": "string", "large_string": "string",
                 "date32": "date", "timestamp": "datetime"}


def _table_schema_type(arrow_type) -> str:
    name = str(arrow_type)
    if name.startswith("decimal") and name.endswith(", 0)"):
        return "integer"  # the HTC sums: exact integers wider than int64 (cubes/htc_monthly.sql)
    for prefix, t in _FRICTIONLESS.items():
        if name.startswith(prefix):
            return t
    return "any"


def generate(b: Build) -> None:
    cat, writer = b.ctx.cat, b.writer
    entries, resources = [], []
    for src in b.reader.cube_files():
        name = src.stem
        schema = pq.read_schema(src)
        rows = pq.read_metadata(src).num_rows
        columns = [{"name": f.name, "type": str(f.type), **cat.column(f.name)} for f in schema]
        files = []
        for fmt in ("parquet", "csv"):
            rel = f"data/{name}.{fmt}"
            dest = writer.claim(rel)
            if fmt == "parquet":
                shutil.copyfile(src, dest)
            else:
                b.reader.write_csv(name, dest)
            writer.done(rel)
            files.append({"format": fmt, "path": f"{name}.{fmt}", "bytes": dest.stat().st_size,
                          "sha256": file_sha256(dest)})
        entries.append({"name": name, "rows": rows, "columns": columns, "files": files})
        fields = [{"name": c["name"], "type": _table_schema_type(c["type"]), "description": c["description"],
                   **({"unit": c["unit"]} if c["unit"] else {})} for c in columns]
        for f in files:
            resources.append({
                "name": f"{name}-{f['format']}", "path": f["path"], "format": f["format"],
                "mediatype": media.mediatype("." + f["format"]),
                "bytes": f["bytes"], "hash": f"sha256:{f['sha256']}", "schema": {"fields": fields},
                **({"dialect": {"delimiter": ",", "header": True}} if f["format"] == "csv" else {}),
            })
    package = {
        "name": "egi-accounting-cubes",
        "title": "EGI accounting portal: report cubes",
        "description": "Every report cube behind the accounting portal's pages. Durations are integer "
                       "seconds; normalised durations are seconds × HEPscore23 (HEPSPEC06 1:1, si2k ÷250). "
                       "User identities are never included.",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "version": b.ctx.frame.as_of.strftime("%Y-%m-%d"),
        "resources": resources,
    }
    writer.write("data/datapackage.json", json.dumps(package, indent=2, sort_keys=True) + "\n")
    # Runs after the report and storage pages: b.entity_names holds every name with a page.
    shortened = paths.shortened(b.entity_names)
    writer.write(PATHS_JSON, json.dumps({
        "rule": f"a segment with {paths.SHORT_MARK} is a shortened name: its first characters, "
                f"{paths.SHORT_MARK} and {paths.HASH_DIGITS} hex digits of the SHA-256 of the whole name; "
                "every other segment decodes by the rule of /help/",
        "max_segment_bytes": paths.MAX_SEGMENT, "shortened": shortened}, indent=2, ensure_ascii=False) + "\n")
    b.render("datasets.html", "data/", title="Data downloads", crumbs=[("Data", "./")],
             entries=entries, shortened=len(shortened))
