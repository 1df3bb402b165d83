"""URL paths of the site and the one rule that turns entity names into path segments.

Entity names keep their spelling. Every character outside ``A-Z a-z 0-9 . _ -`` (and a
leading dot) is written as ``~`` followed by its UTF-8 bytes in two upper-case hex
digits, e.g. ``United Kingdom`` → ``United~20Kingdom``, ``~`` → ``~7E``. The result is a
valid file name and URL segment that needs no further escaping, and `decode` inverts it.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9._-]")
_ESCAPE = re.compile(r"~([0-9A-F]{2})")


def encode(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if _SAFE.fullmatch(ch) and not (i == 0 and ch == "."):
            out.append(ch)
        else:
            out.extend(f"~{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out) or "~"


def decode(segment: str) -> str:
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
