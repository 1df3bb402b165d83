"""Hostile names planted in the small demo's MariaDB (issue 14), as a careless provider or
an attacker would write them into APEL's tables and the portal's topology tables:
a 255-character site name, an NGI really called "unknown NGI", VOs called "Total",
"Other", a spreadsheet formula, a name with a right-to-left override and "no VO", a
discipline called "unknown discipline" and a storage media "(no media)" (the portal's
labels of absent values), and a person's identity where names are published: a GPU FQAN
whose first component is a user's CN, a GPU site named by a DN, an HTC submit host that
is an e-mail address, a StAR SubGroup `CN=<person>`, and the StAR local user, group and
directory of a person; and in one name column each (site, NGI, country, VO, discipline,
submit host, GPU model, storage share), markup that would run a script if a page let it."""

from __future__ import annotations

import re

# MariaDB's VARCHAR(255) holds this; its plain encoding is far beyond a file name's 255 bytes.
LONG_SITE = "Ресурсный-центр-" + "Ж" * 200 + "-" + "x" * 38
REAL_UNKNOWN_NGI = "unknown NGI"
FORMULA_VO = '=HYPERLINK("http://x","y")'
RTL_VO = "evil\u202etxt.exe"
REAL_NO_VO = "no VO"
# The largest VOs of the demo take these names, so each is among a chart's top series.
VO_NAMES = ("Other", "Total", FORMULA_VO, RTL_VO, REAL_NO_VO)
# A real discipline (level 3) with the name of the absent one; a real storage media too.
REAL_UNKNOWN_DISCIPLINE = "unknown discipline"
RENAMED_DISCIPLINE = "Bioinformatics"
REAL_NO_MEDIA = "(no media)"
NO_MEDIA_SITE, NO_MEDIA_FROM = "INFN-T1", "tape"  # its tape is called "(no media)"
ABSENT_MEDIA_SITE, ABSENT_MEDIA_FROM = "IFCA-LCG2", "disk"  # its media is APEL's 'None'
# A person's identity in published name columns, and in the StAR columns that are never published.
PERSON = "Jane Doe"
GPU_FQAN_FROM, PERSON_FQAN = "/icecube", f"/CN={PERSON}/DC=org/Role=NULL"
SUBGROUP_FROM, PERSON_SUBGROUP = "dcms", f"CN={PERSON}"
PERSON_DN = f"/DC=org/DC=example/OU=People/CN={PERSON} 4711"
LOCAL_USER, LOCAL_GROUP, HOME = "jdoe4711", "jdoe-grp4711", "/home/jdoe4711/atlas"
PERSON_EMAIL = "jane.doe@example.org"  # the submit host of one HTC host's rows
PERSON_SITE_FROM, PERSON_SITE = "CESNET-MetaCloud", f"/O=Example/CN={PERSON} Workstation"  # a GPU site
# What no public file may hold, in any spelling the pipeline could give it.
IDENTITIES = (PERSON, LOCAL_USER, LOCAL_GROUP, HOME, PERSON_EMAIL)


def unquote(cell: str) -> str:
    """A CSV cell as static/site.js reads it for a chart: one leading ' off a cell the
    site neutralised (a quote run ending in = + - @, tab or CR)."""
    return re.sub(r"^'(?='*[=+\-@\t\r])", "", cell)


# Hostile names that must show as text and never run: each is planted in one name column
# of the source (`XSS`: column → name), and no page may set window.__pwned.
XSS = {
    "site": '<img src=x onerror="window.__pwned=1">',
    "NGI": "</script><script>window.__pwned=2</script>",
    "country": '"><svg onload=window.__pwned=3>',
    "VO": "javascript:window.__pwned=4//",
    "discipline": "<iframe srcdoc='<script>parent.__pwned=5</script>'>",
    "submit host": "{{7*7}}<style>*{display:none}</style>",
    "GPU model": '<a href="javascript:window.__pwned=6">A100</a>',
    "storage share": "\u2028</script><img src=x onerror=window.__pwned=7>",
}


def _rows(cur, sql: str, *args) -> tuple:
    cur.execute(sql, args)
    return cur.fetchall()


def _rename(cur, table: str, column: str, old: str, new: str) -> None:
    """Every `old` of a name column, compared as bytes (MariaDB's default collation is not)."""
    cur.execute(f"UPDATE {table} SET `{column}` = %s WHERE CAST(`{column}` AS BINARY) = CAST(%s AS BINARY)",
                (new, old))
    assert cur.rowcount > 0, (table, column, old)


def _name_id(cur, table: str, name: str) -> int:
    """The id of `name` in a lookup table, added if it is not there."""
    rows = _rows(cur, f"SELECT id FROM `{table}` WHERE CAST(name AS BINARY) = CAST(%s AS BINARY)", name)
    if rows:
        return rows[0][0]
    cur.execute(f"INSERT INTO `{table}` (name) VALUES (%s)", (name,))
    return cur.lastrowid


def plant(cur) -> dict:
    """Plant the hostile names into the small demo's MariaDB (APEL's tables and the portal's
    topology tables), as a careless provider or an attacker would; returns what was renamed."""
    (latest,), = _rows(cur, "SELECT MAX(Year * 100 + Month) FROM HybridSuperSummaries")
    # The busiest sites and VOs of the latest month, so their pages have recent figures.
    by_wall = "SUM(h.WallDuration) DESC, 1"
    sites = [r[0] for r in _rows(cur, "SELECT s.name FROM HybridSuperSummaries h JOIN Sites s ON s.id = h.SiteID "
                                     "JOIN topology_sites t ON BINARY t.Site = BINARY s.name "
                                     f"WHERE h.Year * 100 + h.Month = %s GROUP BY s.name ORDER BY {by_wall}", latest)]
    vos = [r[0] for r in _rows(cur, "SELECT v.name FROM HybridSuperSummaries h JOIN VOs v ON v.id = h.VOID "
                                   f"WHERE h.Year * 100 + h.Month = %s AND v.name <> 'None' "
                                   f"GROUP BY v.name ORDER BY {by_wall}", latest)]
    site, xss_site = sites[0], sites[1]
    (site_ngi,), = _rows(cur, "SELECT NGI FROM topology_sites WHERE BINARY Site = BINARY %s "
                             "ORDER BY ValidFrom DESC LIMIT 1", site)
    ngis = [r[0] for r in _rows(cur, "SELECT DISTINCT NGI FROM topology_sites ORDER BY 1") if r[0] != site_ngi]
    countries = [r[0] for r in _rows(cur, "SELECT DISTINCT Country FROM topology_sites ORDER BY 1")]
    vo_map = dict(zip(vos, VO_NAMES)) | {vos[len(VO_NAMES)]: XSS["VO"]}
    for table, column in (("Sites", "name"), ("topology_sites", "Site")):
        _rename(cur, table, column, site, LONG_SITE)
        _rename(cur, table, column, xss_site, XSS["site"])
    _rename(cur, "topology_sites", "NGI", ngis[0], REAL_UNKNOWN_NGI)
    _rename(cur, "topology_sites", "NGI", ngis[1], XSS["NGI"])
    _rename(cur, "topology_sites", "Country", countries[-1], XSS["country"])
    for old, new in vo_map.items():
        _rename(cur, "VOs", "name", old, new)
        _rename(cur, "topology_vos", "VO", old, new)
    disciplines = [r[0] for r in _rows(cur, "SELECT Discipline FROM topology_vos WHERE Discipline IS NOT NULL "
                                           "AND Discipline <> %s GROUP BY 1 ORDER BY COUNT(*) DESC, 1",
                                      RENAMED_DISCIPLINE)]
    for old, new in ((RENAMED_DISCIPLINE, REAL_UNKNOWN_DISCIPLINE), (disciplines[0], XSS["discipline"])):
        _rename(cur, "topology_disciplines", "Discipline", old, new)
        _rename(cur, "topology_vos", "Discipline", old, new)
    hosts = [r[0] for r in _rows(cur, "SELECT DISTINCT s.name FROM HybridSuperSummaries h "
                                     "JOIN SubmitHosts s ON s.id = h.SubmitHostId "
                                     "WHERE h.Year * 100 + h.Month = %s ORDER BY 1", latest)]
    _rename(cur, "SubmitHosts", "name", hosts[0], PERSON_EMAIL)
    _rename(cur, "SubmitHosts", "name", hosts[1], XSS["submit host"])
    # GPU summaries carry their names: a person's FQAN and DN, a site named by a DN. The
    # summary key holds the DN, so each row keeps a distinct one.
    cur.execute("UPDATE AcceleratorSummaries SET FQAN = %s, GlobalUserName = CONCAT(%s, ' ', MD5(GlobalUserName)) "
                "WHERE FQAN = %s", (PERSON_FQAN, PERSON_DN, GPU_FQAN_FROM))
    assert cur.rowcount > 10
    _rename(cur, "AcceleratorSummaries", "SiteName", PERSON_SITE_FROM, PERSON_SITE)
    (model,), = _rows(cur, "SELECT Model FROM AcceleratorSummaries GROUP BY Model ORDER BY COUNT(*) DESC LIMIT 1")
    _rename(cur, "AcceleratorSummaries", "Model", model, XSS["GPU model"])
    _rename(cur, "topology_gpu_models", "Model", model, XSS["GPU model"])
    # StAR: a person as a subgroup, with their identity, local user, group and directory.
    sub = _name_id(cur, "SubGroups", SUBGROUP_FROM)
    _rename(cur, "SubGroups", "name", SUBGROUP_FROM, PERSON_SUBGROUP)
    cur.execute("UPDATE StarRecords SET UserIdentityID = %s, LocalUser = %s, LocalGroup = %s, DirectoryPath = %s "
                "WHERE SubGroupID = %s", (_name_id(cur, "UserIdentities", PERSON_DN), LOCAL_USER, LOCAL_GROUP,
                                          HOME, sub))
    assert cur.rowcount > 10
    for site_name, media_from, media_to in ((NO_MEDIA_SITE, NO_MEDIA_FROM, REAL_NO_MEDIA),
                                            (ABSENT_MEDIA_SITE, ABSENT_MEDIA_FROM, "None")):
        cur.execute("UPDATE StarRecords SET StorageMediaID = %s WHERE SiteID = %s AND StorageMediaID = %s",
                    (_name_id(cur, "StorageMedia", media_to), _name_id(cur, "Sites", site_name),
                     _name_id(cur, "StorageMedia", media_from)))
        assert cur.rowcount > 0, (site_name, media_from)
    (share,), = _rows(cur, "SELECT sh.name FROM StarRecords r JOIN StorageShares sh ON sh.id = r.StorageShareID "
                          "GROUP BY sh.name ORDER BY COUNT(*) DESC, 1 LIMIT 1")
    _rename(cur, "StorageShares", "name", share, XSS["storage share"])
    return {"site": (site, LONG_SITE), "ngi": (ngis[0], REAL_UNKNOWN_NGI), "vos": vo_map}
