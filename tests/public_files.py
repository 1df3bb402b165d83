"""What a built public tree says, file by file, in the form a search for leaked text must
read it: precompressed siblings (.br, .gz) decompressed, Parquet files as the text of all
their values (their pages are compressed, so their bytes hide what they hold), every
other file as it is, and each file's path too (a name could become a page address)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import brotli
import pyarrow.parquet as pq


def _table(path: Path):
    # ParquetFile reads one file directly: pq.read_table goes through the dataset layer,
    # some four times slower per file, and a site has thousands of small Parquet files.
    return pq.ParquetFile(path).read(use_threads=False)


def readable(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".br":
        return brotli.decompress(data)
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".parquet":
        table = _table(path)
        return "\n".join(str(v) for column in table.columns for v in column.to_pylist()).encode()
    return data


def texts(root: Path) -> Iterator[tuple[Path, bytes]]:
    """(path, what it says) for every file under `root`, its relative path included."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix().encode() + b"\n" + readable(path)


def any_of(needles: Iterable[bytes]) -> re.Pattern[bytes]:
    """One pattern matching wherever any of `needles` occurs, shaped as their prefix tree:
    `needle in text` for each of some thousand needles over a whole site reads it a thousand
    times (minutes); a plain alternation of them is slower still, as the regex engine tries
    every branch at every position; a tree tries only the branches the text can still follow."""
    tree: dict = {}
    for needle in needles:
        assert needle, "an empty needle matches everywhere"
        node = tree
        for byte in needle:
            node = node.setdefault(byte, {})
        node[None] = {}  # a needle ends here (it may also go on into a longer one)

    def pattern(node: dict) -> bytes:
        branches = [re.escape(bytes([b])) + pattern(node[b]) for b in sorted(k for k in node if k is not None)]
        if not branches:
            return b""
        if None in node:
            return b"(?:" + b"|".join(branches) + b")?"
        return branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"

    return re.compile(pattern(tree))


def assert_nowhere(root: Path, needles) -> int:
    """Fail on the first of `needles` (bytes) that any file under `root` says (`texts`),
    naming it and the file; the number of files read otherwise."""
    found = any_of(needles)
    files = 0
    for path, text in texts(root):
        files += 1
        match = found.search(text)
        assert match is None, f"{match.group()!r} in {path}"
    return files


def parquet_text_values(root: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, column, value) of every text value of every Parquet file under `root`."""
    for path in sorted(root.rglob("*.parquet")):
        table = _table(path)
        for field, column in zip(table.schema, table.columns, strict=True):
            if str(field.type) in ("string", "large_string"):
                for value in set(column.to_pylist()) - {None}:
                    yield path, field.name, value
