"""/quality/: the data-quality findings, HTC by finding, then one section per other data
type; a subject links to its page where it has one (quarantined rows are in no report)."""

from __future__ import annotations

from collections import defaultdict

from accounting.site import paths
from accounting.site.generators import Build
from accounting.site.kinds import KIND, STORAGE_KIND

# (findings cube, section title, the page kind its subjects link to: None = a site or a VO)
SECTIONS = (("quality_findings", "HTC", None), ("storage_findings", "Storage records", STORAGE_KIND["storage_site"]),
            ("gpu_findings", "GPU records", KIND["gpu_site"]), ("cloud_findings", "Cloud records", KIND["cloud_site"]))
FAMILIES = {"quality_findings": "htc", "storage_findings": "storage", "gpu_findings": "gpu",
            "cloud_findings": "cloud"}


def generate(b: Build) -> None:
    sections = []
    for cube, title, page_kind in SECTIONS:
        if not b.reader.has_cube(cube):
            continue
        by_finding = defaultdict(list)
        for item in b.reader.records(cube):
            kind_id = page_kind.id if page_kind else ("vo" if item["finding"].startswith("VO ") else "site")
            target = page_kind or KIND[kind_id]
            # A withheld site name is NULL here too: the withheld site, as on its pages.
            item["subject"] = b.reader.name(target.scope, item["subject"])
            item["href"] = paths.relative("quality/", target.base_path(item["subject"])) \
                if item["subject"] in b.ctx.entities[kind_id] else None
            by_finding[item["finding"]].append(item)
        sections.append({"id": cube, "cube": cube, "title": title, "findings": dict(by_finding),
                         "no_data": FAMILIES[cube] not in b.ctx.with_data})
    b.render("quality.html", "quality/", title="Data quality", crumbs=[("Data quality", "./")],
             findings=sections[0]["findings"], sections=sections[1:])
