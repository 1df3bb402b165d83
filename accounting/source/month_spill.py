"""Rows arriving in any month order, regrouped by month with constant memory.

One scan of a whole table is far cheaper for the server than a statement per month (it
reads the table in key order once), but the key starts with the site, so the rows come
site by site with every month mixed in. Each batch is sorted by month here and its slices
appended to one Arrow IPC stream file per month in a scratch directory; `months()` then
gives each month back in parts. Memory holds a batch or a part, not the table or a month.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

PART_ROWS = 32 * 1024
SPILL_BUFFER = 64 * 1024  # per month being spilled: a few hundred months at most


def month_numbers(t: pa.Table) -> pa.Array:
    """Year × 10000 + Month of each row: a sortable month key that survives a month 13."""
    numbers = pc.add(pc.multiply(pc.cast(t["Year"], pa.int64()), 10_000), pc.cast(t["Month"], pa.int64()))
    return numbers.combine_chunks() if isinstance(numbers, pa.ChunkedArray) else numbers


class MonthSpill:
    def __init__(self, directory: Path, schema: pa.Schema):
        self.directory = Path(directory)
        self.schema = schema
        self.directory.mkdir(parents=True, exist_ok=True)
        self._writers: dict[int, ipc.RecordBatchStreamWriter] = {}
        self._months: list[int] = []
        self._sinks: list = []  # a writer does not close the stream it was given

    def _path(self, number: int) -> Path:
        return self.directory / f"{number}.arrows"

    def add(self, t: pa.Table) -> None:
        numbers = month_numbers(t)
        if not _sorted(numbers):
            order = pc.sort_indices(numbers)
            t, numbers = t.take(order), numbers.take(order)
        runs = pc.run_end_encode(numbers)
        start = 0
        for number, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
            writer = self._writers.get(number)
            if writer is None:
                self._months.append(number)
                # Buffered: a slice is often a few hundred rows, and one write call each is slow.
                sink = pa.output_stream(str(self._path(number)), buffer_size=SPILL_BUFFER)
                writer = self._writers[number] = ipc.new_stream(sink, self.schema)
                self._sinks.append(sink)
            writer.write_table(t.slice(start, end - start))
            start = end

    def months(self) -> list[int]:
        return sorted(self._months)

    def read(self, number: int, rows: int = PART_ROWS) -> Iterator[pa.Table]:
        """One month's rows (call after `close`) in contiguous parts of about `rows` rows:
        the Parquet writer is faster on them than on the hundreds of small slices the month
        was spilled in. The month's
        file is removed once read."""
        path = self._path(number)
        with pa.OSFile(str(path)) as source:  # read, not mapped: mapped pages count as memory
            pending, n = [], 0
            for batch in ipc.open_stream(source):
                pending.append(batch)
                n += batch.num_rows
                if n >= rows:
                    yield pa.Table.from_batches(pending).combine_chunks()
                    pending, n = [], 0
            if pending:
                yield pa.Table.from_batches(pending).combine_chunks()
        path.unlink()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        for sink in self._sinks:
            sink.close()
        self._writers, self._sinks = {}, []

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _sorted(numbers: pa.Array) -> bool:
    if len(numbers) < 2:
        return True
    return pc.all(pc.less_equal(numbers.slice(0, len(numbers) - 1), numbers.slice(1))).as_py()
