"""The shared SQL macros of cubes/macros.sql that read APEL's conventions, run in DuckDB
as the cubes stage runs them: 'None', NULL and blanks are absent; an absent VO is the
catalogue's one 'no VO'; benchmark types in every APEL spelling become canonical, and
the ones APEL did not record one 'unknown benchmark'."""

from __future__ import annotations

import pytest

from accounting import duck
from accounting.catalogue import load

LABELS = load().labels


@pytest.fixture(scope="module")
def con():
    return duck.connect()


def one(con, sql: str, value):
    return con.execute(sql, [value]).fetchone()[0]


@pytest.mark.parametrize("value", ["None", None, "", "   ", " None "])
def test_apel_none_null_and_blank_are_absent(con, value):
    assert one(con, "SELECT apel_value(?::VARCHAR)", value) is None
    assert one(con, "SELECT vo_name(?::VARCHAR)", value) == LABELS["no_vo"] == "no VO"


@pytest.mark.parametrize("value", ["atlas", "none.example", "NoneSuch", "ATLAS"])
def test_a_present_value_keeps_its_spelling(con, value):
    assert one(con, "SELECT apel_value(?::VARCHAR)", value) == value
    assert one(con, "SELECT vo_name(?::VARCHAR)", value) == value


@pytest.mark.parametrize("spelling,canonical", [
    ("si2k", "si2k"), ("SI2K", "si2k"), ("HEPSPEC", "HEPSPEC"), ("hepspec06", "HEPSPEC"),
    ("HEPscore23", "HEPscore23"), ("hepscore23", "HEPscore23"), ("HEPSCORE23", "HEPscore23"),
    (" hepscore23 ", "HEPscore23"),
    ("None", "unknown benchmark"), ("custom", "unknown benchmark"), ("Custom", "unknown benchmark"),
    ("", "unknown benchmark"), (None, "unknown benchmark"),
    ("specint", "specint"),  # not APEL's: kept, and listed as an unknown benchmark type on /quality/
])
def test_canonical_benchmark(con, spelling, canonical):
    assert one(con, "SELECT canonical_benchmark(?::VARCHAR)", spelling) == canonical
    if canonical == "unknown benchmark":
        assert canonical == LABELS["unknown_benchmark"]
