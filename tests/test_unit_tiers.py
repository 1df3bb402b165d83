"""Every test module has a tier (tests/conftest.py: TIERS), and the table names no module
that is gone, so `pytest -m unit/site/services` together run the whole suite."""

from __future__ import annotations

from pathlib import Path

import conftest

TESTS = Path(__file__).resolve().parent
MODULES = sorted(p.stem for p in TESTS.glob("test_*.py"))


def test_every_module_has_a_tier():
    missing = [m for m in MODULES if conftest.tier_of(m, "") is None]
    assert not missing, f"add to TIERS in tests/conftest.py: {missing}"


def test_the_tier_table_names_existing_modules_and_known_tiers():
    assert set(conftest.TIERS) <= set(MODULES), set(conftest.TIERS) - set(MODULES)
    assert {m for m, _ in conftest.PER_TEST} <= set(MODULES)
    assert set(conftest.TIERS.values()) | set(conftest.PER_TEST.values()) <= set(conftest.TIER_MARKERS)


def test_unit_modules_are_unit_whatever_the_table_says():
    assert conftest.tier_of("test_unit_anything", "test_x") == "unit"
