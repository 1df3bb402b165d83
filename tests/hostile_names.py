"""A copy of the small demo's source Parquet with hostile names planted in it (issue 14):
a 255-character site name, an NGI really called "unknown NGI", VOs called "Total",
"Other", a spreadsheet formula, a name with a right-to-left override and "no VO", a
discipline called "unknown discipline" and a storage media "(no media)" (the portal's
labels of absent values), and a person's identity where names are published: a GPU FQAN
whose first component is a user's CN, a GPU site named by a DN, an HTC submit host that
is an e-mail address, a StAR SubGroup `CN=<person>`, and the StAR local user, group and
directory of a person."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# MariaDB's VARCHAR(255) holds this; its plain encoding is far beyond a file name's 255 bytes.
LONG_SITE = "Ресурсный-центр-" + "Ж" * 200 + "-" + "x" * 38
REAL_UNKNOWN_NGI = "unknown NGI"
FORMULA_VO = '=HYPERLINK("http://x","y")'
RTL_VO = "evil\u202etxt.exe"
REAL_NO_VO = "no VO"
# The largest VOs of the demo take these names, so each is among a chart's top series.
VO_NAMES = ("Other", "Total", FORMULA_VO, RTL_VO, REAL_NO_VO)
# A real discipline (level 3) with the name of the absent one; a real storage media too.
REAL_UNKNOWN_DISCIPLINE = "unknown discipline"
RENAMED_DISCIPLINE = "Bioinformatics"
REAL_NO_MEDIA = "(no media)"
NO_MEDIA_SITE, NO_MEDIA_FROM = "INFN-T1", "tape"  # its tape is called "(no media)"
ABSENT_MEDIA_SITE, ABSENT_MEDIA_FROM = "praguelcg2", "disk"  # its media is APEL's 'None'
# A person's identity in published name columns, and in the StAR columns that are never published.
PERSON = "Jane Doe"
GPU_FQAN_FROM, PERSON_FQAN = "/icecube", f"/CN={PERSON}/DC=org/Role=NULL"
SUBGROUP_FROM, PERSON_SUBGROUP = "de", f"CN={PERSON}"
PERSON_DN = f"/DC=org/DC=example/OU=People/CN={PERSON} 4711"
LOCAL_USER, LOCAL_GROUP, HOME = "jdoe4711", "jdoe-grp4711", "/home/jdoe4711/atlas"
PERSON_EMAIL = "jane.doe@example.org"  # the submit host of one HTC host's rows
PERSON_SITE_FROM, PERSON_SITE = "CESNET-MetaCloud", f"/O=Example/CN={PERSON} Workstation"  # a GPU site
# What no public file may hold, in any spelling the pipeline could give it.
IDENTITIES = (PERSON, LOCAL_USER, LOCAL_GROUP, HOME, PERSON_EMAIL)


def unquote(cell: str) -> str:
    """A CSV cell as static/site.js reads it for a chart: one leading ' off a cell the
    site neutralised (a quote run ending in = + - @, tab or CR)."""
    return re.sub(r"^'(?='*[=+\-@\t\r])", "", cell)


def _rename(path: Path, column: str, mapping: dict[str, str]) -> None:
    table = pq.read_table(path)
    if column not in table.column_names:
        return
    values = table[column].to_pylist()
    new = pa.array([mapping.get(v, v) for v in values], table.schema.field(column).type)
    pq.write_table(table.set_column(table.column_names.index(column), table.schema.field(column), new), path)


def _set(path: Path, change) -> None:
    """Rewrite one Parquet file, each row updated by `change(row)` (a dict of new values)."""
    table = pq.read_table(path)
    rows = [r | change(r) for r in table.to_pylist()]
    pq.write_table(pa.Table.from_pylist(rows, table.schema), path)


def plant(source: Path, dest: Path) -> dict:
    """Copy `source` (a data/source directory) to `dest` with the hostile names; returns
    what was renamed: {'site': (old, new), 'ngi': (old, new), 'vos': {old: new}}."""
    shutil.copytree(source, dest)
    htc = sorted(dest.glob("htc/year=*/month=*/part-0.parquet"))
    sites = pq.read_table(dest / "topology" / "sites.parquet")
    latest = pq.read_table(htc[-1])
    # The busiest site and VOs of the latest month, so their pages have recent figures.
    wall = latest.group_by("Site").aggregate([("WallDuration", "sum")]).sort_by([("WallDuration_sum", "descending")])
    known = set(sites["Site"].to_pylist())
    site = next(s for s in wall["Site"].to_pylist() if s in known)
    site_ngi = sites.filter(pc.equal(sites["Site"], site))["NGI"].to_pylist()[-1]
    ngi = next(n for n in sorted(set(sites["NGI"].to_pylist())) if n != site_ngi)
    by_vo = latest.group_by("VO").aggregate([("WallDuration", "sum")])
    vos = [v for v in by_vo.sort_by([("WallDuration_sum", "descending")])["VO"].to_pylist() if v != "None"]
    vo_map = dict(zip(vos, VO_NAMES))
    host = sorted(set(latest["SubmitHost"].to_pylist()) - {None})[0]
    for path in htc:
        _rename(path, "Site", {site: LONG_SITE})
        _rename(path, "VO", vo_map)
        _rename(path, "SubmitHost", {host: PERSON_EMAIL})
    _rename(dest / "topology" / "sites.parquet", "Site", {site: LONG_SITE})
    _rename(dest / "topology" / "sites.parquet", "NGI", {ngi: REAL_UNKNOWN_NGI})
    _rename(dest / "topology" / "vos.parquet", "VO", vo_map)
    for table in ("vos", "disciplines"):
        _rename(dest / "topology" / f"{table}.parquet", "Discipline", {RENAMED_DISCIPLINE: REAL_UNKNOWN_DISCIPLINE})
    for path in sorted(dest.glob("gpu/year=*/month=*/part-0.parquet")):
        _set(path, _gpu_change)
    for path in sorted(dest.glob("storage/year=*/month=*/part-0.parquet")):
        _set(path, _storage_change)
    return {"site": (site, LONG_SITE), "ngi": (ngi, REAL_UNKNOWN_NGI), "vos": vo_map}


def _gpu_change(r: dict) -> dict:
    out = {"FQAN": PERSON_FQAN, "GlobalUserName": PERSON_DN} if r["FQAN"] == GPU_FQAN_FROM else {}
    return out | ({"SiteName": PERSON_SITE} if r["SiteName"] == PERSON_SITE_FROM else {})


def _storage_change(r: dict) -> dict:
    out = {}
    if r["SubGroup"] == SUBGROUP_FROM:
        out |= {"SubGroup": PERSON_SUBGROUP, "UserIdentity": PERSON_DN, "LocalUser": LOCAL_USER,
                "LocalGroup": LOCAL_GROUP, "DirectoryPath": HOME}
    if (r["Site"], r["StorageMedia"]) == (NO_MEDIA_SITE, NO_MEDIA_FROM):
        out["StorageMedia"] = REAL_NO_MEDIA
    if (r["Site"], r["StorageMedia"]) == (ABSENT_MEDIA_SITE, ABSENT_MEDIA_FROM):
        out["StorageMedia"] = "None"
    return out
