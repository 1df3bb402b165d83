"""The old portal's addresses read by static/legacy.js itself (in Node, the browser's parser
unchanged) with the table accounting/site/legacy.py makes from the catalogue: every address
of tests/legacy_urls.py gives its explorer view, or names the segment it could not read;
the Apache rule and the 404 page forward the same prefixes and leave JSON/CSV alone."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs

import pytest

from accounting.catalogue import load
from accounting.publish import apache
from accounting.site import explore, legacy
from conftest import ROOT
from legacy_urls import LAST_12, MAPPED, OUTPUTS, PAGES, UNMAPPED

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/setup installs it)")

DRIVER = """
import { parseLegacy, explorerSearch, isLegacy } from %s;
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const { table, families, paths, prefixes, formats, files } = JSON.parse(input);
  const out = paths.map((p) => {
    const r = parseLegacy(p, table, families);
    return { search: explorerSearch(r.params), problem: r.problem, notes: r.notes, page: r.page,
             forwarded: isLegacy(p, prefixes, formats, files) };
  });
  process.stdout.write(JSON.stringify(out));
});
"""

# The names the addresses use, as the explorer's queries.json lists them (the demo's).
VALUES = {"NGI": ["NGI_DE", "NGI_IT"], "Country": ["Germany", "Spain", "United Kingdom"],
          "Site": ["CERN-PROD", "INFN-T1", "RAL-LCG2", "pic"], "VO": ["atlas", "biomed", "cms"],
          "Discipline1": ["Natural Sciences"], "Discipline2": ["Physical Sciences"],
          "Discipline3": ["High Energy Physics"]}


def families() -> dict:
    cat = load()
    dims = cat.explore["htc"]["dimensions"]
    months = [{"month": f"{y:04d}-{m:02d}"} for y in range(2004, 2026) for m in range(1, 13)
              if (y, m) <= (2025, 10)]
    return {"htc": {"dimensions": dims, "values": {d: VALUES.get(d, []) for d in dims}, "months": months,
                    "metrics": explore.family_metrics(cat, "htc")}}  # (as queries.json lists them)


def run(paths: list[str]) -> list[dict]:
    cat = load()
    module = json.dumps((ROOT / "static" / "legacy.js").as_uri())
    stdin = json.dumps({"table": legacy.table(cat), "families": families(), "paths": paths,
                        "prefixes": legacy.prefixes(cat), "formats": list(legacy.FORMATS),
                        "files": list(legacy.FILES)})
    proc = subprocess.run([NODE, "--input-type=module", "-e", DRIVER % module], input=stdin, capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)


def with_defaults(search: str) -> dict:
    """What the explorer's parseView fills in where the address said nothing."""
    got = parse_qs(search.lstrip("?"))
    got.setdefault("metric", [load().families["htc"].default])
    got.setdefault("from", [LAST_12["from"]])
    got.setdefault("to", [LAST_12["to"]])
    return got


def test_every_old_address_gives_its_view():
    results = run([p for p, _ in MAPPED])
    for (path, want), got in zip(MAPPED, results):
        assert got["problem"] is None, (path, got["problem"])
        assert with_defaults(got["search"]) == want, path
        assert got["forwarded"], path


def test_an_address_not_understood_names_its_segment_and_the_nearest_view():
    results = run([p for p, *_ in UNMAPPED])
    for (path, index, segment, reason), got in zip(UNMAPPED, results):
        assert got["problem"], path
        assert (got["problem"]["index"], got["problem"]["segment"]) == (index, segment), path
        assert reason in got["problem"]["reason"], (path, got["problem"]["reason"])
        assert path.strip("/").split("/")[index - 1] == segment
        # the nearest view holds what came before the segment: the scope's data type, at least
        assert parse_qs(got["search"].lstrip("?"))["data"] == ["htc"], path


def test_units_open_in_their_unit_and_clamped_periods_are_said():
    got = dict(zip(["day", "past", "hour", "count"], run([
        "/egi/site/INFN-T1/normcpu-day/VO/DATE/2024/01/2024/12/egi/onlyinfrajobs/",
        "/egi/normcpu/REGION/DATE/2024/1/2030/12/egi/onlyinfrajobs/",
        "/egi/normcpu-hour/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
        "/egi/njobs-day/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/"])))
    assert parse_qs(got["day"]["search"].lstrip("?"))["unit"] == ["day"] and got["day"]["notes"] == []
    assert any("2025-10" in n for n in got["past"]["notes"]), got["past"]
    assert got["hour"]["notes"] == [] and got["hour"]["problem"] is None
    assert "unit" not in parse_qs(got["hour"]["search"].lstrip("?"))
    # a count has no unit to choose: the address opens in jobs, and says so
    assert "unit" not in parse_qs(got["count"]["search"].lstrip("?"))
    assert any("day" in n for n in got["count"]["notes"]), got["count"]


def test_old_output_and_other_paths_are_not_forwarded():
    results = run(OUTPUTS + ["/egi/", "/help/x/y/", "/egi/no-such.csv", "/egi/x/table.parquet.br",
                             "/egi/htc/njobs/SITE/VO/2017/1/2017/12/custom-enmr.eu/onlyinfrajobs/"])
    assert [r["forwarded"] for r in results] == [False] * 6 + [True]


def test_apache_rule_uses_the_same_prefixes_and_formats():
    text = apache.config("/srv/portal/current")
    rule = re.search(r'RewriteRule "\^/\(\(\?:([a-z|]+)\)/\.\+\)\$" "/explore/\?legacy=/\$1" \[B,NE,R=302,L\]', text)
    assert rule and rule.group(1).split("|") == legacy.prefixes(load())
    assert f'"!(^|/)({"|".join(legacy.FORMATS)})/?$" [NC]' in text
    assert f'RewriteCond "$1" "!\\.({"|".join(legacy.FILES)})$"' in text
    # every old scope's first segment is one of them; every page of PAGES starts with one too
    assert {s["path"].split("/")[0] for s in load().legacy["scopes"]} == set(legacy.prefixes(load()))
    assert all(p.split("/")[1] in legacy.prefixes(load()) for p in PAGES)


def test_catalogue_ids_are_checked():
    cat = load()
    t = legacy.table(cat)
    assert set(t["jobs"].values()) == set(explore.JOBS)
    assert set(t["vo_groups"].values()) <= set(cat.vo_groups)
    for data, ids in t["metrics"].items():
        assert all(cat.metrics[m].family == data for m in ids.values())


def test_the_apis_reader_of_old_addresses_is_the_browsers_twin():
    """accounting/api/legacy.py (the API's `…/JSON/` and `…/CSV/`) reads every address as
    static/legacy.js does: the same view, the same notes, the same segment not understood
    and the same reason (what the old portal's JSON/CSV call and its HTML form mean agree)."""
    from urllib.parse import urlencode

    from accounting.api import legacy as api_legacy

    cat = load()
    paths = [p for p, _ in MAPPED] + [p for p, *_ in UNMAPPED] + [
        "/egi/site/INFN-T1/normcpu-day/VO/DATE/2024/01/2024/12/egi/onlyinfrajobs/",
        "/egi/normcpu/REGION/DATE/2024/1/2030/12/egi/onlyinfrajobs/", "/egi/njobs-day/REGION/",
        "/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/hepspec06/",
        "/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/JSON/extra/", "/nowhere/normcpu/"]
    for path, js in zip(paths, run(paths)):
        try:
            params, notes = api_legacy.parse(path, legacy.table(cat), families())
            problem = None
        except api_legacy.Problem as e:
            problem = {"index": e.index, "segment": e.segment, "reason": e.reason}
            params, notes = None, None
        assert problem == js["problem"], path
        if problem is None:
            assert "?" + urlencode(api_legacy.query_params(params)) == js["search"], path
            assert notes == js["notes"], path


def test_the_old_format_segment_is_the_last_one():
    from accounting.api.legacy import split_format

    assert split_format("/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/JSON/") == \
        ("/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/", "JSON")
    assert split_format("/egi/htc/njobs/SITE/VO/2017/1/2017/12/custom-enmr.eu/onlyinfrajobs/csv") == \
        ("/egi/htc/njobs/SITE/VO/2017/1/2017/12/custom-enmr.eu/onlyinfrajobs/", "CSV")
    assert split_format("/egi/JSON/") == ("/egi/", "JSON")
    assert split_format("/egi/normcpu/") == ("/egi/normcpu/", None)
