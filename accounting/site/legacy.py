"""The old portal's view addresses, opened in the explorer.

An old view URL (`/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/`) is read in the
browser by static/legacy.js, from the table this module writes into `explore/legacy.json`:
the old ids of the catalogue's `[legacy]` section turned into the explorer's URL parameters.
Apache redirects such a path to `/explore/?legacy=<path>` (site_templates/apache.conf.j2,
`prefixes`) when no file or directory of the site has it; on an object store the 404
page runs the same script, which forwards there. Nothing else spells the old ids.
"""

from __future__ import annotations

import re

from accounting import media
from accounting.catalogue import Catalogue
from accounting.site import explore

LEGACY_JSON = "explore/legacy.json"
# The old portal's output formats: a later API serves them, neither Apache nor the 404 page
# forwards them to the explorer.
FORMATS = ("JSON", "CSV")
# A missing file of the site's own kinds (`/egi/no-such.csv`) is a plain 404, not an old view.
FILES = tuple(sorted(s.lstrip(".") for s in (*media.TYPES, *media.ENCODINGS)))
# The old EGI views' defaults where the address leaves them out (S1 views.py): VOGroup egi,
# infrastructure jobs only, columns DATE. Scopes without the two segments (disciplines): all
# VOs and all jobs, as the site's discipline pages.
DEFAULTS = {"cols": "month", "vos": "egi", "jobs": "grid"}
NO_GROUP_DEFAULTS = {"vos": "all", "jobs": "both"}
DISCIPLINE_LEVELS = ["Discipline1", "Discipline2", "Discipline3"]


def table(cat: Catalogue) -> dict:
    """What static/legacy.js reads: every old id as the explorer's parameter value."""
    leg = cat.legacy
    jobs = {v: k for k, v in explore.JOBS.items()}  # infra filter id -> the explorer's `jobs`
    for data, ids in leg["metrics"].items():
        for old, new in ids.items():
            if cat.metrics[new].family != data:
                raise ValueError(f"[legacy.metrics.{data}] {old} = {new}: {new} is a {cat.metrics[new].family} metric")
    axes = set(explore.PERIODS) | set(cat.dimensions)
    bad = sorted(set(leg["axes"].values()) - axes)
    if bad:
        raise ValueError(f"[legacy.axes] names unknown axes {bad}")
    scopes = sorted(({"path": s["path"].split("/"), "data": s["data"], "entity": s.get("entity"), "rows": s["rows"],
                      "groups": s.get("groups", True)} for s in leg["scopes"]), key=lambda s: -len(s["path"]))
    labels = {d: cat.dimensions[d]["label"] for d in cat.dimensions}
    labels["Discipline"] = "Scientific discipline"
    return {
        "explore": sorted(cat.explore),
        "scopes": scopes,
        "metrics": leg["metrics"],
        "units": leg["units"],
        "axes": leg["axes"],
        "vo_groups": leg["vo_groups"],
        "jobs": {old: jobs[new] for old, new in leg["jobs"].items()},
        "benchmarks": leg["benchmarks"],
        "formats": list(FORMATS),
        "defaults": DEFAULTS,
        "no_group_defaults": NO_GROUP_DEFAULTS,
        "levels": {"Discipline": DISCIPLINE_LEVELS},
        "labels": labels,
    }


def prefixes(cat: Catalogue) -> list[str]:
    """The first path segment of every old scope (plain words: Apache's rule and the 404
    page's script take them as they are)."""
    out = sorted({s["path"].split("/")[0] for s in cat.legacy["scopes"]})
    bad = [p for p in out if not re.fullmatch(r"[a-z]+", p)]
    if bad:
        raise ValueError(f"[legacy.scopes] paths must start with a plain word: {bad}")
    return out
