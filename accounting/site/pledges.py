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
    """One row of the pledge tables: its labels (the levels' values, then the experiment;
    ALL in a group row) and its months' sums (flows) and values (stocks)."""

    labels: tuple[str, ...]
    months: dict[int, dict[str, float | None]] = field(default_factory=lambda: defaultdict(dict))

    @property
    def experiment(self) -> str:
        return self.labels[-1]

    @property
    def summary(self) -> bool:
        return ALL in self.labels

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
    done: list[int]  # the months compared: the year's up to the last complete one, or one month
    levels: tuple[str, ...]  # the cube columns the rows are grouped by, before the experiment
    groups: list[Group]  # each level's rows with their experiments, group rows after their members

    @property
    def last(self) -> int | None:
        return self.done[-1] if self.done else None


def shape(year: int, rows: list[dict], months: list[int], levels: tuple[str, ...] = ("Tier", "Federation"),
          keep=lambda row: True) -> Year:
    """rows: pledges.sql's, one per tier, country, federation, experiment and month; the
    groups of `levels` (each level with its experiments, then summed over the experiments,
    then over the levels below), the rows `keep` accepts."""
    keyed: dict[tuple, Group] = {}
    for r in rows:
        if not keep(r):
            continue
        values = tuple(r[c] or f"unknown {c.lower()}" for c in levels)
        for depth in range(len(levels), -1, -1):
            prefix = values[:depth] + (ALL,) * (len(levels) - depth)
            for exp in (r["Experiment"], ALL):
                key = prefix + (exp,)
                keyed.setdefault(key, Group(key)).add(r["Month"], r)
    order = sorted(keyed, key=lambda k: tuple(x for label in k for x in (label == ALL, label)))
    return Year(year, list(months), levels, [keyed[k] for k in order])


def cpu_row(g: Group, y: Year, whole: bool = True) -> list:
    """Work delivered (HS23 h: grid, local, total), pledged in the months compared, the %,
    (with `whole`: the whole year's pledge and its %), and the CPU efficiency."""
    work = g.flow("work_s", y.done) / HOUR
    pledged = g.flow("pledge_work_s", y.done) / HOUR
    year = g.flow("pledge_work_s", range(1, 13)) / HOUR
    eff = percent(g.flow("cpu_s", y.done), g.flow("wall_proc_s", y.done))
    return [*g.labels, g.flow("work_grid_s", y.done) / HOUR, g.flow("work_local_s", y.done) / HOUR, work, pledged,
            percent(work, pledged), *((year, percent(work, year)) if whole else ()), eff]


def cpu_header(levels: tuple[str, ...], whole: bool = True) -> list[str]:
    so_far = ("Pledge, months so far (HS23 h)", "% of pledge so far") if whole else ("Pledge (HS23 h)", "% of pledge")
    return [*levels, "Experiment", "Work, grid (HS23 h)", "Work, local (HS23 h)", "Work, total (HS23 h)", *so_far,
            *(("Pledge, whole year (HS23 h)", "% of whole-year pledge") if whole else ()), "CPU efficiency (%)"]


def cpu_percent(levels: tuple[str, ...], whole: bool = True) -> tuple[int, ...]:
    """The columns of percentages of pledge (colour-coded)."""
    first = len(levels) + 5
    return (first, first + 2) if whole else (first,)


def monthly_row(g: Group, y: Year) -> list:
    """% of each month's CPU pledge delivered, the months so far and the whole year's."""
    cells = [percent(g.flow("work_s", [m]), g.flow("pledge_work_s", [m])) for m in y.done]
    work = g.flow("work_s", y.done)
    return [*g.labels[:-1], *cells, percent(work, g.flow("pledge_work_s", y.done)),
            percent(work, g.flow("pledge_work_s", range(1, 13)))]


def storage_row(g: Group, y: Year, media: str) -> list:
    """Used in the last month and on average (TB), the pledge (TB), and the % of each."""
    used_key, pledge_key = f"{media}_b", f"pledge_{media}_b"
    last = g.stock_at(used_key, y.last) if y.last else None
    mean = g.stock_mean(used_key, y.done)
    pledge = g.stock_at(pledge_key, y.last) if y.last else None
    tb = (lambda v: None if v is None else v / TB)  # noqa: E731
    return [*g.labels, tb(last), tb(mean), tb(pledge), percent(last, pledge), percent(mean, pledge)]


def storage_header(levels: tuple[str, ...], media: str, last_label: str) -> list[str]:
    return [*levels, "Experiment", f"{media.capitalize()} used, {last_label} (TB)",
            f"{media.capitalize()} used, mean of the months (TB)", "Pledge (TB)", f"% of pledge, {last_label}",
            "% of pledge, mean"]


def storage_percent(levels: tuple[str, ...]) -> tuple[int, ...]:
    return (len(levels) + 4, len(levels) + 5)


def has_storage(g: Group, media: str) -> bool:
    return any(m.get(f"{media}_b") is not None or m.get(f"pledge_{media}_b") for m in g.months.values())


def shares(y: Year) -> tuple[list[str], list[list]]:
    """Each first-level row's share (%) of every experiment's work in the months compared
    (the experiment summary), with the experiments' totals (HS23 h) last."""
    n = len(y.levels)
    experiments = sorted({g.experiment for g in y.groups if g.experiment != ALL})
    totals = {g.experiment: g.flow("work_s", y.done) for g in y.groups if g.labels[:n] == (ALL,) * n}
    firsts = [g for g in y.groups if g.labels[0] != ALL and g.labels[1:] == (ALL,) * n]
    rows = [[g.labels[0], *(percent(next((h.flow("work_s", y.done) for h in y.groups
                                         if h.labels == (g.labels[0], *(ALL,) * (n - 1), e)), 0.0), totals.get(e))
                              for e in [*experiments, ALL])] for g in firsts]
    rows.append(["Work (HS23 h)", *(totals.get(e, 0.0) / HOUR for e in [*experiments, ALL])])
    return [y.levels[0], *experiments, "All experiments"], rows


def kind(g: Group) -> str:
    """A row's row_kind in the downloads: an experiment's row is data, the others sums."""
    return "total" if g.summary else "entity"
