"""The names behind a summary's ids, watched between exports.

A summary names its site, VO or user by an id into a lookup table. Renaming a site there
changes the name of every month's rows without changing a summary, so a nightly export
that compares row counts and update times would keep the old name in the months it does
not re-read: the old and new names would both carry data. Each export keeps a checksum of
every lookup table (export/lookup_names.sql) and re-reads all months of a dataset whose
lookup names changed.
"""

from __future__ import annotations

from collections.abc import Callable

from accounting.locations import EXPORT_SQL


def changed(execute: Callable, cur, tables: tuple[str, ...], known: dict | None) -> tuple[list[str], dict]:
    """(the tables whose names changed since `known`, the checksums to keep for the next
    run). `known` None: no checksums yet (a first export, or one by an older version):
    nothing is reported, the caller reads everything anyway."""
    sql = (EXPORT_SQL / "lookup_names.sql").read_text()
    changes, kept = [], {}
    for table in tables:
        last = (known or {}).get(table, {})
        execute(cur, sql.format(table=f"`{table}`"), {"max_id": last.get("max_id")}, table)
        ((max_id, known_sum, all_sum),) = cur.fetchall()  # all: a streaming cursor must read to the end
        if known is not None and (table not in known or str(known_sum) != last["sum"]):
            changes.append(table)
        kept[table] = {"max_id": max_id, "sum": str(all_sum)}
    return changes, kept
