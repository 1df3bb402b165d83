"""The whole monthly dataset (/csv and /json), as the 2026 successor portal (PEAR) offers
it: its tags and fields (cubes/queries/dump.sql says which and in what units), streamed from
the release's cubes batch by batch, so an answer of any size is never held in memory.

The JSON is InfluxDB's query-answer envelope, in which PEAR's data is read:
`{"results": [{"statement_id": 0, "series": [{"name": "accounting", "columns": [...],
"values": [[...], ...]}]}]}`; the CSV has the same columns, one line per row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from accounting import duck
from accounting.locations import PAGE_QUERIES
from accounting.site.explore import ident
from accounting.site.report import csv_text

BATCH_ROWS = 8192
SERIES = "accounting"


def _sql(release) -> str:
    fams = release.queries["families"]
    return duck.sql(PAGE_QUERIES / "dump.sql").format(htc=ident(fams["htc"]["cube"]),
                                                      cloud=ident(fams["cloud"]["cube"]))


def _batches(release) -> tuple[list[str], Iterator[list[tuple]]]:
    cur = release.cursor()
    cur.execute(_sql(release))
    columns = [d[0] for d in cur.description]

    def rows():
        try:
            while batch := cur.fetchmany(BATCH_ROWS):
                yield batch
        finally:
            cur.close()

    return columns, rows()


def csv_stream(release) -> Iterator[bytes]:
    columns, batches = _batches(release)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    yield buf.getvalue().encode()
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        w.writerows([csv_text(v) if isinstance(v, str) else ("" if v is None else v) for v in row] for row in batch)
        yield buf.getvalue().encode()


def json_stream(release) -> Iterator[bytes]:
    columns, batches = _batches(release)
    yield (f'{{"results":[{{"statement_id":0,"series":[{{"name":{json.dumps(SERIES)},'
           f'"columns":{json.dumps(columns)},"values":[').encode()
    first = True
    for batch in batches:
        text = ",".join(json.dumps(list(row), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
                        for row in batch)
        yield (text if first else "," + text).encode()
        first = False
    yield b"]}]}]}\n"
