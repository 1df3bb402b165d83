"""The CI workflows: actionlint finds nothing, and they run on the events they must."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint() -> str:
    exe = Path(sys.executable).parent / "actionlint"
    found = str(exe) if exe.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is not installed (bash scripts/setup --test installs it)")
    return found


def load(name: str) -> dict:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "rebuild.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_finds_nothing(workflow):
    proc = subprocess.run([actionlint(), "-no-color", str(workflow.relative_to(ROOT))], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ci_runs_the_readme_test_command_on_push_and_pull_request():
    ci = load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    runs = [s.get("run", "") for job in ci["jobs"].values() for s in job["steps"]]
    assert any(r.strip() == "bash .ci/run" for r in runs)


def test_rebuild_triggers_secrets_cache_artifact_and_concurrency():
    wf = load("rebuild.yml")
    on = wf["on"]
    assert on["schedule"] and on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on
    assert "accounting-data-updated" in on["repository_dispatch"]["types"]
    assert wf["concurrency"]["group"] and wf["concurrency"]["cancel-in-progress"] is False
    (job,) = wf["jobs"].values()
    text = (ROOT / ".github" / "workflows" / "rebuild.yml").read_text()
    for secret in ("ACCOUNTING_DB_URL", "ACCOUNTING_DB_PASSWORD", "PUBLISH_TARGET",
                   "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert f"secrets.{secret}" in text, secret
    steps = job["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "bash scripts/setup" in runs
    assert "build.py --quiet" in runs or "build.py\n" in runs
    assert 'build.py publish --to "$PUBLISH_TARGET"' in runs
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    cache = uses["actions/cache"]["with"]
    assert cache["path"] == "data" and "github.run_id" in cache["key"] and cache["restore-keys"].strip()
    assert uses["actions/upload-artifact"]["with"]["path"].rstrip("/") == "output"
    # The build runs after the cache is restored and before the publish.
    order = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in steps]
    i_cache = order.index("actions/cache")
    i_build = next(i for i, r in enumerate(order) if "build.py --quiet" in r)
    i_pub = next(i for i, r in enumerate(order) if "build.py publish" in r)
    assert i_cache < i_build < i_pub
