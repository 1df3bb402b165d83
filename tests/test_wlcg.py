"""WLCG: federation membership per VO and over time, the /wlcg/ views and the pledges,
against an independent recomputation from the source Parquet (tests/source_truth.py
resolves each summary's tier and federation from topology/wlcg_sites itself)."""

from __future__ import annotations

import math
import re

import pytest

import source_truth
from accounting.site.paths import Absent, encode
from family_tables import table_csv

WORK = "normwall_proc_s"  # WLCG's "wallclock work": normalised wall time × processors
LAST = 202510
LHC = {"alice": "ALICE", "atlas": "ATLAS", "cms": "CMS", "lhcb": "LHCb"}


@pytest.fixture(scope="module")
def truth(built):
    return source_truth.connect(built["source"])


def hours(con, where: str, group: str) -> dict:
    """HS23 hours of LHC-VO work at WLCG sites, by `group`, from the source rows of the
    complete months (the pages end with October 2025, the demo's last complete month)."""
    rows = con.execute(f"SELECT {group}, sum({WORK}) / 3600 FROM htc WHERE lhc AND Tier IS NOT NULL AND {where} "
                       f"AND ym <= {LAST} "
                       f"GROUP BY ALL").fetchall()
    return {r[0] if len(r) == 2 else tuple(r[:-1]): float(r[-1]) for r in rows}


def page_table(built, path: str, table: str = "yearly") -> dict[str, dict[str, float]]:
    """{row: {column: value}} of a WLCG page's download (default metric: wallclock work)."""
    header, body = table_csv(built["output"] / path / f"{table}.csv")
    return {r[0]: {h: float(v) for h, v in zip(header[1:], r[1:]) if v != ""} for r in body}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def test_each_site_vo_month_is_in_one_federation(built, truth):
    """Federations add up to their tier and the tiers to the total: no double counting, nothing dropped."""
    by_tier = page_table(built, "wlcg/", "yearly")
    total = hours(truth, "Year = 2024", "'all'")["all"]
    assert close(by_tier["Total"]["2024"], total)
    for tier, want in hours(truth, "Year = 2024", "Tier").items():
        assert close(by_tier[tier]["2024"], want), tier
    tier1 = page_table(built, "wlcg/tier1/")
    t2_by_fed = page_table(built, "wlcg/tier2/", "federation")
    for fed, want in hours(truth, "Year = 2024 AND Tier <> 'Tier-2'", "Federation").items():
        assert close(tier1[fed]["2024"], want), fed
    assert close(tier1["Total"]["2024"], by_tier["Tier-0"]["2024"] + by_tier["Tier-1"]["2024"])
    # The Tier-2 table by federation is monthly: its Total over the last 12 months is the tier's.
    t2_months = hours(truth, "Tier = 'Tier-2' AND ym BETWEEN 202411 AND 202510",
                      "coalesce(Federation, 'no federation')")
    assert {k for k in t2_by_fed if k not in ("Total", "Percent")} == set(t2_months)
    for fed, want in t2_months.items():
        assert close(t2_by_fed[fed]["Total"], want), fed
    assert close(t2_by_fed["Total"]["Total"], sum(t2_months.values()))


def test_a_site_pledging_per_vo_counts_each_vo_once(built, truth):
    """DESY-HH: its ATLAS work in the ATLAS federation, its CMS work in its own; together its total."""
    site = page_table(built, "wlcg/site/DESY-HH/")
    atlas_fed = page_table(built, "wlcg/tier2/federation/DE-DESY-GOE-ATLAS-T2/")
    own_fed = page_table(built, "wlcg/tier2/federation/DE-DESY-RWTH-CMS-T2/")
    want = hours(truth, "Site = 'DESY-HH'", "VO")
    assert set(want) == {"atlas", "cms"}  # (the demo plants both)
    assert close(atlas_fed["DESY-HH"]["Total"], want["atlas"])
    assert close(own_fed["DESY-HH"]["Total"], want["cms"])
    assert close(site["Total"]["Total"], atlas_fed["DESY-HH"]["Total"] + own_fed["DESY-HH"]["Total"])
    assert close(site["ATLAS"]["Total"], want["atlas"]) and close(site["CMS"]["Total"], want["cms"])


def test_a_site_changing_federation_counts_in_each_for_its_months(built, truth):
    """JINR-LCG2 moved from RU-RDIG to a federation of its own on 2024-11-01."""
    old = page_table(built, "wlcg/tier2/federation/RU-RDIG/")["JINR-LCG2"]
    new = page_table(built, "wlcg/tier2/federation/JINR-LCG2/")["JINR-LCG2"]
    before = hours(truth, "Site = 'JINR-LCG2' AND ym < 202411", "Year")
    after = hours(truth, "Site = 'JINR-LCG2' AND ym >= 202411", "Year")
    assert close(old["2024"], before[2024]) and close(new["2024"], after[2024])
    assert old.get("2025", 0) == 0 and close(new["2025"], after[2025])
    assert "2023" not in new or new["2023"] == 0


def test_a_site_without_federation_is_counted_and_listed(built, truth):
    fed = page_table(built, "wlcg/tier2/federation/" + encode(Absent("no federation")) + "/")
    want = hours(truth, "Site = 'IN2P3-LPC' AND Federation IS NULL", "Year")
    assert close(fed["IN2P3-LPC"]["2023"], want[2023])
    quality = (built["output"] / "quality" / "index.html").read_text()
    assert "WLCG federation unknown" in quality and "IN2P3-LPC" in quality


def test_experiments_and_countries(built, truth):
    """The experiment table names the four experiments and "other" (all VOs); countries add up."""
    exp = page_table(built, "wlcg/", "experiment")
    want = hours(truth, "ym BETWEEN 202411 AND 202510", "VO")
    for vo, name in LHC.items():
        assert close(exp[name]["Total"], want[vo]), name
    assert "other" not in exp  # (LHC VOs by default)
    everyone = page_table(built, "wlcg/normelap_processors/all/localinfrajobs/", "experiment")
    others = truth.execute(f"""SELECT sum({WORK}) / 3600 FROM htc WHERE Tier IS NOT NULL
        AND ym BETWEEN 202411 AND 202510
        AND (VO IS NULL OR VO NOT IN ('alice', 'atlas', 'cms', 'lhcb'))""").fetchone()[0]
    assert close(everyone["other"]["Total"], float(others))
    countries = page_table(built, "wlcg/countries/")
    for country, value in hours(truth, "Year = 2024", "Country").items():
        assert close(countries[country]["2024"], value), country
    country, = [c for c in countries if c == "Germany"]
    sites = page_table(built, f"wlcg/country/{encode(country)}/")
    assert close(sites["Total"]["2024"], countries[country]["2024"])


def test_osg_and_all_sites(built, truth):
    osg = page_table(built, "wlcg/osg/")
    want = truth.execute(f"""SELECT x.Site, sum({WORK}) / 3600 FROM htc x
        JOIN read_parquet('{built["source"]}/topology/sites.parquet') s ON s.Site = x.Site
            AND s.ValidFrom <= make_date(x.Year, x.Month, 1)
            AND (s.ValidTo IS NULL OR make_date(x.Year, x.Month, 1) < s.ValidTo)
        WHERE x.lhc AND x.Tier IS NOT NULL AND s.Infrastructure = 'OSG' AND x.Year = 2024 GROUP BY 1""").fetchall()
    assert want and {s for s in osg if s not in ("Total", "Percent")} >= {s for s, _ in want}
    for site, value in want:
        assert close(osg[site]["2024"], float(value)), site
    everyone = page_table(built, "wlcg/sites/")
    t12 = hours(truth, "Year = 2024 AND Tier IN ('Tier-1', 'Tier-2')", "Site")
    for site, value in t12.items():
        assert close(everyone[site]["2024"], value), site
    assert any(s in everyone for s, _ in want)  # EGI and OSG sites together


def pledge_rows(built, year: int, table: str) -> dict[tuple[str, str], list[str]]:
    header, body = table_csv(built["output"] / "wlcg" / "pledges" / str(year) / f"{table}.csv")
    return {(r[1], r[2]): r for r in body}, header


@pytest.mark.parametrize("year, months", [(2024, 12), (2025, 10)])  # a whole year; Jan–Oct of the last
def test_cpu_against_pledge(built, truth, year, months):
    """Wall-clock work per federation and experiment over the pledge × the hours of the months."""
    got, header = pledge_rows(built, year, "cpu")
    assert header[5:10] == ["Work, total (HS23 h)", "Pledge, months so far (HS23 h)", "% of pledge so far",
                            "Pledge, whole year (HS23 h)", "% of whole-year pledge"]
    hours_so_far = sum(truth.execute(f"SELECT day(last_day(make_date({year}, {m}, 1))) * 24").fetchone()[0]
                       for m in range(1, months + 1))
    hours_year = truth.execute(f"SELECT (make_date({year + 1}, 1, 1) - make_date({year}, 1, 1)) * 24").fetchone()[0]
    work = hours(truth, f"Year = {year} AND Federation IS NOT NULL", "Federation, VO")
    pledged = dict(truth.execute(f"""SELECT Federation || '|' || VO, CpuHS23
        FROM read_parquet('{built["source"]}/topology/pledges.parquet') WHERE Year = {year}""").fetchall())
    checked = 0
    for (fed, vo), delivered in work.items():
        row = got[fed, LHC[vo]]
        assert close(float(row[5]), delivered), (fed, vo)
        pledge = pledged.get(f"{fed}|{vo}", 0)
        assert close(float(row[6]), pledge * hours_so_far) and close(float(row[8]), pledge * hours_year)
        if pledge:
            assert close(float(row[7]), 100 * delivered / (pledge * hours_so_far))
            checked += 1
        else:
            assert row[7] == ""  # n/a
    assert checked > 10
    # Each federation's row adds its experiments up, the tier's its federations, the total all.
    feds = {fed for fed, _ in work}
    for fed in feds:
        assert close(float(got[fed, "all"][5]), sum(v for (f, _), v in work.items() if f == fed))
    assert close(float(got["all", "all"][5]), sum(work.values()))


def test_disk_and_tape_against_pledge(built, truth):
    """Stocks: the mean of the months' time-weighted averages, against the pledge (TB)."""
    got, _ = pledge_rows(built, 2024, "disk")
    used = truth.execute("""SELECT Federation, VO, Month, sum(used_avg) FROM storage
        WHERE Year = 2024 AND StorageMedia = 'disk' AND Federation IS NOT NULL
        AND VO IN ('alice', 'atlas', 'cms', 'lhcb') GROUP BY ALL""").fetchall()
    by_key: dict = {}
    for fed, vo, month, value in used:
        by_key.setdefault((fed, vo), {})[month] = float(value)
    pledged = dict(((f, v), d) for f, v, d in truth.execute(f"""SELECT Federation, VO, DiskTB
        FROM read_parquet('{built["source"]}/topology/pledges.parquet') WHERE Year = 2024""").fetchall())
    assert by_key
    for (fed, vo), months in by_key.items():
        row = got[fed, LHC[vo]]
        mean = sum(months.values()) / len(months) / 1e12
        assert close(float(row[4]), mean), (fed, vo)
        pledge = pledged.get((fed, vo), 0)
        assert row[7] == "" if not pledge else close(float(row[7]), 100 * mean / pledge)
        if 12 in months:
            assert close(float(row[3]), months[12] / 1e12)


def test_pledge_page_colours_and_explains(built):
    page = (built["output"] / "wlcg" / "pledges" / "2024" / "index.html").read_text()
    assert "wall-clock work" in page and "HS23" in page and "n/a" in page
    cells = re.findall(r'<td class="pct ([a-z]*)">([^<]*)</td>', page)
    for band, text in cells:
        if text == "n/a":
            assert band == "na"
        else:
            value = float(text.removesuffix(" %"))
            assert band == ("low" if value < 50 else "high" if value > 90 else ""), (band, text)
    assert {"low", "high", "na"} <= {b for b, _ in cells}


def report_rows(built, scope: str, key: str, table: str) -> tuple[list[str], dict]:
    header, body = table_csv(built["output"] / "wlcg" / "report" / scope / key / f"{table}.csv")
    return header, {tuple(r[:2]): r for r in body}


@pytest.mark.parametrize("scope, tiers", [("tier1", ("Tier-0", "Tier-1")), ("tier2", ("Tier-2",))])
def test_monthly_report_equals_the_source(built, truth, scope, tiers):
    """October 2025: work per federation and experiment, grid, local and total, against the
    pledge × October's 744 hours; the experiment summary's shares."""
    header, got = report_rows(built, scope, "2025-10", "cpu")
    assert header[:8] == ["Federation", "Experiment", "Work, grid (HS23 h)", "Work, local (HS23 h)",
                          "Work, total (HS23 h)", "Pledge (HS23 h)", "% of pledge", "CPU efficiency (%)"]
    in_tiers = "Tier IN (" + ", ".join(f"'{t}'" for t in tiers) + ")"
    rows = truth.execute(f"""SELECT Federation, VO, sum({WORK}) FILTER (WHERE Infrastructure = 'grid') / 3600,
            sum({WORK}) FILTER (WHERE Infrastructure <> 'grid') / 3600, sum({WORK}) / 3600,
            100 * sum(cpu_s) / sum(wall_proc_s)
        FROM htc WHERE lhc AND {in_tiers} AND Federation IS NOT NULL AND ym = 202510 GROUP BY ALL""").fetchall()
    pledges = dict(((f, v), c) for f, v, c in truth.execute(f"""SELECT Federation, VO, CpuHS23
        FROM read_parquet('{built["source"]}/topology/pledges.parquet') WHERE Year = 2025""").fetchall())
    assert rows
    for fed, vo, grid, local, total, eff in rows:
        r = got[fed, LHC[vo]]
        for cell, want in zip(r[2:5], (grid, local, total)):
            assert close(float(cell or 0), float(want or 0)), (fed, vo)
        pledge = pledges.get((fed, vo), 0) * 744
        assert close(float(r[5]), pledge)
        assert r[6] == "" if not pledge else close(float(r[6]), 100 * float(total) / pledge)
        assert close(float(r[7]), float(eff))
    _, shares = report_rows(built, scope, "2025-10", "experiments")
    header = table_csv(built["output"] / "wlcg" / "report" / scope / "2025-10" / "experiments.csv")[0]
    by_exp = {}
    for fed, vo, *_rest, total, _eff in rows:
        by_exp.setdefault(LHC[vo], {})[fed] = float(total)
    for exp, feds in by_exp.items():
        col = header.index(exp)
        for fed, value in feds.items():
            row = next(r for (f, _), r in shares.items() if f == fed)
            assert close(float(row[col]), 100 * value / sum(feds.values())), (exp, fed)


def test_countries_report_adds_federations_by_country(built, truth):
    """A year to date (2025, Jan–Oct): each country's work is that of the federations most of
    whose sites are in it."""
    _, got = report_rows(built, "countries", "2025", "cpu")
    country_of = dict(truth.execute(f"""SELECT Federation, mode(s.Country ORDER BY s.Country)
        FROM read_parquet('{built["source"]}/topology/wlcg_sites.parquet') w
        JOIN read_parquet('{built["source"]}/topology/sites.parquet') s USING (Site)
        WHERE Federation IS NOT NULL GROUP BY 1""").fetchall())
    work = hours(truth, "Year = 2025 AND Federation IS NOT NULL", "Federation")
    by_country: dict = {}
    for fed, value in work.items():
        by_country[country_of[fed]] = by_country.get(country_of[fed], 0) + value
    for country, value in by_country.items():
        assert close(float(got[country, "all"][4]), value), country
    assert close(float(got["all", "all"][4]), sum(work.values()))


@pytest.mark.parametrize("path, where", [
    ("", "true"),
    ("egi/site/DESY-HH/", "Site = 'DESY-HH'"),
    ("egi/ngi/NGI_DE/", "NGI = 'NGI_DE'"),
    ("wlcg/site/DESY-HH/", "Site = 'DESY-HH' AND lhc AND Tier IS NOT NULL"),
    ("wlcg/tier2/", "lhc AND Tier = 'Tier-2'"),
])
def test_multi_metric_summary_equals_the_source(built, truth, path, where):
    """Jobs, CPU, wall × processors, normalised CPU, wallclock work and CPU efficiency by month."""
    header, body = table_csv(built["output"] / path / "summary.csv")
    assert header == ["Month", "Number of jobs (jobs)", "CPU time (h)", "Wall time × processors (core h)",
                      "Normalised CPU time (HS23 h)", "Normalised wall time × processors (HS23 h)",
                      "CPU efficiency (%)"]
    want = {r[0]: r[1:] for r in truth.execute(f"""SELECT printf('%04d-%02d', Year, Month), sum(njobs),
            sum(cpu_s) / 3600, sum(wall_proc_s) / 3600, sum(normcpu_s) / 3600, sum(normwall_proc_s) / 3600,
            100 * sum(cpu_s) / nullif(sum(wall_proc_s), 0)
        FROM htc WHERE {where} AND ym BETWEEN 202411 AND {LAST} GROUP BY 1""").fetchall()}
    assert [r[0] for r in body] == [f"{y}-{m:02d}" for y, m in [(2024, 11), (2024, 12)] + [(2025, m) for m in
                                                                                            range(1, 11)]] + ["Total"]
    assert want
    for month, *cells in body[:-1]:
        expected = want.get(month, (0, 0, 0, 0, 0, None))
        for cell, value in zip(cells, expected):
            assert (cell == "" and value is None) or close(float(cell), float(value or 0)), (path, month)
    total = [float(sum(float(r[i] or 0) for r in want.values())) for i in range(5)]
    for cell, value in zip(body[-1][1:6], total):
        assert close(float(cell), value)
    page = (built["output"] / path / "index.html").read_text()
    assert 'id="t-summary"' in page


def test_resource_centres_top_10_by_discipline(built, truth):
    """The ten sites with the most normalised CPU time over the last 12 complete months, by
    first-level discipline, as the old Reports menu's Resource Centres report."""
    header, body = table_csv(built["output"] / "report" / "resource_centres" / "disciplines.csv")
    window = "ym BETWEEN 202411 AND 202510"
    top = truth.execute(f"""SELECT Site FROM htc WHERE {window} GROUP BY Site
        ORDER BY sum(normcpu_s) DESC, Site LIMIT 10""").fetchall()
    rows = {r[0]: dict(zip(header[1:], r[1:])) for r in body}
    assert [r[0] for r in body if r[0] not in ("Total", "Percent")] == [s for s, in top]
    cells = truth.execute(f"""SELECT Site, coalesce(Discipline1, 'unknown discipline'), sum(normcpu_s) / 3600
        FROM htc WHERE {window} AND Site IN (SELECT Site FROM htc WHERE {window} GROUP BY Site
                                             ORDER BY sum(normcpu_s) DESC, Site LIMIT 10) GROUP BY ALL""").fetchall()
    for site, discipline, value in cells:
        assert close(float(rows[site][discipline]), float(value)), (site, discipline)
    hundred = table_csv(built["output"] / "report" / "resource_centres" / "top100" / "table.csv")[1]
    sites = truth.execute(f"SELECT count(DISTINCT Site) FROM htc WHERE {window}").fetchone()[0]
    assert len([r for r in hundred if r[0] not in ("Total", "Percent")]) == min(100, sites)


def test_vo_metrics_are_distinct_counts_per_period(built):
    """Active VOs, sites and users per month: distinct counts of the source rows with jobs."""
    import duckdb
    header, body = table_csv(built["output"] / "report" / "vomet_all_month.csv")
    assert header == ["Month", "Active VOs", "Active sites", "Active users"]
    con = duckdb.connect()
    want = dict((r[0], r[1:]) for r in con.execute(f"""SELECT printf('%s %d', strftime(make_date(Year, Month, 1), '%b'),
            Year), count(DISTINCT CASE WHEN VO NOT IN ('None', '') THEN VO END), count(DISTINCT Site),
            count(DISTINCT CASE WHEN GlobalUserName NOT IN ('None', '') THEN GlobalUserName END)
        FROM read_parquet('{built["source"]}/htc/*/*/*.parquet', hive_partitioning = false)
        WHERE NumberOfJobs > 0 AND Year * 100 + Month BETWEEN 202411 AND {LAST} GROUP BY Year, Month""").fetchall())
    assert len(body) == 12
    for month, vos, sites, users in body:
        assert (int(vos), int(sites), int(users)) == want[month], month


@pytest.mark.parametrize("old, new", [("tier1", "wlcg/tier1"), ("tier2", "wlcg/tier2"), ("osg", "wlcg/osg")])
def test_old_wlcg_paths_without_prefix_lead_to_their_pages(built, old, new):
    html = (built["output"] / old / "index.html").read_text()
    target = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html).group(1)
    assert (built["output"] / old / target).resolve() == (built["output"] / new).resolve()
    assert (built["output"] / new / "index.html").is_file() and f'href="{target}"' in html
