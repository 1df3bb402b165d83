"""The site's time frame, derived from the data (never the wall clock) so builds repeat."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimeFrame:
    as_of: datetime  # latest update in the source
    last_year: int
    last_month: int  # the last complete month is (last_year, last_month)

    @classmethod
    def from_as_of(cls, as_of: datetime) -> TimeFrame:
        y, m = as_of.year, as_of.month - 1
        if m == 0:
            y, m = y - 1, 12
        return cls(as_of, y, m)

    @property
    def last(self) -> int:
        """Last complete month as YYYYMM."""
        return self.last_year * 100 + self.last_month

    def recent_months(self, n: int = 12) -> list[tuple[int, int]]:
        out, y, m = [], self.last_year, self.last_month
        for _ in range(n):
            out.append((y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        return out[::-1]

    @property
    def window_first(self) -> int:
        y, m = self.recent_months()[0]
        return y * 100 + m

    @staticmethod
    def month_key(y: int, m: int) -> str:
        return f"{y:04d}-{m:02d}"

    @staticmethod
    def month_label(y: int, m: int) -> str:
        return f"{calendar.month_abbr[m]} {y}"

    def year_label(self, y: int) -> str:
        if y == self.last_year and self.last_month < 12:
            return f"{y} (Jan–{calendar.month_abbr[self.last_month]})"
        return str(y)

    def seconds(self, key: str) -> int:
        """Length of a period of the site: a month 'YYYY-MM', or a year 'YYYY' up to the
        last complete month."""
        if len(key) == 7:
            y, m = int(key[:4]), int(key[5:])
            return calendar.monthrange(y, m)[1] * 86400
        y = int(key)
        months = self.last_month if y == self.last_year else 12
        return sum(calendar.monthrange(y, m)[1] for m in range(1, months + 1)) * 86400

    def months(self, key: str) -> int:
        """Number of months of a period: 1 for a month, a year's up to the last complete month."""
        if len(key) == 7:
            return 1
        return self.last_month if int(key) == self.last_year else 12

    def length(self, key: str, unit: str) -> int:
        """A period's length in a per-period metric's unit ('second' or 'month')."""
        return self.months(key) if unit == "month" else self.seconds(key)

    @property
    def last_month_label(self) -> str:
        return f"{calendar.month_name[self.last_month]} {self.last_year}"
