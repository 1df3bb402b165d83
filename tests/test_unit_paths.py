"""The one rule that turns entity names into path segments, and back, and the relative
links between pages (accounting/site/paths.py)."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, unquote

import pytest

from accounting.site.paths import decode, encode, relative

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
        assert decode(encode(name)) == name
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
