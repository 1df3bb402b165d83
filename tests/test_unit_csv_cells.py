"""CSV formula injection (issue 14): text cells a spreadsheet would run as a formula get a
leading quote, in the CSV the site writes in Python (report.csv_text) and in the cube CSV
that DuckDB writes (cubes/macros.sql csv_text); numbers never do."""

from __future__ import annotations

import csv
import io

import pytest

from accounting import duck
from accounting.site.report import csv_text, records_csv
from hostile_names import unquote

# OWASP's list: = + - @, tab and carriage return first.
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx", "=", "-"]
HARMLESS = ["atlas", "a=b", "x-1", " =x", "", "'quoted", "Total", "ünï=", "😀@"]
QUOTED = ["'=x", "''+x", "'-"]  # already quoted: one more, so that one quote off gives them back


def test_hostile_text_gets_a_quote_and_harmless_text_is_left():
    for text in HOSTILE + QUOTED:
        assert csv_text(text) == "'" + text
    for text in HARMLESS:
        assert csv_text(text) == text


@pytest.mark.parametrize("text", HOSTILE + HARMLESS + QUOTED)
def test_one_quote_off_gives_the_text_back(text):
    """What static/site.js does before a chart shows a label: strip one ' before a quote
    run that ends in a formula character."""
    assert unquote(csv_text(text)) == text


def test_duckdb_macro_is_the_same_rule():
    con = duck.connect()
    for text in HOSTILE + HARMLESS + QUOTED:
        assert con.execute("SELECT csv_text($t)", {"t": text}).fetchone()[0] == csv_text(text), text
    assert con.execute("SELECT csv_text(NULL)").fetchone()[0] is None


def test_records_csv_neutralises_text_cells_not_numbers():
    header = ["VO", "=2024", "Total"]
    records = [['=HYPERLINK("http://x","y")', -3.5, -2], ["@SUM(1)", None, 0], ["Total", -1.25, -2]]
    rows = list(csv.reader(io.StringIO(records_csv(header, records, ["entity", "entity", "total"]).decode())))
    assert rows[0] == ["VO", "'=2024", "Total", "row_kind"]
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"y\")", "-3.5", "-2", "entity"]  # negative numbers stay numbers
    assert rows[2] == ["'@SUM(1)", "", "0", "entity"]
    assert rows[3] == ["Total", "-1.25", "-2", "total"]


@pytest.mark.parametrize("name", ["a\rb", "c\nd", "e\r\nf", 'g"h,i'])
def test_a_line_break_inside_a_name_keeps_its_row_whole(name):
    data = records_csv(["Site", "2025"], [[name, 1.5], ["next", 2.0]], ["entity", "entity"]).decode()
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert rows == [["Site", "2025", "row_kind"], [name, "1.5", "entity"], ["next", "2.0", "entity"]]
