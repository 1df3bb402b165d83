"""What a built public tree says, file by file, in the form a search for leaked text must
read it: precompressed siblings (.br, .gz) decompressed, Parquet files as the text of all
their values (their pages are compressed, so their bytes hide what they hold), every
other file as it is, and each file's path too (a name could become a page address)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import brotli
import pyarrow.parquet as pq


def readable(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".br":
        return brotli.decompress(data)
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return "\n".join(str(v) for column in table.columns for v in column.to_pylist()).encode()
    return data


def texts(root: Path) -> Iterator[tuple[Path, bytes]]:
    """(path, what it says) for every file under `root`, its relative path included."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix().encode() + b"\n" + readable(path)


def assert_nowhere(root: Path, needles) -> int:
    """Fail on the first of `needles` (bytes) that any file under `root` says (`texts`);
    the number of files read otherwise."""
    files = 0
    for path, text in texts(root):
        files += 1
        for needle in needles:
            assert needle not in text, f"{needle!r} in {path}"
    return files


def parquet_text_values(root: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, column, value) of every text value of every Parquet file under `root`."""
    for path in sorted(root.rglob("*.parquet")):
        table = pq.read_table(path)
        for field, column in zip(table.schema, table.columns, strict=True):
            if str(field.type) in ("string", "large_string"):
                for value in set(column.to_pylist()) - {None}:
                    yield path, field.name, value
