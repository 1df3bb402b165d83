"""The one rule that turns entity names into path segments, and back."""

import re

import pytest

from accounting.site.paths import decode, encode, relative

NAMES = ["NGI_UK", "United Kingdom", "vo.access.egi.eu", "a/b", "~tilde", ".hidden", "..", "",
         "Ünïcödé site", "100%", "x?y#z", "T3_US_NotreDame", "ce01.example.org:9619/ce01-condor"]


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_and_safe(name):
    seg = encode(name)
    assert decode(seg) == name
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", seg)
    assert seg not in (".", "..") and not seg.startswith(".")


def test_distinct_names_distinct_segments():
    assert len({encode(n) for n in NAMES}) == len(NAMES)


def test_examples_from_the_help_page():
    assert encode("United Kingdom") == "United~20Kingdom"
    assert encode("~") == "~7E"


def test_relative_links():
    assert relative("", "egi/") == "egi/"
    assert relative("egi/ngi/X/", "egi/site/Y/") == "../../../egi/site/Y/"
    assert relative("egi/", "") == "../"
    assert relative("", "") == "./"
