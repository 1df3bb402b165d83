"""The build manifest: `manifest.json` at the root of every built site.

    {"build_id":     first 16 hex of the SHA-256 over the sorted (path, sha256) list,
     "built_at":     the data's as-of time (ISO UTC), never the wall clock,
     "code_version": SHA-256 prefix over build.py, accounting/**, cubes/**, export/**, schema/**,
                     site_templates/**, static/**,
     "datasets":     {name: {"rows": n, "sha256": over the dataset's source Parquet files}},
     "files":        {path: {"size": n, "sha256": hex}} for every file but manifest.json}

Everything in it derives from the inputs and the code, so two builds of the same inputs
give the same manifest, byte for byte. Publishing (accounting/publish/directory.py and s3.py)
reads it to tell which files changed between releases.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from accounting import files as files_lib
from accounting.locations import ROOT

NAME = "manifest.json"
CODE_GLOBS = ("build.py", "accounting/**/*", "cubes/**/*", "export/**/*", "schema/**/*", "site_templates/**/*",
              "static/**/*", "vendor/package-lock.json")


file_sha256 = files_lib.file_digest  # SHA-256 by default; the name other modules import


def _digest_of(pairs) -> str:
    """SHA-256 over (name, hex digest) pairs, one 'name\\0hex\\n' line each, in order."""
    h = hashlib.sha256()
    for name, digest in pairs:
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def code_files(root: Path = ROOT) -> list[Path]:
    """Every file whose change can change what a build writes."""
    return sorted({p for g in CODE_GLOBS for p in Path(root).glob(g)
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"})


def code_version(root: Path = ROOT) -> str:
    return _digest_of((p.relative_to(root).as_posix(), file_sha256(p)) for p in code_files(root))[:16]


def datasets(source_dir: Path) -> dict[str, dict]:
    """Rows (from the Parquet footers) and a checksum of each source dataset: each
    directory under data/source (htc, storage, topology, quarantine, …)."""
    source_dir = Path(source_dir)
    out = {}
    for d in sorted(p for p in source_dir.iterdir() if p.is_dir()) if source_dir.is_dir() else []:
        files = sorted(d.rglob("*.parquet"))
        if not files:
            continue
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        out[d.name] = {"rows": rows,
                       "sha256": _digest_of((f.relative_to(d).as_posix(), file_sha256(f)) for f in files)}
    return out


def site_files(site_dir: Path) -> dict[str, dict]:
    site_dir = Path(site_dir)
    files = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file())
    return {rel: {"size": (site_dir / rel).stat().st_size, "sha256": file_sha256(site_dir / rel)}
            for rel in files if rel != NAME}


def build_id(files: dict[str, dict]) -> str:
    """16 hex of the SHA-256 over the sorted (path, sha256) list of a site's files."""
    return _digest_of((rel, f["sha256"]) for rel, f in sorted(files.items()))[:16]


def iso_utc(t: datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(site_dir: Path, source_dir: Path, as_of: datetime) -> dict:
    files = site_files(site_dir)
    return {
        "build_id": build_id(files),
        "built_at": iso_utc(as_of),
        "code_version": code_version(),
        "datasets": datasets(source_dir),
        "files": files,
    }


def write(site_dir: Path, source_dir: Path, as_of: datetime) -> dict:
    manifest = build(site_dir, source_dir, as_of)
    files_lib.write_bytes(Path(site_dir) / NAME, dumps(manifest).encode())
    return manifest


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"


def read(site_dir: Path) -> dict:
    return json.loads((Path(site_dir) / NAME).read_text())
