"""Old portal view addresses and the explorer view each means, written out by hand from the
reference notes (../shared/reference/old-portal-features.md §1.1, §1.2, §2, §3), for the
names of the small demo. Used by test_legacy (the mapping, in Node) and test_legacy_browser
(through the real Apache and the 404 page, in Chromium).

The demo's "today" is 2025-11-24 (conftest.EPOCH): the last complete month is 2025-10, the
explorer's default period 2024-11 to 2025-10, and the data starts in 2004-01."""

from __future__ import annotations

LAST_12 = {"from": "2024-11", "to": "2025-10"}
# The old EGI views' defaults (S1 views.py): EGI official VOs, grid jobs, columns by month.
EGI = {"data": "htc", "metric": "normcpu", "cols": "month", "vos": "egi", "jobs": "grid", **LAST_12}
# The discipline views had no VO group or job type in the address: all VOs, all jobs.
DISC = {**EGI, "vos": "all", "jobs": "both"}


def view(base: dict, **kw) -> dict[str, list[str]]:
    """An explorer address as parse_qs gives it."""
    out = {**base}
    for k, v in kw.items():
        out[k.replace("_", "")] = v
    return {k: v if isinstance(v, list) else [str(v)] for k, v in out.items()}


# (old path, the explorer's parameters it must open with)
MAPPED = [
    # the brief's and the production clients' forms (S4), without their JSON/ suffix
    ("/egi/normcpu-HS23/REGION/VO/2024/1/2024/12/custom-biomed/onlyinfrajobs/",
     view(EGI, rows="NGI", cols="VO", from_="2024-01", to="2024-12", vos="custom", vo=["biomed"])),
    ("/egi/elap_processors/REGION/Year/2025/01/2025/02/custom-biomed/onlyinfrajobs/",
     view(EGI, metric="elap_processors", rows="NGI", cols="year", from_="2025-01", to="2025-02", vos="custom",
          vo=["biomed"])),
    ("/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="NGI", from_="2024-01", to="2024-12")),
    ("/egi/normcpu/REGION/DATE/2024/01/2024/12/lhc/localinfrajobs/",
     view(EGI, rows="NGI", from_="2024-01", to="2024-12", vos="lhc", jobs="both")),
    ("/egi/njobs/SITE/DATE/2024/01/2024/06/egi/onlyinfrajobs/",
     view(EGI, metric="njobs", rows="Site", from_="2024-01", to="2024-06")),
    ("/egi/sumcpu/COUNTRY/3M/2023/1/2024/12/all/onlylocaljobs/",
     view(EGI, metric="sumcpu", rows="Country", cols="quarter", from_="2023-01", to="2024-12", vos="all",
          jobs="local")),
    ("/egi/normelap/VO/6M/2022/07/2024/06/top10/onlyinfrajobs/",
     view(EGI, metric="normelap", rows="VO", cols="half", from_="2022-07", to="2024-06", vos="top", top="10")),
    ("/egi/njobs/COUNTRY/DATE/2024/10/2025/3/top5/onlyinfrajobs/",
     view(EGI, metric="njobs", rows="Country", from_="2024-10", to="2025-03", vos="top", top="5")),
    # legacy spellings: official, onlygridjobs, localgridjobs
    ("/egi/cpueff/SITE/Year/2020/1/2024/12/official/onlygridjobs/",
     view(EGI, metric="cpueff", rows="Site", cols="year", from_="2020-01", to="2024-12")),
    ("/egi/sumelap/NGI/DATE/2024/3/2024/9/all/localgridjobs/",
     view(EGI, metric="sumelap", rows="NGI", from_="2024-03", to="2024-09", vos="all", jobs="both")),
    # time as rows
    ("/egi/normelap_processors/DATE/REGION/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, metric="normelap_processors", rows="month", cols="NGI", from_="2024-01", to="2024-12")),
    ("/egi/njobs/FEDERATION/Year/2016/01/2025/10/lhc/onlyinfrajobs/",
     view(EGI, metric="njobs", rows="Federation", cols="year", from_="2016-01", to="2025-10", vos="lhc")),
    # metric aliases and units
    ("/egi/normcpu_HEPSPEC06/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="NGI", from_="2024-01", to="2024-12")),
    ("/egi/sumcpu_days/SITE/DATE/2024/1/2024/12/lhc/onlyinfrajobs/",
     view(EGI, metric="sumcpu", rows="Site", from_="2024-01", to="2024-12", vos="lhc", unit="day")),
    ("/egi/normcpu-year/COUNTRY/Year/2020/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="Country", cols="year", from_="2020-01", to="2024-12", unit="year")),
    ("/egi/normcpu/REGION/VO/2024/1/2024/12/egi/onlyinfrajobs/hepspec06/",
     view(EGI, rows="NGI", cols="VO", from_="2024-01", to="2024-12")),
    # a period past the data's end is cut at the last complete month
    ("/egi/normcpu/REGION/DATE/2024/1/2030/12/egi/onlyinfrajobs/",
     view(EGI, rows="NGI", from_="2024-01", to="2025-10")),
    # segments left off from the end take the scope's defaults
    ("/egi/countries/njobs/COUNTRY/", view(EGI, metric="njobs", rows="Country")),
    ("/egi/countries/normcpu/COUNTRY/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="Country", from_="2024-01", to="2024-12")),
    # one operations centre, country, site
    ("/egi/ngi/NGI_DE/normcpu/SITE/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="Site", from_="2024-01", to="2024-12", NGI=["NGI_DE"])),
    ("/egi/ngi/NGI_IT/cpueff/VO/Year/2019/01/2024/12/lhc/onlyinfrajobs/",
     view(EGI, metric="cpueff", rows="VO", cols="year", from_="2019-01", to="2024-12", vos="lhc", NGI=["NGI_IT"])),
    ("/egi/country/United Kingdom/njobs/SITE/3M/2024/01/2025/6/top10/localgridjobs/",
     view(EGI, metric="njobs", rows="Site", cols="quarter", from_="2024-01", to="2025-06", vos="top", top="10",
          jobs="both", Country=["United Kingdom"])),
    ("/egi/country/Germany/normcpu/VO/DATE/2024/1/2024/12/custom-atlas,cms/onlyinfrajobs/",
     view(EGI, rows="VO", from_="2024-01", to="2024-12", vos="custom", vo=["atlas", "cms"], Country=["Germany"])),
    ("/egi/site/CERN-PROD/normcpu/VO/DATE/2024/1/2024/12/all/localinfrajobs/",
     view(EGI, rows="VO", from_="2024-01", to="2024-12", vos="all", jobs="both", Site=["CERN-PROD"])),
    ("/egi/site/RAL-LCG2/normelap_processors/VO/Year/2015/1/2024/12/lhc/onlylocaljobs/",
     view(EGI, metric="normelap_processors", rows="VO", cols="year", from_="2015-01", to="2024-12", vos="lhc",
          jobs="local", Site=["RAL-LCG2"])),
    ("/egi/site/INFN-T1/normcpu-day/VO/DATE/2024/01/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="VO", from_="2024-01", to="2024-12", Site=["INFN-T1"], unit="day")),
    ("/egi/site/pic/elap_processors/SITE/Year/",
     view(EGI, metric="elap_processors", rows="Site", cols="year", Site=["pic"])),
    # the wiki's v2 spelling (S3), and its form without a scope (S4, 2017)
    ("/egi/htc/njobs/SITE/VO/2017/1/2017/12/custom-enmr.eu/onlyinfrajobs/",
     view(EGI, metric="njobs", rows="Site", cols="VO", from_="2017-01", to="2017-12", vos="custom", vo=["enmr.eu"])),
    ("/egi/htc/operations_centres/normalized_sum_cpu/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, rows="NGI", from_="2024-01", to="2024-12")),
    ("/egi/htc/resource_centre/pic/number_of_jobs/VO/DATE/2024/1/2024/12/all/localinfrajobs/",
     view(EGI, metric="njobs", rows="VO", from_="2024-01", to="2024-12", vos="all", jobs="both", Site=["pic"])),
    ("/egi/htc/country/Spain/cpu_efficiency/SITE/Year/2021/1/2024/12/egi/onlyinfrajobs/",
     view(EGI, metric="cpueff", rows="Site", cols="year", from_="2021-01", to="2024-12", Country=["Spain"])),
    # disciplines: no VO group or job type segments
    ("/disciplines/normcpu/DISCIPLINE/DATE/2024/1/2024/12/",
     view(DISC, rows="Discipline1", from_="2024-01", to="2024-12")),
    ("/disciplines/njobs/DISCIPLINE_2/Year/2020/1/2024/12/",
     view(DISC, metric="njobs", rows="Discipline2", cols="year", from_="2020-01", to="2024-12")),
    ("/discipline/High Energy Physics/normcpu/VO/DATE/2024/1/2024/12/",
     view(DISC, rows="VO", from_="2024-01", to="2024-12", Discipline3=["High Energy Physics"])),
    ("/discipline/Natural Sciences/njobs/DISCIPLINE_2/3M/2024/1/2024/12/",
     view(DISC, metric="njobs", rows="Discipline2", cols="quarter", from_="2024-01", to="2024-12",
          Discipline1=["Natural Sciences"])),
]

# (old path, 1-based index of the segment not understood, that segment, a word of the reason)
UNMAPPED = [
    ("/egi/mixed/REGION/DATE/2024/1/2024/12/egi/onlyinfrajobs/", 2, "mixed", "metric"),
    ("/egi/normcpu/SubmitHost/DATE/2024/1/2024/12/egi/onlyinfrajobs/", 3, "SubmitHost", "row variable"),
    ("/egi/normcpu/REGION/DATE/2024/13/2024/12/egi/onlyinfrajobs/", 6, "13", "start month"),
    ("/egi/normcpu/REGION/DATE/2024/6/2024/1/egi/onlyinfrajobs/", 7, "2024", "ends before it starts"),
    ("/egi/normcpu/REGION/REGION/2024/1/2024/12/egi/onlyinfrajobs/", 4, "REGION", "same variable"),
    ("/egi/normcpu/REGION/DATE/2024/1/2024/12/friends/onlyinfrajobs/", 9, "friends", "VO group"),
    ("/egi/normcpu/REGION/DATE/2024/1/2024/12/egi/somejobs/", 10, "somejobs", "job type"),
    ("/egi/site/NDGF-T1/normelap_processors/", 3, "NDGF-T1", "no resource centre"),
    ("/egi/normcpu/REGION/DATE/1990/1/1999/12/egi/onlyinfrajobs/", 5, "1990", "no data"),
]

# Old addresses the site has real pages at: served as they are, never sent to the explorer.
PAGES = ["/egi/countries/njobs/", "/egi/site/pic/elap_processors/", "/egi/", "/egi/countries/", "/egi/njobs/",
         "/egi/njobs/lhc/onlyinfrajobs/", "/egi/ngi/NGI_DE/",
         "/egi/country/Germany/", "/egi/site/CERN-PROD/", "/disciplines/", "/discipline/High~20Energy~20Physics/"]
# The old JSON and CSV output: left for the API (a 404 for now), never sent to the explorer.
OUTPUTS = ["/egi/elap_processors/REGION/Year/2025/01/2025/02/custom-biomed/onlyinfrajobs/JSON/",
           "/egi/htc/njobs/SITE/VO/2017/1/2017/12/custom-enmr.eu/onlyinfrajobs/CSV"]

# Old cloud view addresses (the `/cloud/…` scopes, the cloud names of the small demo) with the
# explorer view each means. Answered by the API's …/JSON/ and …/CSV/ (test_api); the Node and
# browser tests of the HTML form cover the HTC table above.
CLOUD = {"data": "cloud", "metric": "cloud_core_hours", "cols": "month", "vos": "all", **LAST_12}
CLOUD_MAPPED = [
    ("/cloud/sum_elap_processors/REGION/Year/2025/01/2025/02/custom-biomed/onlyinfrajobs/",
     view(CLOUD, rows="NGI", cols="year", from_="2025-01", to="2025-02", vos="custom", vo=["biomed"])),
    ("/cloud/vm_num/SITE/DATE/2025/1/2025/6/all/localinfrajobs/",
     view(CLOUD, metric="cloud_vms", rows="Site", from_="2025-01", to="2025-06")),
    ("/egi/cloud/number_of_virtual_machines/SITE/VO/2024/1/2024/12/top10/onlyinfrajobs/",
     view(CLOUD, metric="cloud_vms", rows="Site", cols="VO", from_="2024-01", to="2024-12", vos="top", top="10")),
    ("/cloud/countries/sum_elap/COUNTRY/3M/2024/01/2025/06/all/onlyinfrajobs/",
     view(CLOUD, metric="cloud_wall", rows="Country", cols="quarter", from_="2024-01", to="2025-06")),
    ("/cloud/site/IFCA-LCG2/sum_elap_processors/VO/DATE/2025/1/2025/3/custom-biomed,enmr.eu/onlyinfrajobs/",
     view(CLOUD, rows="VO", from_="2025-01", to="2025-03", vos="custom", vo=["biomed", "enmr.eu"],
          Site=["IFCA-LCG2"])),
    ("/cloud/ngi/NGI_IBERGRID/net_in/SITE/6M/2024/1/2025/6/all/onlyinfrajobs/",
     view(CLOUD, metric="cloud_net_in", rows="Site", cols="half", from_="2024-01", to="2025-06",
          NGI=["NGI_IBERGRID"])),
    ("/cloud/country/Spain/sum_elap_processors/SITE/Year/2024/01/2025/10/all/onlyinfrajobs/",
     view(CLOUD, rows="Site", cols="year", from_="2024-01", to="2025-10", Country=["Spain"])),
    ("/disciplines/cloud/sum_elap_processors/DISCIPLINE/DATE/2025/1/2025/6/",
     view(CLOUD, rows="Discipline1", from_="2025-01", to="2025-06")),
    ("/discipline/cloud/Bioinformatics/vm_num/VO/3M/2024/1/2025/9/",
     view(CLOUD, metric="cloud_vms", rows="VO", cols="quarter", from_="2024-01", to="2025-09",
          Discipline3=["Bioinformatics"])),
]
