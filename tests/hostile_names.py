"""A copy of the small demo's source Parquet with hostile names planted in it (issue 14):
a 255-character site name, an NGI really called "unknown NGI", and VOs called "Total",
"Other", a spreadsheet formula and a name with a right-to-left override."""

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
# The largest VOs of the demo take these names, so each is among a chart's top series.
VO_NAMES = ("Other", "Total", FORMULA_VO, RTL_VO)


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
    for path in htc:
        _rename(path, "Site", {site: LONG_SITE})
        _rename(path, "VO", vo_map)
    _rename(dest / "topology" / "sites.parquet", "Site", {site: LONG_SITE})
    _rename(dest / "topology" / "sites.parquet", "NGI", {ngi: REAL_UNKNOWN_NGI})
    _rename(dest / "topology" / "vos.parquet", "VO", vo_map)
    return {"site": (site, LONG_SITE), "ngi": (ngi, REAL_UNKNOWN_NGI), "vos": vo_map}
