"""Where the repository keeps what the code reads at run time: SQL, templates, assets, data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CUBES_SQL = ROOT / "cubes"  # one .sql per cube, macros.sql, catalogue.toml
PAGE_QUERIES = CUBES_SQL / "queries"  # the site stage's queries over the cubes
EXPORT_SQL = ROOT / "export"  # the source stage's queries of APEL's database
SCHEMA_SQL = ROOT / "schema"  # the APEL-shaped schema `demo --to-db` creates
TEMPLATES = ROOT / "site_templates"
STATIC = ROOT / "static"
DEMO_DATA = ROOT / "accounting" / "source" / "demo" / "data"
