"""WLCG usage against pledge, shaped for the /wlcg/pledges/ pages from one year's rows of
the wlcg_pledges cube (cubes/queries/pledges.sql).

CPU work and its pledge are flows: a period's values are sums over its months. Disk and
tape are stocks: a period's value is the mean of its months that have storage records
(never a sum), next to the last month's. A group (a federation's experiments, a tier, all
of WLCG) adds its members' values month by month first. A percentage is None ("n/a") where
the pledge is 0 or absent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

HOUR, TB = 3600, 1e12
ALL = "all"  # the label of a group row's federation or experiment
FLOWS = ("work_grid_s", "work_local_s", "work_s", "cpu_s", "wall_proc_s", "pledge_work_s")
STOCKS = ("disk_b", "pledge_disk_b", "tape_b", "pledge_tape_b")
LOW, HIGH = 50, 90  # below LOW % red, above HIGH % green (the WLCG reports' colour code)


def percent(value: float | None, pledge: float | None) -> float | None:
    return None if not pledge or value is None else 100 * value / pledge


def band(pct: float | None) -> str:
    """The colour class of a percentage of pledge: 'low', 'high', '' or 'na'."""
    if pct is None:
        return "na"
    return "low" if pct < LOW else "high" if pct > HIGH else ""


@dataclass
class Group:
    """One row of the pledge tables: its months' sums (flows) and values (stocks)."""

    tier: str
    federation: str
    experiment: str
    months: dict[int, dict[str, float | None]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, month: int, values: dict) -> None:
        m = self.months[month]
        for k in FLOWS:
            m[k] = m.get(k, 0.0) + float(values[k] or 0)
        for k in STOCKS:
            if values[k] is not None:
                m[k] = (m.get(k) or 0.0) + float(values[k])
            else:
                m.setdefault(k, None)

    def flow(self, key: str, months) -> float:
        return sum(self.months[m].get(key, 0.0) for m in months if m in self.months)

    def stock_mean(self, key: str, months) -> float | None:
        values = [self.months[m][key] for m in months if m in self.months and self.months[m].get(key) is not None]
        return sum(values) / len(values) if values else None

    def stock_at(self, key: str, month: int) -> float | None:
        return self.months.get(month, {}).get(key)


@dataclass
class Year:
    year: int
    done: list[int]  # its months up to the last complete one
    groups: list[Group]  # experiment rows, then each federation's, each tier's, and the total

    @property
    def last(self) -> int | None:
        return self.done[-1] if self.done else None


def shape(year: int, rows: list[dict], last_month: int) -> Year:
    """rows: pledges.sql's, one per tier, federation, experiment and month."""
    done = list(range(1, last_month + 1))
    keyed: dict[tuple, Group] = {}

    def group(tier, fed, exp) -> Group:
        return keyed.setdefault((tier, fed, exp), Group(tier, fed, exp))

    for r in rows:
        tier = r["Tier"] or "unknown tier"
        for key in ((tier, r["Federation"], r["Experiment"]), (tier, r["Federation"], ALL), (tier, ALL, ALL),
                    (ALL, ALL, ALL)):
            group(*key).add(r["Month"], r)
    order = sorted(keyed, key=lambda k: (k[0] == ALL, k[0], k[1] == ALL, k[1], k[2] == ALL, k[2]))
    return Year(year, done, [keyed[k] for k in order])


def cpu_row(g: Group, y: Year) -> list:
    """Work delivered (HS23 h: grid, local, total), pledged (the months so far, the whole
    year), the % of each, and the CPU efficiency, for one group of one year."""
    work = g.flow("work_s", y.done) / HOUR
    pledged = g.flow("pledge_work_s", y.done) / HOUR
    whole = g.flow("pledge_work_s", range(1, 13)) / HOUR
    eff = percent(g.flow("cpu_s", y.done), g.flow("wall_proc_s", y.done))
    return [g.tier, g.federation, g.experiment, g.flow("work_grid_s", y.done) / HOUR,
            g.flow("work_local_s", y.done) / HOUR, work, pledged, percent(work, pledged), whole,
            percent(work, whole), eff]


CPU_HEADER = ["Tier", "Federation", "Experiment", "Work, grid (HS23 h)", "Work, local (HS23 h)",
              "Work, total (HS23 h)", "Pledge, months so far (HS23 h)", "% of pledge so far",
              "Pledge, whole year (HS23 h)", "% of whole-year pledge", "CPU efficiency (%)"]
CPU_PERCENT = (7, 9)  # the columns of percentages of pledge (colour-coded)


def monthly_row(g: Group, y: Year) -> list:
    """% of each month's CPU pledge delivered, the months so far and the whole year's."""
    cells = [percent(g.flow("work_s", [m]), g.flow("pledge_work_s", [m])) for m in y.done]
    work = g.flow("work_s", y.done)
    return [g.tier, g.federation, *cells, percent(work, g.flow("pledge_work_s", y.done)),
            percent(work, g.flow("pledge_work_s", range(1, 13)))]


def storage_row(g: Group, y: Year, media: str) -> list:
    """Used in the last month and on average (TB), the pledge (TB), and the % of each."""
    used_key, pledge_key = f"{media}_b", f"pledge_{media}_b"
    last = g.stock_at(used_key, y.last) if y.last else None
    mean = g.stock_mean(used_key, y.done)
    pledge = g.stock_at(pledge_key, y.last) if y.last else None
    tb = (lambda v: None if v is None else v / TB)  # noqa: E731
    return [g.tier, g.federation, g.experiment, tb(last), tb(mean), tb(pledge), percent(last, pledge),
            percent(mean, pledge)]


STORAGE_PERCENT = (6, 7)


def storage_header(media: str, last_label: str) -> list[str]:
    return ["Tier", "Federation", "Experiment", f"{media.capitalize()} used, {last_label} (TB)",
            f"{media.capitalize()} used, mean of the months (TB)", "Pledge (TB)", f"% of pledge, {last_label}",
            "% of pledge, mean"]


def has_storage(g: Group, media: str) -> bool:
    return any(m.get(f"{media}_b") is not None or m.get(f"pledge_{media}_b") for m in g.months.values())


def kind(g: Group) -> str:
    """A row's row_kind in the downloads: an experiment's row is data, the others sums."""
    return "entity" if g.experiment != ALL else "total"
