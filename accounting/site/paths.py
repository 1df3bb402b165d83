"""URL paths of the site and the one rule that turns entity names into path segments.

Entity names keep their spelling. Every character outside ``A-Z a-z 0-9 . _ -`` (and a
leading dot) is written as ``~`` followed by its UTF-8 bytes in two upper-case hex
digits, e.g. ``United Kingdom`` → ``United~20Kingdom``, ``~`` → ``~7E``. The result is a
valid file name and URL segment that needs no further escaping, and `decode` inverts it.

File systems take at most 255 bytes per name, and the writer adds suffixes to a page's
files, so a segment longer than `MAX_SEGMENT` bytes (a 255-character name, 43 Cyrillic
letters) is shortened: the encoding of the name's first characters (whole characters,
so whole escapes), `SHORT_MARK`, and `HASH_DIGITS` hex digits of the SHA-256 of the whole
name. The plain rule never writes ``~~`` (a ``~`` is always followed by two hex digits),
so a shortened segment can never be that of another name; `shortened` lists them for the
site's ``data/paths.json``, through which `decode` finds the name again.

A value the source leaves absent (`Absent`, e.g. the NGI of a site missing from topology)
has the segment ``~-`` + its label's encoding: no name encodes to ``~-``, so a real
entity that happens to carry the label's text keeps a page of its own.
"""

from __future__ import annotations

import hashlib
import re

_SAFE = re.compile(r"[A-Za-z0-9._-]")
_ESCAPE = re.compile(r"~([0-9A-F]{2})")
MAX_SEGMENT = 200  # bytes; leaves room for "index.html.br" and the writer's ".tmp-PID-THREAD"
SHORT_MARK = "~~"
HASH_DIGITS = 10
ABSENT_MARK = "~-"


class Absent(str):
    """The label of a value the source left absent ('unknown NGI'): shown as its text, but
    never equal to (nor in a dict or set the same key as) a real name of the same text."""

    __slots__ = ()

    def __eq__(self, other):
        return type(other) is Absent and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((Absent, str(self)))

    def __reduce__(self):  # workers get the same kind of key back
        return Absent, (str(self),)


def _char(i: int, ch: str) -> str:
    if _SAFE.fullmatch(ch) and not (i == 0 and ch == "."):
        return ch
    return "".join(f"~{b:02X}" for b in ch.encode("utf-8"))


def _plain(name: str) -> str:
    return "".join(_char(i, ch) for i, ch in enumerate(name)) or "~"


def encode(name: str) -> str:
    if isinstance(name, Absent):
        return ABSENT_MARK + _plain(name)
    seg = _plain(name)
    if len(seg) <= MAX_SEGMENT:
        return seg
    room = MAX_SEGMENT - len(SHORT_MARK) - HASH_DIGITS
    prefix = []
    for i, ch in enumerate(name):
        piece = _char(i, ch)
        room -= len(piece)
        if room < 0:
            break
        prefix.append(piece)
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:HASH_DIGITS]
    return "".join(prefix) + SHORT_MARK + digest


def is_short(segment: str) -> bool:
    return SHORT_MARK in segment


def shortened(names) -> dict[str, str]:
    """{segment: name} of the names whose segment is shortened (data/paths.json)."""
    out: dict[str, str] = {}
    for name in names:
        seg = encode(name)
        if is_short(seg):
            if out.setdefault(seg, name) != name:  # 40 bits of SHA-256 and the same prefix
                raise ValueError(f"two names shorten to the same path segment {seg}")
    return dict(sorted(out.items()))


def decode(segment: str, short: dict[str, str] | None = None) -> str:
    """The name of a segment; a shortened one is looked up in `short` (data/paths.json)."""
    if is_short(segment):
        if short is None or segment not in short:
            raise KeyError(f"shortened path segment {segment} is not in the mapping")
        return short[segment]
    if segment.startswith(ABSENT_MARK):
        return Absent(decode(segment.removeprefix(ABSENT_MARK)))
    if segment == "~":
        return ""
    raw = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(segment):
        raw += segment[pos:m.start()].encode("ascii")
        raw.append(int(m.group(1), 16))
        pos = m.end()
    raw += segment[pos:].encode("ascii")
    return raw.decode("utf-8")


def relative(from_dir: str, to: str) -> str:
    """Link from page directory `from_dir` ('' = root, 'egi/ngi/X/') to site path `to`."""
    depth = from_dir.count("/")
    return "../" * depth + to if (depth or to) else "./"
