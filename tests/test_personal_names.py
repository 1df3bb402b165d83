"""Personal data through other columns, and the reserved labels of absent values (issue 14
item 3), on the site built from the demo source with hostile names (conftest's `hostile`,
tests/hostile_names.py): a GPU FQAN `/CN=<person>/DC=org/Role=NULL`, a GPU site named
by a DN, an HTC submit host that is an e-mail address, a StAR SubGroup `CN=<person>` with
a person's local user, group and home directory, a VO called "no VO", a
discipline called "unknown discipline" and a storage media called "(no media)".

A person's identity appears in no public file (pages, downloads, their .br/.gz siblings,
Parquet values, paths); its usage stays in every total, equal to an independent sum over
the source Parquet, under the absent value, and /quality/ says where. The real names that
carry a label's text are entities of their own beside the absent ones."""

from __future__ import annotations

import csv
import html
import re
from collections import defaultdict

import pyarrow.dataset as pads
import pyarrow.parquet as pq

from accounting.catalogue import load
from accounting.site import paths
from hostile_names import (
    ABSENT_MEDIA_SITE,
    IDENTITIES,
    NO_MEDIA_SITE,
    PERSON_EMAIL,
    PERSON_FQAN,
    PERSON_SITE,
    PERSON_SUBGROUP,
    REAL_NO_MEDIA,
    REAL_NO_VO,
    REAL_UNKNOWN_DISCIPLINE,
    REAL_UNKNOWN_NGI,
)
from public_files import assert_nowhere, parquet_text_values

ABSENT = load().absent
# The test's own idea of a DN or an e-mail address, independent of cubes/macros.sql.
DN_LIKE = re.compile(r"(^|[/,;+\s])\s*(CN|DC|OU|UID|emailAddress)\s*=|[\w.+-]+@[\w-]+\.[\w.]+", re.I)


def _source(hostile, dataset: str) -> list[dict]:
    return pads.dataset(str(hostile["data"] / "source" / dataset), format="parquet").to_table().to_pylist()


def _cube(hostile, name: str) -> list[dict]:
    """A cube as the site publishes it (data/<cube>.parquet)."""
    return pq.read_table(hostile["output"] / "data" / f"{name}.parquet").to_pylist()


def _table(path) -> list[tuple[str, str]]:
    """(label, row_kind) of each row of a page download."""
    with open(path, newline="") as f:
        return [(r[0], r[-1]) for r in list(csv.reader(f))[1:]]


def _absent(v) -> bool:
    return v is None or v.strip() in ("", "None")


def test_the_planted_identities_are_in_the_source(hostile):
    gpu, storage = _source(hostile, "gpu"), _source(hostile, "storage")
    assert sum(r["FQAN"] == PERSON_FQAN for r in gpu) > 10
    planted = [r for r in storage if r["SubGroup"] == PERSON_SUBGROUP]
    assert len(planted) > 10 and all(r["LocalUser"] and r["LocalGroup"] and r["DirectoryPath"] for r in planted)


def test_no_identity_reaches_any_public_file(hostile):
    """Searched where compression or encoding would hide it: decompressed siblings, Parquet
    values, file names, and the path encoding of each string."""
    needles = {n.encode() for n in IDENTITIES} | {paths.encode(n).encode() for n in IDENTITIES}
    needles |= {n.encode() for n in (PERSON_FQAN, PERSON_SUBGROUP, paths.encode(PERSON_SUBGROUP))}
    assert assert_nowhere(hostile["output"], needles) > 10000


def test_no_published_value_looks_like_a_dn(hostile):
    """Every text value of every Parquet download (cubes and page tables), by the test's own
    pattern: withheld names are absent there, not quoted."""
    seen = 0
    for path, column, value in parquet_text_values(hostile["output"]):
        seen += 1
        assert not DN_LIKE.search(value), (path, column)
    assert seen > 1000


def test_the_gpu_fqan_of_a_person_has_no_vo_and_its_usage_stays_in_the_totals(hostile):
    source, cube = _source(hostile, "gpu"), _cube(hostile, "gpu_monthly")
    assert sum(r["gpu_available_s"] for r in cube) == sum(r["Count"] * r["AvailableDuration"] for r in source)
    without_vo = [r for r in source if _absent(r["FQAN"]) or r["FQAN"] == PERSON_FQAN]
    assert sum(r["gpu_active_s"] for r in cube if r["VO"] is None) == \
        sum(r["Count"] * r["ActiveDuration"] for r in without_vo) > 0
    # The sites of those records show the absent VO in their VO table, marked so.
    site = max({r["SiteName"] for r in without_vo},
               key=lambda s: sum(r["Count"] * r["AvailableDuration"] for r in without_vo if r["SiteName"] == s))
    rows = _table(hostile["output"] / "gpu" / "site" / paths.encode(site) / "yearly.csv")
    assert (ABSENT["VO"], "absent") in rows
    assert not (hostile["output"] / "gpu" / "vo" / paths.encode(PERSON_FQAN.split("/")[1])).exists()


def _storage_truth(records: list[dict]) -> tuple[int, int]:
    """(snapshots, Σ end-of-month capacity used over keys and months), recomputed from the
    raw records: a republished one replaces what it restates, keys as the source has them."""
    key_columns = ("Site", "StorageSystem", "StorageShare", "StorageMedia", "StorageClass", "Group", "SubGroup",
                   "Role")
    latest: dict = {}
    for r in records:
        key = tuple(None if _absent(r[c]) else r[c].lower() if c == "StorageMedia" else r[c] for c in key_columns)
        period = (key, r["StartTime"], r["EndTime"])
        if period not in latest or (r["CreateTime"], r["RecordId"]) > (latest[period]["CreateTime"],
                                                                       latest[period]["RecordId"]):
            latest[period] = r
    last: dict = {}
    for (key, _start, end), r in latest.items():
        slot = (key, end.year, end.month)
        if slot not in last or end > last[slot]["EndTime"]:
            last[slot] = r
    return len(latest), sum(r["ResourceCapacityUsed"] for r in last.values())


def test_a_person_as_storage_subgroup_is_withheld_and_its_capacity_stays_in_the_totals(hostile):
    source, cube = _source(hostile, "storage"), _cube(hostile, "storage_monthly")
    snapshots, used_end = _storage_truth(source)
    assert sum(r["snapshots"] for r in cube) == snapshots
    assert sum(r["used_end"] for r in cube) == used_end
    assert PERSON_SUBGROUP not in {r["SubGroup"] for r in cube}
    # At a site with the withheld subgroup, the records without a subgroup and the withheld
    # ones are each a stock of their own, both under the absent subgroup.
    site = sorted({r["Site"] for r in source if r["SubGroup"] == PERSON_SUBGROUP})[0]
    here = [r for r in source if r["Site"] == site and (_absent(r["SubGroup"]) or r["SubGroup"] == PERSON_SUBGROUP)]
    assert {_absent(r["SubGroup"]) for r in here} == {True, False}
    want = _storage_truth(here)
    got = [r for r in cube if r["Site"] == site and r["SubGroup"] is None]
    assert (sum(r["snapshots"] for r in got), sum(r["used_end"] for r in got)) == want


def _withheld_in_source(hostile) -> set[tuple[str | None, str]]:
    """(site, withheld columns) of every source row with a planted identity in a published
    name column: the site is None where the site's own name is withheld."""
    out = set()
    for r in _source(hostile, "gpu"):
        names = [n for n, hit in (("site", r["SiteName"] == PERSON_SITE), ("VO", r["FQAN"] == PERSON_FQAN)) if hit]
        if names:
            out.add((None if "site" in names else r["SiteName"], ", ".join(names)))
    out |= {(r["Site"], "subgroup") for r in _source(hostile, "storage") if r["SubGroup"] == PERSON_SUBGROUP}
    out |= {(r["Site"], "submit host") for r in _source(hostile, "htc") if r["SubmitHost"] == PERSON_EMAIL}
    return out


def test_the_quality_page_says_where_names_were_withheld_never_what(hostile):
    page = (hostile["output"] / "quality" / "index.html").read_text()
    assert "Name withheld as personal data" in page
    findings = [r for cube in ("quality_findings", "gpu_findings", "storage_findings") for r in _cube(hostile, cube)
                if r["finding"] == "name withheld as personal data"]
    assert {(f["subject"], f["detail"].split(" looked like ")[0]) for f in findings} == _withheld_in_source(hostile)
    assert {"site", "site, VO", "VO", "subgroup", "submit host"} == {f["detail"].split(" looked like ")[0]
                                                                     for f in findings}
    rows = [html.unescape(r) for r in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    for f in findings:
        assert f["rows"] > 0
        subject = f"<bdi>{f['subject']}</bdi>" if f["subject"] else f'<bdi class="absent">{ABSENT["Site"]}</bdi>'
        assert any(subject in r and f"<td class=\"text\">{f['detail']}</td>" in r for r in rows), f


def test_a_site_named_by_a_dn_is_the_withheld_site(hostile):
    out, source = hostile["output"], _source(hostile, "gpu")
    page = out / "gpu" / "site" / paths.encode(paths.Absent(ABSENT["Site"]))
    assert f'<bdi class="absent">{ABSENT["Site"]}</bdi>' in (page / "index.html").read_text()
    cube = _cube(hostile, "gpu_monthly")
    assert sum(r["gpu_available_s"] for r in cube if r["Site"] is None) == \
        sum(r["Count"] * r["AvailableDuration"] for r in source if r["SiteName"] == PERSON_SITE) > 0
    assert (ABSENT["Site"], "absent") in _table(out / "gpu" / "table.csv") or \
        any((ABSENT["Site"], "absent") in _table(p) for p in (out / "gpu" / "ngi").glob("*/table.csv"))


def test_a_submit_host_that_is_an_email_address_is_withheld(hostile):
    out, source = hostile["output"], _source(hostile, "htc")
    sites = {r["Site"] for r in source if r["SubmitHost"] == PERSON_EMAIL}
    cube = _cube(hostile, "htc_submithost")
    assert sum(r["njobs"] for r in cube if r["SubmitHost"] is None) == \
        sum(r["NumberOfJobs"] for r in source if r["SubmitHost"] in (None, PERSON_EMAIL)) > 0
    assert sum(r["njobs"] for r in cube) == sum(r["NumberOfJobs"] for r in source)
    for site in sites:
        assert (ABSENT["SubmitHost"], "absent") in _table(out / "egi" / "site" / paths.encode(site) / "submithosts.csv")


def test_a_real_no_vo_is_its_own_vo_beside_the_absent_one(hostile):
    out = hostile["output"]
    real, absent = paths.encode(REAL_NO_VO), paths.encode(paths.Absent(ABSENT["VO"]))
    assert real != absent
    assert f"<h1>VO <bdi>{REAL_NO_VO}</bdi></h1>" in (out / "egi" / "vo" / real / "index.html").read_text()
    assert f'<h1>VO <bdi class="absent">{ABSENT["VO"]}</bdi></h1>' in \
        (out / "egi" / "vo" / absent / "index.html").read_text()
    source, cube = _source(hostile, "htc"), _cube(hostile, "htc_monthly")
    for want, rows in ((REAL_NO_VO, [r for r in source if r["VO"] == REAL_NO_VO]),
                       (None, [r for r in source if _absent(r["VO"])])):
        assert sum(r["njobs"] for r in cube if r["VO"] == want) == sum(r["NumberOfJobs"] for r in rows) > 0
    # A site where both ran lists both: the VO, and the absent value.
    both = {r["Site"] for r in source if r["VO"] == REAL_NO_VO} & {r["Site"] for r in source if _absent(r["VO"])}
    site = sorted(both)[0]
    rows = _table(out / "egi" / "site" / paths.encode(site) / "table.csv")
    assert sorted(k for label, k in rows if label == REAL_NO_VO) == ["absent", "entity"]


def test_a_real_unknown_discipline_is_its_own_discipline(hostile):
    out = hostile["output"]
    real = out / "discipline" / paths.encode(REAL_UNKNOWN_DISCIPLINE) / "index.html"
    absent = out / "discipline" / paths.encode(paths.Absent(ABSENT["Discipline3"])) / "index.html"
    assert real.is_file() and absent.is_file()
    assert "<bdi>unknown discipline</bdi>" in real.read_text()
    assert '<bdi class="absent">unknown discipline</bdi>' in absent.read_text()
    cube = _cube(hostile, "htc_monthly")
    assert {r["Discipline3"] for r in cube} >= {REAL_UNKNOWN_DISCIPLINE, None}
    # The real one has its place in the tree (a level-3 discipline under its parents).
    levels = {(r["Discipline1"], r["Discipline2"]) for r in cube if r["Discipline3"] == REAL_UNKNOWN_DISCIPLINE}
    assert levels and None not in {x for pair in levels for x in pair}


def test_a_real_no_media_is_its_own_media_beside_the_absent_one(hostile):
    out = hostile["output"]
    rows = _table(out / "storage" / "storagemedia.csv")
    assert sorted(k for label, k in rows if label == REAL_NO_MEDIA) == ["absent", "entity"]
    cube = _cube(hostile, "storage_monthly")
    assert {r["Site"] for r in cube if r["StorageMedia"] == REAL_NO_MEDIA} == {NO_MEDIA_SITE}
    assert ABSENT_MEDIA_SITE in {r["Site"] for r in cube if r["StorageMedia"] is None}


def test_absent_values_are_empty_in_the_cubes_and_labelled_only_on_the_pages(hostile):
    """No cube holds a label of an absent value as text, except where a real name carries it."""
    real = {REAL_NO_VO, REAL_UNKNOWN_DISCIPLINE, REAL_NO_MEDIA, REAL_UNKNOWN_NGI}
    labels = set(ABSENT.values()) - real
    counts = defaultdict(int)
    for path, column, value in parquet_text_values(hostile["output"] / "data"):
        if value in labels and column in ABSENT:
            counts[(path.name, column, value)] += 1
    assert not counts, dict(counts)
