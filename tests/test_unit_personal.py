"""The classification of identity columns (accounting/source/contracts.py) and the cubes
stage's last guard: no cube with a personal or unpublished column, nor with a text value
that looks like a person's identity, is written; the error names the column, never the
value (it goes to logs and mails)."""

from __future__ import annotations

import pytest

from accounting import duck
from accounting.cubes.build import _refuse_personal
from accounting.errors import CubesError
from accounting.source import contracts

CLASSES = {"personal": contracts.PERSONAL_COLUMNS, "unpublished": contracts.UNPUBLISHED_COLUMNS,
           "name": contracts.NAME_COLUMNS}


def test_every_classified_column_is_a_text_column_of_its_dataset_and_in_one_class():
    datasets = {ds.name: ds for ds in contracts.SOURCE_DATASETS}
    seen: dict[tuple[str, str], str] = {}
    for cls, table in CLASSES.items():
        for dataset, columns in table.items():
            schema = datasets[dataset].schema
            for column in columns:
                assert schema.field(column).type == "string", (dataset, column)
                assert seen.setdefault((dataset, column), cls) == cls, (dataset, column)
    # The ones the issue names, where it names them.
    assert {("gpu", "FQAN"), ("storage", "SubGroup"), ("storage", "Group")} <= {
        k for k, c in seen.items() if c == "name"}
    assert {("storage", c) for c in ("UserIdentity", "LocalUser", "LocalGroup", "DirectoryPath")} | \
        {(d, "GlobalUserName") for d in ("htc", "cloud", "gpu")} <= {k for k, c in seen.items() if c == "personal"}


@pytest.fixture
def con():
    return duck.connect()


def _cube(con, sql: str):
    con.execute(f"CREATE OR REPLACE TABLE cube AS {sql}")
    return con.table("cube")


@pytest.mark.parametrize("column", ["GlobalUserName", "UserIdentity", "LocalUser", "DirectoryPath", "VOGroup"])
def test_a_cube_with_a_personal_column_is_refused(con, column):
    with pytest.raises(CubesError, match=column):
        _refuse_personal(con, "cube", _cube(con, f"SELECT 'atlas' AS VO, 1 AS njobs, 'x' AS {column}"))


@pytest.mark.parametrize("value", ["CN=Jane Doe", "/DC=org/DC=example/CN=Jane Doe", "jane@example.org"])
def test_a_cube_with_a_dn_looking_value_is_refused_without_naming_it(con, value):
    cube = _cube(con, f"SELECT * FROM (VALUES ('SITE-A', 'atlas', 2), ('SITE-B', '{value}', 3)) "
                      "AS t(Site, SubGroup, n)")
    with pytest.raises(CubesError) as e:
        _refuse_personal(con, "cube", cube)
    assert "SubGroup (1 rows)" in str(e.value) and "Site" not in str(e.value) and "Jane" not in str(e.value)


def test_a_cube_of_names_and_numbers_passes(con):
    _refuse_personal(con, "cube", _cube(con, "SELECT 'atlas' AS VO, NULL::VARCHAR AS SubGroup, 1 AS n"))
    _refuse_personal(con, "cube", _cube(con, "SELECT 1 AS n"))  # no text column at all
