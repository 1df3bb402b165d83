"""What an operator sees when a stage fails: the real command line, run on a private copy
of the built data (or an empty directory), ends with status 2 and exactly one line on
stderr, `error: …`, naming what failed (the file, the directory, the setting) in a message
of its own (not the catch-all of an unforeseen exception), with no traceback and no
secret, and leaves no staging directory behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, one_error_line, run_build

GARBAGE = b"this is not a parquet file\n" * 10


def _data(request, tmp: Path) -> Path:
    """A private copy of the built data directory (source, cubes, cache)."""
    built = request.getfixturevalue("built")
    data = tmp / "data"
    shutil.copytree(built["data"], data)
    return data


# Each case: (tmp, request) → (build.py arguments, extra environment, what the line must name,
# what it must not contain).

def missing_source_file(tmp, request):
    data = _data(request, tmp)
    (data / "source" / "topology" / "sites.parquet").unlink()
    return ["cubes", "--data-dir", str(data), "--quiet"], {}, ["topology/sites"], []


def corrupt_source_file(tmp, request):
    data = _data(request, tmp)
    (data / "source" / "topology" / "vos.parquet").write_bytes(GARBAGE)
    return ["cubes", "--data-dir", str(data), "--quiet"], {}, ["topology/vos"], []


def missing_source_dir(tmp, request):
    (tmp / "empty").mkdir()
    return ["cubes", "--data-dir", str(tmp / "empty"), "--quiet"], {}, [str(tmp / "empty" / "source")], []


def corrupt_cube(tmp, request):
    data = _data(request, tmp)
    (data / "cubes" / "htc_monthly.parquet").write_bytes(GARBAGE)
    return ["site", "--data-dir", str(data), "--output", str(tmp / "out"), "--quiet"], {}, ["htc_monthly"], []


def missing_cubes(tmp, request):
    data = _data(request, tmp)
    shutil.rmtree(data / "cubes")
    return ["site", "--data-dir", str(data), "--output", str(tmp / "out"), "--quiet"], {}, \
        [str(data / "cubes")], []


def missing_template(tmp, request):
    data = _data(request, tmp)
    templates = tmp / "templates"
    shutil.copytree(ROOT / "site_templates", templates)
    (templates / "quality.html").unlink()
    return ["site", "--data-dir", str(data), "--output", str(tmp / "out"), "--quiet"], \
        {"ACCOUNTING_TEMPLATES_DIR": str(templates)}, ["quality.html"], []


def unwritable_output(tmp, request):
    # Tests run as root, where permissions do not stop a write: the output's parent is a
    # regular file instead, which no one can create a directory in.
    data = _data(request, tmp)
    (tmp / "file.txt").write_text("a file, not a directory\n")
    return ["site", "--data-dir", str(data), "--output", str(tmp / "file.txt" / "out"), "--quiet"], {}, \
        [str(tmp / "file.txt")], []


def publish_to_a_file(tmp, request):
    built = request.getfixturevalue("built")
    (tmp / "file.txt").write_text("a file, not a directory\n")
    return ["publish", "--output", str(built["output"]), "--to", str(tmp / "file.txt")], {}, \
        [str(tmp / "file.txt")], []


def publish_without_manifest(tmp, request):
    (tmp / "site").mkdir()
    (tmp / "site" / "index.html").write_text("<!doctype html>\n")
    return ["publish", "--output", str(tmp / "site"), "--to", str(tmp / "pub")], {}, ["manifest.json"], []


def rollback_with_nothing_published(tmp, request):
    (tmp / "pub").mkdir()
    return ["publish", "--to", str(tmp / "pub"), "--rollback"], {}, [str(tmp / "pub")], []


def malformed_database_url(tmp, request):
    return ["export", "--data-dir", str(tmp / "d"), "--quiet"], \
        {"ACCOUNTING_DB_URL": "postgres://portal:secretpw@127.0.0.1/apel"}, ["ACCOUNTING_DB_URL"], ["secretpw"]


CASES = [
    missing_source_file,
    corrupt_source_file,
    pytest.param(missing_source_dir, marks=pytest.mark.unit),
    corrupt_cube,
    missing_cubes,
    missing_template,
    unwritable_output,
    publish_to_a_file,
    pytest.param(publish_without_manifest, marks=pytest.mark.unit),
    pytest.param(rollback_with_nothing_published, marks=pytest.mark.unit),
    pytest.param(malformed_database_url, marks=pytest.mark.unit),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_a_failure_is_one_line_naming_what_failed(case, request, tmp_path):
    args, env, names, hidden = case(tmp_path, request)
    proc = run_build(*args, env_extra=env, check=False)
    line = one_error_line(proc, *names)
    # Each of these failures is foreseen: its own message, not the catch-all for the unforeseen.
    assert "unexpected" not in line and "ACCOUNTING_DEBUG" not in line, line
    for secret in hidden:
        assert secret not in proc.stderr + proc.stdout, line
    leftovers = [str(p) for p in tmp_path.rglob("*.building-*")]
    assert not leftovers, f"staging left behind: {leftovers}"
