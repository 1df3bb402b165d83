"""The shared SQL macros of cubes/macros.sql that read APEL's conventions, run in DuckDB
as the cubes stage runs them: 'None', NULL and blanks are absent; an absent VO is NULL
(the site labels it 'no VO', and a VO really called 'no VO' keeps its name); a name that
looks like a person's identity is withheld (NULL) and named in the findings; benchmark
types in every APEL spelling become canonical, and the ones APEL did not record one
'unknown benchmark'."""

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
    assert one(con, "SELECT vo_name(?::VARCHAR)", value) is None


@pytest.mark.parametrize("value", ["atlas", "none.example", "NoneSuch", "ATLAS", "no VO", "Total"])
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


# Names that hold a person's identity in the shapes sites have sent them (a DN, an FQAN
# whose first component is a user's CN, a StAR subgroup CN, an e-mail address).
PERSONAL = ["CN=Jane Doe", "/CN=Jane Doe/DC=org/Role=NULL", "/DC=org/DC=example/CN=Jane Doe", "cn=jane",
            "Jane Doe, O=Example, C=DE", "uid=jdoe", "jane.doe@example.org", "CN = Jane", "emailAddress=x",
            "/O=GermanGrid/OU=KIT/CN=Jane Doe"]
# Names that must stay published: VOs, FQAN attributes, hosts with ports and paths, and
# names that only resemble the reserved labels or carry a formula.
NOT_PERSONAL = ["atlas", "vo.access.egi.eu", "Role=NULL", "/atlas/Role=production/Capability=NULL",
                "ce01.example.org:8443/cream-pbs-long", "no VO", "(none)", "=HYPERLINK(\"http://x\",\"y\")",
                "evil\u202etxt.exe", "ATLASDATADISK", "srm://se.example.org/atlas", "disk", "NVIDIA A100-SXM4-40GB"]


@pytest.mark.parametrize("value", PERSONAL)
def test_a_name_that_looks_like_a_person_is_withheld(con, value):
    assert one(con, "SELECT looks_personal(?::VARCHAR)", value) is True
    assert one(con, "SELECT published_name(?::VARCHAR)", value) is None
    assert one(con, "SELECT vo_name(?::VARCHAR)", value) is None


@pytest.mark.parametrize("value", NOT_PERSONAL)
def test_other_names_are_published_as_they_are(con, value):
    assert one(con, "SELECT looks_personal(?::VARCHAR)", value) is False
    assert one(con, "SELECT published_name(?::VARCHAR)", value) == value


def test_withheld_names_lists_the_columns_never_the_values(con):
    sql = "SELECT withheld_names(['site', 'VO', 'subgroup'], [?::VARCHAR, ?::VARCHAR, ?::VARCHAR])"
    assert con.execute(sql, ["SITE-A", "CN=Jane Doe", "x@example.org"]).fetchall() == [("VO, subgroup",)]
    assert con.execute(sql, ["SITE-A", None, "(none)"]).fetchall() == [(None,)]
    detail = con.execute("SELECT withheld_detail('VO')").fetchall()[0][0]
    assert detail.startswith("VO ") and "Jane" not in detail
