"""code_version covers every file the build's output can depend on, wherever it sits in the
package tree (no build needed)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from accounting import manifest
from accounting.locations import ROOT

# What a build reads at run time: the command line, the package, SQL, templates, assets.
CODE_ROOTS = ("build.py", "accounting", "cubes", "export", "schema", "site_templates", "static")


def tracked_code() -> list[str]:
    out = subprocess.run(["git", "ls-files", *CODE_ROOTS], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(out.stdout.split())


def test_every_tracked_code_file_counts():
    tracked = tracked_code()
    assert len(tracked) > 50  # the listing really listed the tree
    covered = {p.relative_to(ROOT).as_posix() for p in manifest.code_files()}
    assert [f for f in tracked if f not in covered] == []
    # Nested modules and data files are among them, not only top-level *.py.
    assert {"accounting/site/generators/reports.py", "accounting/source/demo/data/federation.txt",
            "export/htc.sql"} <= covered


@pytest.mark.parametrize("rel", ["accounting/site/generators/reports.py", "accounting/source/demo/data/vos.txt",
                                 "cubes/queries/report.sql", "build.py"])
def test_changing_any_code_file_changes_the_version(tmp_path, rel):
    for part in CODE_ROOTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, tmp_path / part)
    before = manifest.code_version(tmp_path)
    (tmp_path / rel).write_bytes((tmp_path / rel).read_bytes() + b"\n")
    assert manifest.code_version(tmp_path) != before


def test_bytecode_does_not_count(tmp_path):
    (tmp_path / "accounting" / "__pycache__").mkdir(parents=True)
    (tmp_path / "accounting" / "x.py").write_text("x = 1\n")
    before = manifest.code_version(tmp_path)
    (tmp_path / "accounting" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert manifest.code_version(tmp_path) == before
