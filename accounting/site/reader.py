"""The site stage's one way into the cubes: a DuckDB connection over `data/cubes/*.parquet`
and the page queries of `cubes/queries/`. Generators ask it for figures; none of them
holds SQL or a connection of its own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accounting import duck
from accounting.catalogue import Catalogue
from accounting.errors import SiteError
from accounting.locations import PAGE_QUERIES
from accounting.site.paths import Absent

# A view's entities by the cube that holds them (the storage view's page kinds are storage_*).
ENTITY_CUBES = (("htc_monthly", ""), ("gpu_monthly", "gpu_"), ("cloud_monthly", "cloud_"),
                ("storage_monthly", "storage_"))
ENTITY_COLUMNS = (("ngi", "NGI"), ("country", "Country"), ("site", "Site"), ("vo", "VO"))
COLUMN_EXPR = {"month": "month_label(Year, Month)", "history": "month_label(Year, Month)",
               "year": "printf('%04d', Year)"}


def query(name: str) -> str:
    return duck.sql(PAGE_QUERIES / f"{name}.sql")


class CubeReader:
    def __init__(self, cubes_dir: Path, cat: Catalogue):
        self.cubes_dir = Path(cubes_dir)
        if not (self.cubes_dir / "htc_monthly.parquet").exists():
            raise SiteError(f"no cubes in {self.cubes_dir}: run the cubes stage first")
        self.con = duck.connect()
        for path in self.cube_files():
            try:
                duck.view_parquet(self.con, path.stem, path)
            except duck.Error as e:
                raise SiteError(f"cube {path} is unreadable (rebuild it with the cubes stage): {e}") from None
        # Identifiers go into the query text: only catalogue dimensions and cubes may.
        self.identifiers = set(cat.dimensions) | {p.stem for p in self.cubes_dir.glob("*.parquet")}
        self.absent = {column: Absent(label) for column, label in cat.absent.items()}

    def name(self, column: str | None, value):
        """An entity name from the cubes; NULL in a column the catalogue labels ([absent])
        becomes that label, as a key no real name equals."""
        return self.absent[column] if value is None and column in self.absent else value

    def _rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        try:
            return self.con.execute(sql, {k: v for k, v in (params or {}).items() if f"${k}" in sql}).fetchall()
        except duck.Error as e:
            raise SiteError(f"cannot read the cubes in {self.cubes_dir}: {e}") from None

    def _dicts(self, sql: str, params: dict | None = None) -> list[dict]:
        try:
            cur = self.con.execute(sql, params or {})
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
        except duck.Error as e:
            raise SiteError(f"cannot read the cubes in {self.cubes_dir}: {e}") from None

    def _checked(self, *identifiers: str | None) -> None:
        for ident in identifiers:
            if ident is not None and ident not in self.identifiers:
                raise ValueError(f"not a known cube or dimension: {ident!r}")

    def has_cube(self, name: str) -> bool:
        return (self.cubes_dir / f"{name}.parquet").exists()

    def cube_files(self) -> list[Path]:
        return sorted(self.cubes_dir.glob("*.parquet"))

    def row_count(self, cube: str) -> int:
        """From the cube's Parquet footer, as the data page counts it."""
        return pq.read_metadata(self.cubes_dir / f"{cube}.parquet").num_rows if self.has_cube(cube) else 0

    def as_of(self) -> datetime:
        return self._rows(query("as_of"))[0][0]

    def site_homes(self) -> dict[str, tuple[str, str]]:
        return {self.name("Site", s): (self.name("NGI", n), self.name("Country", c))
                for s, n, c in self._rows(query("site_homes"))}

    def disciplines(self) -> list[tuple[str, str, str, str]]:
        """(level 1, level 2, level 3, VO) as they appear in the accounting; the absent ones labelled."""
        columns = ("Discipline1", "Discipline2", "Discipline3", "VO")
        return [tuple(self.name(c, v) for c, v in zip(columns, row)) for row in self._rows(query("disciplines"))]

    def entities(self) -> dict[str, frozenset[str]]:
        """Names that have a page, per kind of each view (so that pages of one entity in
        different views can link to each other)."""
        out = {}
        for cube, prefix in ENTITY_CUBES:
            for kind_id, column in ENTITY_COLUMNS:
                names = self._rows(query("entity_names").format(column=column, cube=cube)) \
                    if self.has_cube(cube) else []
                out[prefix + kind_id] = frozenset(self.name(column, n) for (n,) in names)
        return out

    def sums(self, scope: str | None, row: str, column: str, cube: str, family: str, first: int, last: int,
             vo_group: str, infra: str, where: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> dict:
        """{scope: {row: {column: sums}}} of one kind of table, every entity at once; `where`
        keeps the rows whose column has one of the values."""
        self._checked(scope, row, cube, *(c for c, _ in where))
        name = "report" if family == "htc" else "family_report"
        params = {"vo_group": vo_group, "infra_filter": infra, "first": first, "last": last}
        kept = ""
        for i, (col, values) in enumerate(where):
            params[f"where{i}"] = list(values)
            kept += f" AND list_contains($where{i}, {col})"
        sql = query(name).format(scope=scope or "'EGI'", row=row, family=family, where=kept,
                                 column=COLUMN_EXPR.get(column, column), cube=cube)
        out: dict = defaultdict(lambda: defaultdict(dict))
        for scope_key, row_key, col, *s in self._rows(sql, params):
            out[self.name(scope, scope_key)][self.name(row, row_key)][self.name(column, col)] = tuple(s)
        return out

    def activity(self, vo_group: str, infra: str) -> dict[tuple[str, str], tuple]:
        return {(r[0], r[1]): r[2:] for r in self._rows(query("activity"), {"vo_group": vo_group,
                                                                             "infra_filter": infra})}

    def pledge_years(self, last: int) -> list[int]:
        if not self.has_cube("wlcg_pledges"):
            return []
        return [y for (y,) in self._rows(query("pledge_years"), {"last": last})]

    def pledges(self, year: int) -> list[dict]:
        """One year of wlcg_pledges, a dict per tier, federation, experiment and month."""
        return self._dicts(query("pledges"), {"year": year})

    def report_figures(self, year: int, month: int) -> pa.Table:
        """One month's figures behind the WLCG reports (report_figures.sql), as Arrow."""
        try:
            return self.con.sql(query("report_figures"), params={"year": year, "month": month}).to_arrow_table()
        except duck.Error as e:
            raise SiteError(f"cannot read the cubes in {self.cubes_dir}: {e}") from None

    def storage_monthly(self, scope: str | None, row: str, measure: str) -> dict:
        """{scope: {row: {month: value}}} of one storage measure, every entity at once."""
        self._checked(scope, row)
        out: dict = defaultdict(lambda: defaultdict(dict))
        for scope_key, key, month, value in self._rows(query("storage").format(scope=scope or "'EGI'", row=row,
                                                                                 measure=measure)):
            out[self.name(scope, scope_key)][self.name(row, key)][month] = value
        return out

    def records(self, cube: str) -> list[dict]:
        """A whole (small) cube as dicts: the findings."""
        self._checked(cube)
        return self._dicts(query("cube_rows").format(cube=cube))

    def write_csv(self, cube: str, dest: Path) -> None:
        """The cube as CSV, its text cells neutralised (cube_csv.sql); numbers as they are."""
        self._checked(cube)
        schema = pq.read_schema(self.cubes_dir / f"{cube}.parquet")
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        sql = query("cube_csv").format(cube=cube, text_columns=", ".join(
            f'csv_text({_ident(c)}) AS {_ident(c)}' for c in text)) if text else query("cube_rows").format(cube=cube)
        try:
            duck.copy_to(self.con, sql, dest, "HEADER, DELIMITER ','")
        except duck.Error as e:
            raise SiteError(f"cannot copy cube {self.cubes_dir / cube}.parquet to CSV: {e}") from None


def _ident(column: str) -> str:
    """A column name of a cube's own schema as a quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'
