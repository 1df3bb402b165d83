"""What an APEL database says, computed by MariaDB itself, and what the built pages say.

The acceptance tests of the MariaDB path (issue 13) compare the two: the figures of a
site's pages and downloads against SQL over APEL's own tables (HybridSuperSummaries,
CloudSummaries, StarRecords with their lookup tables), never against our cubes. The
validation rules are written again here in SQL from their documentation (README,
"Validation"), so a row's fate (exported or quarantined, and why) is recomputed too.
Site names are read as bytes: the lookups compare case-insensitively, the portal does not.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from accounting.source.contracts import BENCHMARK_SPELLINGS, BENCHMARK_UNRECORDED, SI2K_PER_HS23
from accounting.source.validation import BEYOND_RANGE, CLOUD_STATUSES, FIRST_YEAR, MAX_VALUE
from family_tables import table_csv
from htmltables import parse


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _blank(expr: str) -> str:
    """Empty for the portal: NULL, or only whitespace (tabs and newlines too)."""
    return f"({expr} IS NULL OR {expr} REGEXP '^[[:space:]]*$')"


def _trimmed_lower(expr: str) -> str:
    return f"LOWER(REGEXP_REPLACE(COALESCE({expr}, ''), '^[[:space:]]+|[[:space:]]+$', ''))"


_PERIOD = f"""WHEN {{t}}.Month NOT BETWEEN 1 AND 12 THEN 'month not in 1-12'
        WHEN {{t}}.Year NOT BETWEEN {FIRST_YEAR} AND YEAR(CURDATE()) + 1 THEN 'year out of range'"""
_BENCH = _trimmed_lower("h.ServiceLevelType")
_KNOWN = f"{_BENCH} IN ({_sql_list(BENCHMARK_SPELLINGS)})"
_EXPECTED_NORMWALL = (f"CAST(h.WallDuration AS DECIMAL(30, 3)) * h.ServiceLevel "
                      f"/ CASE WHEN {_BENCH} = 'si2k' THEN {SI2K_PER_HS23} ELSE 1 END")

# Each fact row with its site and the first documented rule it breaks (NULL: valid), in
# the rules' order. A NULL is not negative: APEL's cloud and storage columns are nullable.
HTC = f"""
SELECT CAST(s.name AS BINARY) AS site, h.Year, h.Month,
    CASE {_PERIOD.format(t="h")}
        WHEN LEAST(h.WallDuration, h.CpuDuration, h.NormalisedWallDuration, h.NormalisedCpuDuration,
                   h.NumberOfJobs) < 0 THEN 'negative duration or job count'
        WHEN GREATEST(h.WallDuration, h.CpuDuration, h.NormalisedWallDuration, h.NormalisedCpuDuration,
                      h.NumberOfJobs) > {MAX_VALUE} THEN "{BEYOND_RANGE}"
        WHEN LEAST(h.Processors, h.NodeCount) < 0 THEN 'negative processor or node count'
        WHEN NOT ({_KNOWN} OR {_BENCH} IN ({_sql_list(BENCHMARK_UNRECORDED)})) THEN 'unknown benchmark type'
        WHEN s.name IS NULL THEN 'site id not in Sites'
        WHEN NOT EXISTS (SELECT 1 FROM DNs WHERE id = h.GlobalUserNameID) THEN 'GlobalUserName id not in DNs'
        WHEN NOT EXISTS (SELECT 1 FROM VOs WHERE id = h.VOID) THEN 'VO id not in VOs'
        WHEN NOT EXISTS (SELECT 1 FROM VOGroups WHERE id = h.VOGroupID) THEN 'VOGroup id not in VOGroups'
        WHEN NOT EXISTS (SELECT 1 FROM VORoles WHERE id = h.VORoleID) THEN 'VORole id not in VORoles'
        WHEN NOT EXISTS (SELECT 1 FROM SubmitHosts WHERE id = h.SubmitHostId) THEN 'SubmitHost id not in SubmitHosts'
        WHEN {_blank("s.name")} THEN 'empty site'
        WHEN {_KNOWN} AND h.ServiceLevel > 0 AND ABS(CAST(h.NormalisedWallDuration AS DECIMAL(30, 3))
                                                   - {_EXPECTED_NORMWALL}) > {_EXPECTED_NORMWALL} * 0.01 + 1
            THEN 'normalised wall time inconsistent with wall time × benchmark'
    END AS reason,
    h.NormalisedCpuDuration AS normcpu_s, h.NumberOfJobs AS njobs, h.UpdateTime
FROM HybridSuperSummaries AS h
LEFT JOIN Sites AS s ON s.id = h.SiteID"""

CLOUD = f"""
SELECT CAST(s.name AS BINARY) AS site, c.Year, c.Month,
    CASE {_PERIOD.format(t="c")}
        WHEN c.WallDuration IS NULL OR c.NumberOfVMs IS NULL THEN 'no wall time or VM count'
        WHEN LEAST(c.WallDuration, IFNULL(c.CpuDuration, 0), c.NumberOfVMs) < 0 THEN 'negative duration or count'
        WHEN c.CpuCount <= 0 THEN 'zero CPU count'
        WHEN LOWER(c.Status) NOT IN ({_sql_list(CLOUD_STATUSES)}) THEN 'unknown status'
        WHEN s.name IS NULL THEN 'site id not in Sites'
        WHEN NOT EXISTS (SELECT 1 FROM CloudComputeServices WHERE id = c.CloudComputeServiceID)
            THEN 'CloudComputeService id not in CloudComputeServices'
        WHEN NOT EXISTS (SELECT 1 FROM DNs WHERE id = c.GlobalUserNameID) THEN 'GlobalUserName id not in DNs'
        WHEN NOT EXISTS (SELECT 1 FROM VOs WHERE id = c.VOID) THEN 'VO id not in VOs'
        WHEN NOT EXISTS (SELECT 1 FROM VOGroups WHERE id = c.VOGroupID) THEN 'VOGroup id not in VOGroups'
        WHEN NOT EXISTS (SELECT 1 FROM VORoles WHERE id = c.VORoleID) THEN 'VORole id not in VORoles'
        WHEN {_blank("s.name")} THEN 'empty site'
    END AS reason,
    c.WallDuration * CAST(c.CpuCount AS DECIMAL(10, 3)) AS core_s
FROM CloudSummaries AS c
LEFT JOIN Sites AS s ON s.id = c.SiteID"""

GPU = f"""
SELECT CAST(g.SiteName AS BINARY) AS site, g.Year, g.Month,
    CASE {_PERIOD.format(t="g")}
        WHEN LEAST(g.AvailableDuration, g.ActiveDuration, g.Count, g.NumberOfRecords) < 0
            THEN 'negative duration or count'
        WHEN GREATEST(g.AvailableDuration, g.ActiveDuration, g.NumberOfRecords) > {MAX_VALUE}
            OR GREATEST(g.AvailableDuration, g.ActiveDuration) * g.Count * IFNULL(g.Benchmark, 1) > {2**63}
            THEN "{BEYOND_RANGE}"
        WHEN {_blank("g.SiteName")} THEN 'empty site'
        WHEN LOWER(g.AssociatedRecordType) NOT IN ('job', 'cloud') THEN 'unknown record type'
    END AS reason
FROM AcceleratorSummaries AS g"""


def _absent(expr: str, name: str, lower: bool = False) -> str:
    """APEL's 'None', a blank or NULL as one absent value, spelled as the cubes spell it
    (compared as bytes: 'none' is a value)."""
    value = f"LOWER({expr})" if lower else expr
    return f"IF(COALESCE(TRIM({expr}), '') IN (BINARY '', BINARY 'None'), '{name}', CAST({value} AS BINARY))"


_STAR_KEY = ("site", "system", "share", "media", "class", "vo", "subgroup", "role")
STORAGE = f"""
SELECT CAST(site.name AS BINARY) AS site, YEAR(r.EndTime) AS Year, MONTH(r.EndTime) AS Month,
    CASE WHEN r.EndTime IS NULL THEN 'no snapshot time'
        WHEN YEAR(r.EndTime) NOT BETWEEN {FIRST_YEAR} AND YEAR(CURDATE()) + 1 THEN 'year out of range'
        WHEN r.StartTime > r.EndTime THEN 'start after end'
        WHEN LEAST(COALESCE(r.ResourceCapacityUsed, 0), COALESCE(r.LogicalCapacityUsed, 0),
                   COALESCE(r.ResourceCapacityAllocated, 0), COALESCE(r.FileCount, 0)) < 0
            THEN 'negative capacity or file count'
        WHEN r.ResourceCapacityUsed IS NULL THEN 'no capacity used'
        WHEN site.id IS NULL THEN 'site id not in Sites'
        WHEN {_blank("site.name")} THEN 'empty site'
    END AS reason,
    r.RecordId, r.CreateTime, r.StartTime, r.EndTime, CAST(sys.name AS BINARY) AS system,
    {_absent("share.name", "(no share)")} AS share, {_absent("media.name", "(no media)", lower=True)} AS media,
    {_absent("cls.name", "(no class)")} AS class, {_absent("grp.name", "no VO")} AS vo,
    {_absent("sub.name", "(none)")} AS subgroup, {_absent("role.name", "(none)")} AS role,
    r.ResourceCapacityUsed AS used, r.LogicalCapacityUsed AS logical, r.ResourceCapacityAllocated AS allocated,
    r.FileCount AS files
FROM StarRecords AS r
LEFT JOIN Sites AS site ON site.id = r.SiteID
LEFT JOIN StorageSystems AS sys ON sys.id = r.StorageSystemID
LEFT JOIN StorageShares AS share ON share.id = r.StorageShareID
LEFT JOIN StorageMedia AS media ON media.id = r.StorageMediaID
LEFT JOIN StorageClasses AS cls ON cls.id = r.StorageClassID
LEFT JOIN `Groups` AS grp ON grp.id = r.GroupID
LEFT JOIN SubGroups AS sub ON sub.id = r.SubGroupID
LEFT JOIN Roles AS role ON role.id = r.RoleID"""
STORAGE_MEASURES = ("used", "logical", "allocated", "files")

# A storage month per site: the valid snapshots, a republished one (same key and period,
# later CreateTime) replacing the earlier; each held from its EndTime until the key's next
# snapshot of the month, the last until the month ends; per key the time-weighted average
# of each measure (over the time of snapshots that have it), to a thousandth; per site the
# sum over keys.
_KEY = ", ".join(_STAR_KEY)
_AVERAGES = ", ".join(f"ROUND(SUM(CAST({m} AS DECIMAL(30, 0)) * held_s) / SUM(IF({m} IS NULL, NULL, held_s)), 3) AS {m}"
                      for m in STORAGE_MEASURES)
STORAGE_MONTHS = f"""
WITH latest AS (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY {_KEY}, StartTime, EndTime
                                 ORDER BY CreateTime DESC, CAST(RecordId AS BINARY) DESC) AS version
    FROM ({STORAGE}) AS records WHERE reason IS NULL
), held AS (
    SELECT *, TIMESTAMPDIFF(SECOND, EndTime, COALESCE(
        LEAD(EndTime) OVER (PARTITION BY {_KEY}, Year, Month ORDER BY EndTime),
        DATE_FORMAT(EndTime, '%Y-%m-01') + INTERVAL 1 MONTH)) AS held_s
    FROM latest WHERE version = 1
), per_key AS (
    SELECT site, Year, Month, {_AVERAGES} FROM held GROUP BY {_KEY}, Year, Month
)
SELECT site, Year, Month, {", ".join(f"SUM({m}) AS {m}" for m in STORAGE_MEASURES)}
FROM per_key GROUP BY site, Year, Month"""


def fetch(cur, sql: str) -> list[dict]:
    """Rows as dicts, names decoded (they were read as bytes)."""
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    rows = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        rows.append({k: v.decode() if isinstance(v, bytes) else v for k, v in row.items()})
    return rows


def grouped(cur, facts: str, sums: tuple[str, ...] = ()) -> list[dict]:
    """One row per site, month and rule broken (NULL: valid): the count and sums of the facts."""
    cols = "".join(f", SUM({s}) AS {s}" for s in sums)
    return fetch(cur, f"SELECT site, Year, Month, reason, COUNT(*) AS n{cols} FROM ({facts}) AS f "
                      "GROUP BY site, Year, Month, reason")


def last_complete_month(as_of: dt.datetime) -> tuple[int, int]:
    """The site's time frame: the month before the data's as-of month."""
    return (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)


def window(last: tuple[int, int], n: int = 12) -> list[str]:
    """The months of the monthly tables, as 'YYYY-MM', oldest first."""
    y, m = last
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def by_site(rows: list[dict], value, last: tuple[int, int]) -> dict[str, dict[str, object]]:
    """{site: {'YYYY-MM': value}} of the valid rows up to the last complete month."""
    out: dict = defaultdict(dict)
    for r in rows:
        if r.get("reason") is None and (r["Year"], r["Month"]) <= last:
            out[r["site"]][f"{r['Year']:04d}-{r['Month']:02d}"] = value(r)
    return dict(out)


def years(monthly: dict[str, object], last_year: int, add, first: int | None = None) -> dict[str, object]:
    """A site's years from its first one (with data, unless given) to the last: `add`
    rolls a year's months up."""
    first = min(int(k[:4]) for k in monthly) if first is None else first
    return {str(y): add([v for k, v in monthly.items() if k.startswith(f"{y:04d}-")])
            for y in range(first, last_year + 1)}


def download_totals(page_dir: Path, table: str) -> tuple[list[str], dict[str, float | None]]:
    """The Total row of a download: its header, and its value per column, from the CSV,
    checked to be the Parquet's too."""
    kinds: list = []
    header, rows = table_csv(page_dir / f"{table}.csv", kinds)
    total = rows[kinds.index("total")]
    values = {h: (float(v) if v else None) for h, v in zip(header[1:], total[1:], strict=True)}
    parquet = pq.read_table(page_dir / f"{table}.parquet").to_pylist()
    want = {header[0]: "Total", **values, "row_kind": "total"}
    assert next(r for r in parquet if r["row_kind"] == "total") == want, page_dir / table
    return header[1:], values


def shown_totals(page: Path, table: str) -> list[str] | None:
    """The texts of the Total row of a page's table (None: the page shows no such table)."""
    tables = parse(page.read_text()).tables
    if table not in tables:
        return None
    return next(r for r in tables[table]["rows"] if r["label"] == "Total")["texts"]


def shows(text: str, value: float | None) -> bool:
    """Whether a displayed number is `value` rounded to the digits it shows."""
    if value is None:
        return text == "–"
    digits = text.replace(",", "")
    if text == "–" or not digits.replace(".", "", 1).isdigit():
        return False
    decimals = len(digits.partition(".")[2])
    return abs(float(digits) - value) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + 1e-9 * abs(value)


def close(got: float | None, expected: float | None) -> bool:
    if got is None or expected is None:
        return got is expected
    return math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-9)


def compare(page_dir: Path, table: str, expected: dict[str, float | None], where: str) -> list[str]:
    """Where the Total row of a page's table (its downloads and the HTML cells) differs
    from `expected` ({column: value}, in the page's column order): one line each."""
    if not (page_dir / f"{table}.csv").exists():
        return [f"{where} {table}: no page or download in {page_dir}"]
    header, got = download_totals(page_dir, table)
    if header[:len(expected)] != list(expected):
        return [f"{where} {table}: columns {header}, expected {list(expected)}"]
    problems = [f"{where} {table} {k}: expected {e}, download {got[k]}"
                for k, e in expected.items() if not close(got[k], e)]
    texts = shown_totals(page_dir / "index.html", table)
    if texts is None:  # the page says there is nothing to show: only right if there is not
        if any(expected.values()):
            problems.append(f"{where} {table}: no table on the page, expected {expected}")
        return problems
    return problems + [f"{where} {table} {k}: expected {e}, page shows {text!r}"
                       for (k, e), text in zip(expected.items(), texts) if not shows(text, e)]


def metric_dir(base: Path, metric: str, default: str) -> Path:
    """A metric's page of an entity: the entity's own directory for the default metric."""
    return base if metric == default else base / metric
