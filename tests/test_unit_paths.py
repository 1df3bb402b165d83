"""The one rule that turns entity names into path segments, and back, and the relative
links between pages (accounting/site/paths.py)."""

from __future__ import annotations

import hashlib
import pickle
import posixpath
import re
from urllib.parse import quote, unquote

import pytest

from accounting.site.paths import (
    ABSENT_MARK,
    MAX_SEGMENT,
    SHORT_MARK,
    Absent,
    decode,
    encode,
    relative,
    shortened,
)

NAMES = ["NGI_UK", "United Kingdom", "vo.access.egi.eu", "a/b", "~tilde", ".hidden", "..", ".", "",
         "Ünïcödé site", "100%", "x?y#z", "T3_US_NotreDame", "ce01.example.org:9619/ce01-condor",
         "~", "~7E", "~20", "a~b", "tab\there", "new\nline", "back\\slash", "NULL", "☃ snow", "😀",
         "e\u0301", "\u00e9", "CON", "a.", "a..b", "-dash", "_under", "x" * 200, "&<>\"'", "%41", "+plus"]
SAFE = re.compile(r"[A-Za-z0-9._~-]+")


def oracle(name: str) -> str:
    """The rule of the help page, restated with the standard library: percent-encoding of
    the UTF-8 bytes (upper-case hex) with `~` for `%`, leaving only A-Z a-z 0-9 . _ - as
    they are, and a leading dot escaped too."""
    if not name:
        return "~"
    head = "~2E" if name[0] == "." else ""
    body = name[1:] if head else name
    return head + quote(body, safe="").replace("~", "%7E").replace("%", "~")


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_and_safe(name):
    seg = encode(name)
    assert decode(seg) == name
    assert SAFE.fullmatch(seg)
    assert seg not in (".", "..") and not seg.startswith(".")
    assert "/" not in seg


@pytest.mark.parametrize("name", NAMES)
def test_encoding_is_the_documented_rule(name):
    seg = encode(name)
    assert seg == oracle(name)
    if name:
        assert unquote(seg.replace("~", "%")) == name  # escapes are UTF-8 bytes in hex


def test_every_character_of_the_first_planes_round_trips():
    for start in range(0, 0x3000, 64):  # ASCII controls to CJK punctuation, 64 at a time
        name = "".join(chr(c) for c in range(start, start + 64))
        assert decode(encode(name), shortened([name])) == name  # 64 two-byte characters are shortened
        assert SAFE.fullmatch(encode(name))


def test_safe_names_keep_their_spelling():
    for name in ("NGI_UK", "vo.access.egi.eu", "T3_US_NotreDame", "a-b.c_d", "ABCxyz019"):
        assert encode(name) == name


def test_distinct_names_distinct_segments():
    assert len({encode(n) for n in NAMES}) == len(set(NAMES))


def test_case_is_kept_so_segments_differ_by_case():
    assert encode("atlas") != encode("ATLAS")
    assert encode("Ä") != encode("ä")


def test_examples_from_the_help_page():
    assert encode("United Kingdom") == "United~20Kingdom"
    assert encode("~") == "~7E"
    assert encode("a/b ~c") == "a~2Fb~20~7Ec"


def test_decode_leaves_what_is_not_an_escape():
    # Only ~ and two upper-case hex digits are an escape.
    assert decode("a~zzb") == "a~zzb"
    assert decode("~41") == "A"


@pytest.mark.parametrize("from_dir,to,want", [
    ("", "egi/", "egi/"),
    ("egi/ngi/X/", "egi/site/Y/", "../../../egi/site/Y/"),
    ("egi/", "", "../"),
    ("", "", "./"),
    ("egi/ngi/X/", "", "../../../"),
    ("quality/", "egi/site/~28empty~20site~29/", "../egi/site/~28empty~20site~29/"),
    ("", "static/site.css", "static/site.css"),
])
def test_relative_links(from_dir, to, want):
    assert relative(from_dir, to) == want


@pytest.mark.parametrize("from_dir", ["", "egi/", "egi/ngi/NGI_UK/", "gpu/site/A~20B/gpu_count/"])
@pytest.mark.parametrize("to", ["", "egi/", "help/", "egi/site/SITE-A/cpueff/", "data/htc_monthly.csv"])
def test_relative_link_resolves_to_its_target(from_dir, to):
    """Followed from the page directory, the link lands on the target (as a browser does)."""
    link = relative(from_dir, to)
    landed = posixpath.normpath(posixpath.join("/site", from_dir, link))
    assert landed == posixpath.normpath(posixpath.join("/site", to))
    assert not link.startswith("/")  # relative: the site works under any prefix


# Names whose plain encoding is longer than a file name may be (issue 14): Latin at
# MariaDB's VARCHAR(255) limit, and the first lengths that no longer fit in other scripts.
LONG = {"latin 255": "s" * 200 + " site " * 9 + "x", "cyrillic 43": "Ж" * 43, "cjk 29": "漢" * 29,
        "emoji 22": "😀" * 22, "mixed 255": ("Ab Ж漢😀~" * 43)[:255], "leading dot": "." + "é" * 120}


@pytest.mark.parametrize("name", LONG.values(), ids=LONG.keys())
def test_a_long_name_gets_a_short_segment_that_the_mapping_turns_back(name):
    seg = encode(name)
    assert len(seg.encode()) <= MAX_SEGMENT < len(oracle(name))
    assert SAFE.fullmatch(seg) and not seg.startswith(".")
    assert seg.endswith(hashlib.sha256(name.encode()).hexdigest()[:10])
    # The readable prefix is the plain encoding of the name's first whole characters.
    prefix = seg.split(SHORT_MARK)[0]
    assert oracle(name).startswith(prefix) and decode(prefix) == name[:len(decode(prefix))]
    mapping = shortened([name, "NGI_UK"])
    assert mapping == {seg: name}
    assert decode(seg, mapping) == name
    with pytest.raises(KeyError):
        decode(seg)  # without the mapping a shortened segment names nothing


def test_names_that_fit_keep_their_encoding():
    """Pages of existing names keep their address: up to the limit, the plain rule."""
    for name in ("x" * MAX_SEGMENT, "Ж" * 33, "😀" * 16, *NAMES):
        assert encode(name) == oracle(name)
    assert len(encode("x" * MAX_SEGMENT)) == MAX_SEGMENT
    assert SHORT_MARK in encode("x" * (MAX_SEGMENT + 1))


def test_no_shortened_segment_is_the_segment_of_another_name():
    """The plain rule never writes ~~ (every ~ is followed by two hex digits), even for
    names made of tildes or looking like a shortened segment."""
    tricky = ["~~", "~", "~~0123456789", "a~~b", "~7E~7E", "~-x", *LONG.values(), *NAMES]
    for name in tricky:
        if len(oracle(name)) <= MAX_SEGMENT:
            assert SHORT_MARK not in encode(name) and not encode(name).startswith(ABSENT_MARK)
    long_segments = {encode(n) for n in LONG.values()}
    assert not long_segments & {encode(n) for n in tricky if n not in LONG.values()}
    # Same prefix, different ends: the hash tells them apart.
    a, b = "Ж" * 120 + "a", "Ж" * 120 + "b"
    assert encode(a) != encode(b) and encode(a).split(SHORT_MARK)[0] == encode(b).split(SHORT_MARK)[0]


def test_an_absent_value_has_its_own_key_and_segment():
    """'unknown NGI' for sites missing from topology is not the NGI called 'unknown NGI'."""
    absent, real = Absent("unknown NGI"), "unknown NGI"
    assert absent != real and real != absent and len({absent, real}) == 2
    assert {real: 1, absent: 2}[real] == 1
    assert encode(real) == "unknown~20NGI" and encode(absent) == "~-unknown~20NGI"
    assert decode(encode(absent)) == absent and isinstance(decode(encode(absent)), Absent)
    assert pickle.loads(pickle.dumps(absent)) == absent  # report pages render in worker processes
    assert str(absent) == real and sorted([absent, "a", "z"]) == ["a", absent, "z"]
