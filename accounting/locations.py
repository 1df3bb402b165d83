"""Where the repository keeps what the code reads at run time: SQL, templates, assets, data."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUBES_SQL = ROOT / "cubes"  # one .sql per cube, macros.sql, catalogue.toml
PAGE_QUERIES = CUBES_SQL / "queries"  # the site stage's queries over the cubes
EXPORT_SQL = ROOT / "export"  # the source stage's queries of APEL's database
SCHEMA_SQL = ROOT / "schema"  # the APEL-shaped schema `demo --to-db` creates
TEMPLATES = ROOT / "site_templates"
STATIC = ROOT / "static"
DEMO_DATA = ROOT / "accounting" / "source" / "demo" / "data"


def templates_dir() -> Path:
    """The page templates; ACCOUNTING_TEMPLATES_DIR points elsewhere (a site's own look, or a
    test's broken copy)."""
    return Path(os.environ.get("ACCOUNTING_TEMPLATES_DIR") or TEMPLATES)


def vendor_dir() -> Path:
    """The npm packages scripts/setup installs (vendor/node_modules); ACCOUNTING_VENDOR_DIR
    points elsewhere (a test's empty directory)."""
    return Path(os.environ.get("ACCOUNTING_VENDOR_DIR") or ROOT / "vendor" / "node_modules")
