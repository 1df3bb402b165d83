"""The site's time frame (accounting/site/timeframe.py): derived from the data's as-of time,
the last complete month, the 12-month window, labels and period lengths. Expected values
come from datetime arithmetic here; no build is needed."""

from __future__ import annotations

import datetime as dt

import pytest

from accounting.site.timeframe import TimeFrame

UTC = dt.UTC
AS_OF = [dt.datetime(2025, 11, 24, 3, tzinfo=UTC), dt.datetime(2025, 1, 1, tzinfo=UTC),
         dt.datetime(2024, 3, 31, 23, 59, tzinfo=UTC), dt.datetime(2024, 12, 31, tzinfo=UTC),
         dt.datetime(2000, 2, 15)]


def previous_month(t: dt.datetime) -> tuple[int, int]:
    first = t.date().replace(day=1) - dt.timedelta(days=1)  # the last day of the month before
    return first.year, first.month


def month_seconds(y: int, m: int) -> int:
    nxt = dt.date(y + m // 12, m % 12 + 1, 1)
    return (nxt - dt.date(y, m, 1)).days * 86400


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_last_complete_month_is_the_month_before_the_as_of(as_of):
    f = TimeFrame.from_as_of(as_of)
    assert f.as_of == as_of
    assert (f.last_year, f.last_month) == previous_month(as_of)
    assert f.last == f.last_year * 100 + f.last_month


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
@pytest.mark.parametrize("n", [1, 2, 12, 30])
def test_recent_months_are_consecutive_and_end_with_the_last_complete_month(as_of, n):
    f = TimeFrame.from_as_of(as_of)
    months = f.recent_months(n)
    assert len(months) == n and months[-1] == (f.last_year, f.last_month)
    index = [y * 12 + m - 1 for y, m in months]
    assert index == list(range(index[-1] - n + 1, index[-1] + 1))
    assert all(1 <= m <= 12 for _, m in months)


def test_the_window_is_twelve_months():
    f = TimeFrame.from_as_of(dt.datetime(2025, 3, 5, tzinfo=UTC))
    assert f.recent_months() == [(2024, m) for m in range(3, 13)] + [(2025, 1), (2025, 2)]
    assert f.window_first == 202403


def test_keys_and_labels():
    f = TimeFrame.from_as_of(dt.datetime(2025, 11, 24, tzinfo=UTC))
    assert TimeFrame.month_key(2025, 3) == "2025-03" and TimeFrame.month_key(999, 12) == "0999-12"
    assert f.month_label(2025, 3) == "Mar 2025"
    assert f.last_month_label == "October 2025"
    # The last year is partial: its label says up to which month.
    assert f.year_label(2025) == "2025 (Jan–Oct)"
    assert f.year_label(2024) == "2024"


def test_a_year_ending_in_december_is_complete():
    f = TimeFrame.from_as_of(dt.datetime(2025, 1, 10, tzinfo=UTC))
    assert (f.last_year, f.last_month) == (2024, 12)
    assert f.year_label(2024) == "2024"


@pytest.mark.parametrize("key", ["2024-02", "2023-02", "1900-02", "2000-02", "2025-12", "2025-04", "2025-01"])
def test_a_month_lasts_its_days(key):
    f = TimeFrame.from_as_of(dt.datetime(2025, 11, 24, tzinfo=UTC))
    assert f.seconds(key) == month_seconds(int(key[:4]), int(key[5:]))


def test_a_year_lasts_up_to_the_last_complete_month():
    f = TimeFrame.from_as_of(dt.datetime(2024, 4, 2, tzinfo=UTC))  # last complete month: March 2024
    assert f.seconds("2024") == (dt.date(2024, 4, 1) - dt.date(2024, 1, 1)).days * 86400
    assert f.seconds("2023") == 365 * 86400
    assert f.seconds("2020") == 366 * 86400
    assert f.seconds("2024") == sum(month_seconds(2024, m) for m in (1, 2, 3))


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_period_lengths_in_months(as_of):
    f = TimeFrame.from_as_of(as_of)
    y, m = previous_month(as_of)
    assert f.months(f"{y:04d}-{m:02d}") == f.length(f"{y:04d}-{m:02d}", "month") == 1
    assert f.months(str(y)) == m  # the current year: its complete months only
    assert f.months(str(y - 1)) == 12
    assert f.length(str(y - 1), "second") == f.seconds(str(y - 1)) == sum(month_seconds(y - 1, k)
                                                                           for k in range(1, 13))
