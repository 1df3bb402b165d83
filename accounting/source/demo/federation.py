"""The demo federation: a deterministic, EGI-like accounting source generated offline.

`generate()` writes the layout of `contracts` (HTC month partitions and the topology
tables) for one of the `SCALES`. The same scale and "today" give byte-identical files:
every draw comes from a numpy Generator seeded by a fixed seed (topology: the same
federation at every scale) or the scale's seed and the month (HTC), names are sorted before
they become keys, and nothing reads the clock but `_today()`.

HTC rows are drawn per month as independent "samples" (site, VO, user, CE, benchmark, job
sizes), then samples sharing the APEL summary key are merged, as APEL's summariser does.
A few defects that real accounting data has are injected on purpose (DEFECT_* below) so
the data-quality page has something to report.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from accounting.source.contracts import (CLOUD, DISCIPLINES, GPU, GPU_MODELS, HTC, PLEDGES, SI2K_PER_HS23, SITES, STORAGE, UTC_TS,
                        VOS, Dataset)
from accounting.source.parquet import write_partition, write_table


@dataclass(frozen=True)
class Scale:
    """How big a demo federation is; the seed drives its HTC draws."""

    seed: int
    small_federation: bool  # only the sites marked * in _FEDERATION (~40 sites, 12 NGIs)
    n_vos: int
    samples_per_month: int  # draws per month on the post-2015 plateau, before merging keys
    users_per_vo: int  # personal DNs of the most popular VO (atlas)


SCALES = {
    "small": Scale(seed=101, small_federation=True, n_vos=30, samples_per_month=170, users_per_vo=60),
    "default": Scale(seed=102, small_federation=False, n_vos=150, samples_per_month=6_600, users_per_vo=600),
    "egi": Scale(seed=103, small_federation=False, n_vos=150, samples_per_month=92_000, users_per_vo=6_000),
}

FIRST_YEAR = 2004
_TOPOLOGY_SEED = 2004  # one federation for every scale: the scale's seed only drives the HTC draws
LHC_VOS = ("alice", "atlas", "cms", "lhcb")

# Injected defects, present at every scale (months are inclusive (year, month) ranges).
DEFECT_UNKNOWN_SITES = ("T3_US_NotreDame", "UNREGISTERED-CE-SITE")  # in HTC, not in SITES
DEFECT_VO_SPELLINGS = {"ATLAS": "atlas", "Biomed": "biomed"}  # spelling -> VO in VOS
DEFECT_ZERO_BENCHMARK_SITES = ("GRIF-LLR", "INFN-BARI")  # ServiceLevel 0 for a few months
DEFECT_CPU_OVER_WALL_SITES = ("CESGA",)  # CpuDuration > WallDuration x Processors
_VO_SPELLING_AT = {"ATLAS": ("UKI-SOUTHGRID-OX-HEP", (2016, 3), (2016, 6)),
                   "Biomed": ("IN2P3-LPC", (2013, 1), (2013, 4))}
_ZERO_BENCHMARK_AT = {"GRIF-LLR": ((2017, 9), (2017, 10)), "INFN-BARI": ((2021, 2), (2021, 4))}
_CPU_OVER_WALL_AT = {"CESGA": ((2019, 9), (2019, 9))}
_UNKNOWN_SITE_START = {"T3_US_NotreDame": (2021, 6), "UNREGISTERED-CE-SITE": (2019, 1)}

# Topology history: sites that moved NGI (ROCs became NGIs in the EGEE -> EGI transition)
# or federation. The first SITES row has the old value and ends where the second begins.
SITE_NGI_MOVES = {"CYFRONET-LCG2": ("ROC_CE", dt.date(2010, 5, 1)),
                  "IFCA-LCG2": ("ROC_SWE", dt.date(2010, 5, 1)),
                  "praguelcg2": ("ROC_CE", dt.date(2010, 5, 1))}
SITE_FEDERATION_MOVES = {"UKI-SCOTGRID-DURHAM": ("UK-NorthGrid", dt.date(2012, 4, 1))}

# NGI | country | WLCG tier and pledge federation ("-": not WLCG) | sites (* = also in "small")
_FEDERATION = """
CERN | Switzerland | 0 CH-CERN | *CERN-PROD
NGI_UK | United Kingdom | 1 UK-T1-RAL | *RAL-LCG2
NGI_UK | United Kingdom | 2 UK-London-Tier2 | *UKI-LT2-QMUL UKI-LT2-IC-HEP UKI-LT2-RHUL UKI-LT2-Brunel UKI-LT2-UCL-HEP
NGI_UK | United Kingdom | 2 UK-NorthGrid | *UKI-NORTHGRID-MAN-HEP UKI-NORTHGRID-LANCS-HEP UKI-NORTHGRID-LIV-HEP
NGI_UK | United Kingdom | 2 UK-NorthGrid | UKI-NORTHGRID-SHEF-HEP
NGI_UK | United Kingdom | 2 UK-ScotGrid | *UKI-SCOTGRID-DURHAM UKI-SCOTGRID-GLASGOW UKI-SCOTGRID-ECDF
NGI_UK | United Kingdom | 2 UK-SouthGrid | *UKI-SOUTHGRID-OX-HEP UKI-SOUTHGRID-RALPP UKI-SOUTHGRID-BHAM-HEP
NGI_UK | United Kingdom | 2 UK-SouthGrid | UKI-SOUTHGRID-BRIS-HEP UKI-SOUTHGRID-CAM-HEP
NGI_UK | United Kingdom | - | *UKI-NORTHGRID-HUD UKI-SOUTHGRID-SUSX UKI-LT2-KCL UKI-SCOTGRID-STANDREWS UK-STFC-SCARF
NGI_UK | United Kingdom | - | UKI-NORTHGRID-LIV-HPC UKI-GRIDPP-CLOUD-IC UKI-SOUTHGRID-WARWICK UK-DIRAC-CAM
NGI_UK | United Kingdom | - | UKI-SCOTGRID-ECDF-RDF UKI-NORTHGRID-LANCS-HPC UK-IRIS-DURHAM-COSMA
NGI_DE | Germany | 1 DE-KIT | *FZK-LCG2
NGI_DE | Germany | 2 DE-DESY-RWTH-CMS-T2 | *DESY-HH RWTH-Aachen
NGI_DE | Germany | 2 DE-DESY-GOE-ATLAS-T2 | DESY-ZN GoeGrid
NGI_DE | Germany | 2 DE-FREIBURGWUPPERTAL | UNI-FREIBURG wuppertalprod
NGI_DE | Germany | 2 DE-MCAT | LRZ-LMU MPPMU
NGI_DE | Germany | 2 DE-GSI | GSI-LCG2
NGI_DE | Germany | - | *SCAI *UNI-DORTMUND UNI-SIEGEN-HEP TUDresden-ZIH UNI-BONN JUELICH-JSC KIT-HPC UNI-MAINZ
NGI_DE | Germany | - | HLRS-STUTTGART UNI-HEIDELBERG UNI-TUEBINGEN GWDG-GOETTINGEN UNI-WUERZBURG
NGI_FRANCE | France | 1 FR-CCIN2P3 | *IN2P3-CC
NGI_FRANCE | France | 2 FR-GRIF | *GRIF-LLR GRIF-IRFU GRIF-IJCLAB GRIF-LPNHE
NGI_FRANCE | France | 2 FR-IN2P3-T2 | *IN2P3-LPC IN2P3-CPPM IN2P3-LAPP IN2P3-LPSC IN2P3-SUBATECH IN2P3-IRES IN2P3-CC-T2
NGI_FRANCE | France | - | *MSFG-OPEN AUVERGRID *CREATIS-INSA-LYON *OBSPM IN2P3-IPNL M3PEC GRIF-IPGP IN2P3-LUPM
NGI_FRANCE | France | - | IRISA-RENNES LAPP-MUST IN2P3-LAL CPPM-MESOCENTRE
NGI_IT | Italy | 1 IT-INFN-CNAF | *INFN-T1
NGI_IT | Italy | 2 IT-INFN-T2 | *INFN-BARI INFN-CATANIA INFN-FRASCATI INFN-LNL-2 INFN-MILANO-ATLASC INFN-NAPOLI-ATLAS
NGI_IT | Italy | 2 IT-INFN-T2 | INFN-PISA INFN-ROMA1 INFN-ROMA1-CMS INFN-TORINO INFN-PADOVA
NGI_IT | Italy | - | *INFN-BOLOGNA INFN-CAGLIARI INFN-FERRARA INFN-GENOVA INFN-PERUGIA INFN-TRIESTE UNI-PERUGIA
NGI_IT | Italy | - | *UNINA-EGEE SISSA-TRIESTE *ENEA-GRID RECAS-NAPOLI INFN-LECCE CNR-ISTI UNIPA-COMETA
NGI_IT | Italy | - | CINECA-HPC INFN-MILANO UNICAL-GRID INFN-PAVIA
NGI_IBERGRID | Spain | 1 ES-PIC | *pic
NGI_IBERGRID | Spain | 2 ES-ATLAS-T2 | IFAE IFIC-LCG2 UAM-LCG2
NGI_IBERGRID | Spain | 2 ES-CMS-T2 | *IFCA-LCG2 CIEMAT-LCG2
NGI_IBERGRID | Spain | 2 ES-LHCb-T2 | USC-LCG2
NGI_IBERGRID | Spain | - | *CESGA *BIFI UPV-GRyCAP CETA-GRID IFISC-GRID CESGA-CLOUD CIEMAT-TIC UAM-CC
NGI_IBERGRID | Portugal | 2 PT-LIP-LCG-Tier2 | *NCG-INGRID-PT LIP-Lisbon
NGI_IBERGRID | Portugal | - | INCD-Lisbon UMINHO-CP UC-LCA
NGI_NDGF | Denmark | 1 NDGF-T1 | NDGF-T1
NGI_NDGF | Finland | 2 FI-HIP-T2 | *FI_HIP_T2
NGI_NDGF | Sweden | 2 SE-SNIC-T2 | SE-SNIC-T2
NGI_NDGF | Norway | 2 NO-NORGRID-T2 | UiO-HEP
NGI_NDGF | Sweden | - | *HPC2N NSC-LiU
NGI_NDGF | Denmark | - | DK-DCSC
NGI_NDGF | Norway | - | UNINETT-SIGMA2
NGI_NDGF | Finland | - | CSC-PUHTI
NGI_NL | Netherlands | 1 NL-T1 | SARA-MATRIX NIKHEF-ELPROD
NGI_NL | Netherlands | - | *RUG-CIT TUDelft-RID WUR-Bioinf *AMC-Amsterdam SURF-LISA SURF-HPC UVA-SNE
NGI_CZ | Czech Republic | 2 CZ-Prague-T2 | *praguelcg2
NGI_CZ | Czech Republic | - | *prague_cesnet_lcg2 *CESNET-MetaCloud VSB-IT4I MU-BRNO CUNI-PRAGUE
NGI_PL | Poland | 2 PL-TIER2-WLCG | *CYFRONET-LCG2 WCSS64 PSNC
NGI_PL | Poland | - | *ICM *TASK CYFRONET-CLOUD PSNC-CLOUD WCSS-HPC
AsiaPacific | Taiwan | 1 TW-ASGC | Taiwan-LCG2
AsiaPacific | South Korea | 1 KR-KISTI-GSDC | KR-KISTI-GSDC-01
AsiaPacific | Japan | 2 JP-Tokyo-ATLAS-T2 | *TOKYO-LCG2
AsiaPacific | Australia | 2 AU-ATLAS | Australia-ATLAS
AsiaPacific | South Korea | 2 KR-KNU-T2 | KR-KNU-T2
AsiaPacific | Taiwan | - | TW-NCUHEP TW-NTU-HEP
AsiaPacific | Australia | - | AU-NECTAR-MELBOURNE
AsiaPacific | South Korea | - | KR-KISTI-CLOUD
AsiaPacific | Japan | - | *JP-KEK-CRC-02 JP-NII-GRID
OSG | United States | 1 US-T1-BNL | BNL-ATLAS
OSG | United States | 1 US-FNAL-CMS | USCMS-FNAL-WC1
OSG | United States | 2 US-MWT2 | MWT2
OSG | United States | 2 US-AGLT2 | *AGLT2
OSG | United States | 2 US-Nebraska | Nebraska
NGI_SK | Slovakia | 2 SK-Tier2-Federation | FMPhI-UNIBA IEPSAS-Kosice
NGI_SK | Slovakia | - | TU-Kosice SK-CC-SAS
NGI_HU | Hungary | 2 HU-HGCC-T2 | BUDAPEST
NGI_HU | Hungary | - | NIIF ELTE SZTAKI DEBRECEN-GRID
NGI_GRNET | Greece | 2 GR-Ioannina-HEP | GR-07-UOI-HEPLAB
NGI_GRNET | Greece | - | HG-01-GRNET HG-02-IASA HG-03-AUTH HG-04-CTI-CEID HG-05-FORTH HG-06-EKT
NGI_GRNET | Greece | - | HG-07-UPATRAS HG-08-OKEANOS
NGI_TR | Turkey | 2 TR-Tier2-federation | TR-03-METU TR-10-ULAKBIM
NGI_TR | Turkey | - | TR-04-ERCIYES TR-05-BOUN TR-11-ITU
NGI_UA | Ukraine | 2 UA-Tier2-Federation | UA-KNU UA-BITP
NGI_UA | Ukraine | - | UA-ISMA UA-IMBG UA-PIMEE UA-KPI
NGI_CH | Switzerland | 2 CH-CHIPP-CSCS | CSCS-LCG2 UNIBE-LHEP
NGI_CH | Switzerland | - | UNIGE-DPNC UNIBE-ID UZH-S3IT
NGI_BG | Bulgaria | - | BG01-IPP BG02-IM BG03-NGCC BG04-ACAD BG05-SUGrid BG06-IICT
NGI_RO | Romania | 2 RO-LCG | RO-07-NIPNE RO-11-NIPNE RO-13-ISS RO-16-UAIC RO-02-NIPNE
NGI_RO | Romania | - | RO-03-UPB RO-14-ITIM RO-15-NIPNE
NGI_SI | Slovenia | 2 SI-SiGNET | SiGNET
NGI_SI | Slovenia | - | ARNES IJS-VEGA SI-UNI-MB
NGI_HR | Croatia | - | SRCE HR-01-RBI CRO-NGI HR-02-UNIZG
NGI_IL | Israel | 2 IL-HEPTier-2 | IL-TAU-HEP TECHNION-HEP WEIZMANN-LCG2
NGI_IL | Israel | - | IL-BGU
NGI_BE | Belgium | 2 BE-TIER2 | BEgrid-ULB-VUB BelGrid-UCL
NGI_BE | Belgium | - | BEgrid-KULeuven VSC-Ghent
NGI_IE | Ireland | - | csTCDie cpDIASie IE-ICHEC IE-UCD
NGI_ARMENIA | Armenia | 2 AM-YERPHI | AM-04-YERPHI
NGI_ARMENIA | Armenia | - | AM-02-SEUA
NGI_CHINA | China | 2 CN-IHEP | BEIJING-LCG2
NGI_CHINA | China | - | CN-SJTU CN-IHEP-BES CN-USTC
AfricaArabia | South Africa | 2 ZA-CHPC | ZA-CHPC
AfricaArabia | South Africa | - | ZA-WITS-CORE ZA-UJ ZA-UCT-ICTS
AfricaArabia | Egypt | - | EG-01-ASRT
AfricaArabia | Morocco | - | MA-01-CNRST
ROC_LA | Brazil | 2 BR-SP-SAMPA | SAMPA
ROC_LA | Brazil | - | CBPF UFRJ-IF
ROC_LA | Mexico | - | ICN-UNAM MX-CINVESTAV
ROC_LA | Chile | - | EELA-UTFSM
ROC_CANADA | Canada | 1 CA-TRIUMF | TRIUMF-LCG2
ROC_CANADA | Canada | 2 CA-EAST-T2 | CA-SCINET-T2 CA-MCGILL-CLUMEQ-T2
ROC_CANADA | Canada | 2 CA-WEST-T2 | CA-VICTORIA-WESTGRID-T2 SFU-LCG2
ROC_CANADA | Canada | - | CA-ALBERTA-WESTGRID CA-COMPUTECANADA-CEDAR
Russia | Russia | 1 RU-JINR-T1 | JINR-T1
Russia | Russia | 1 RU-RRC-KI-T1 | RRC-KI-T1
Russia | Russia | 2 RU-RDIG | JINR-LCG2 ru-PNPI RU-Protvino-IHEP ITEP RRC-KI ru-Moscow-SINP
Russia | Russia | - | ru-SPbSU RU-SARFTI RU-NSU RU-KIAM
NGI_AT | Austria | 2 AT-HEPHY-VIENNA-UIBK | Hephy-Vienna
NGI_AT | Austria | - | AT-UIBK-HEP VSC-Vienna AT-JKU-LINZ
NGI_RS | Serbia | - | AEGIS01-IPB-SCL AEGIS03-ELEF-LEDA AEGIS11-MISANU AEGIS04-KG
NGI_MK | North Macedonia | - | MK-01-UKIM_II MK-04-FINKI
NGI_BA | Bosnia and Herzegovina | - | BA-01-ETFBL BA-03-ETFSA
NGI_ME | Montenegro | - | MREN-01-CIS
NGI_MD | Moldova | - | MD-01-TUM MD-02-IMI
NGI_GE | Georgia | - | GE-01-GRENA
NGI_BY | Belarus | - | BY-NCPHEP BY-UIIP
NGI_CY | Cyprus | - | CY-01-KIMON CY-02-CYGRID
"""
_COUNTRY_CODES = dict(pair.split("=") for pair in (
    "Switzerland=CH;United Kingdom=UK;Germany=DE;France=FR;Italy=IT;Spain=ES;Portugal=PT;Denmark=DK;"
    "Finland=FI;Sweden=SE;Norway=NO;Netherlands=NL;Czech Republic=CZ;Poland=PL;Taiwan=TW;"
    "South Korea=KR;Japan=JP;Australia=AU;United States=US;Slovakia=SK;Hungary=HU;Greece=GR;"
    "Turkey=TR;Ukraine=UA;Bulgaria=BG;Romania=RO;Slovenia=SI;Croatia=HR;Israel=IL;Belgium=BE;"
    "Ireland=IE;Armenia=AM;China=CN;South Africa=ZA;Egypt=EG;Morocco=MA;Brazil=BR;Mexico=MX;"
    "Chile=CL;Canada=CA;Russia=RU;Austria=AT;Serbia=RS;North Macedonia=MK;"
    "Bosnia and Herzegovina=BA;Montenegro=ME;Moldova=MD;Georgia=GE;Belarus=BY;Cyprus=CY").split(";"))

# Level 1 > level 2: level-3 leaves (after the EGI / OECD fields-of-science classification)
_DISCIPLINE_TREE = """
Natural Sciences > Mathematics: Pure Mathematics; Applied Mathematics; Statistics and Probability
Natural Sciences > Computer and Information Sciences: Computer Science; Information Science; Artificial Intelligence
Natural Sciences > Physical Sciences: High Energy Physics; Nuclear Physics; Astroparticle Physics; \
Astronomy and Astrophysics; Condensed Matter Physics; Plasma Physics; Optics and Photonics
Natural Sciences > Chemical Sciences: Computational Chemistry; Physical Chemistry; Organic Chemistry; \
Inorganic Chemistry
Natural Sciences > Earth and Related Environmental Sciences: Geosciences; Seismology; \
Climatology and Atmospheric Sciences; Oceanography; Hydrology; Volcanology
Natural Sciences > Biological Sciences: Bioinformatics; Structural Biology; Genetics and Genomics; \
Molecular Biology; Ecology; Biophysics
Engineering and Technology > Civil Engineering: Structural Engineering; Transport Engineering
Engineering and Technology > Electrical and Electronic Engineering: Telecommunications; Robotics and Automation
Engineering and Technology > Mechanical Engineering: Aerospace Engineering; Computational Fluid Dynamics
Engineering and Technology > Materials Engineering: Materials Science; Nanotechnology
Engineering and Technology > Environmental Engineering: Energy Systems; Remote Sensing
Medical and Health Sciences > Basic Medicine: Neurosciences; Pharmacology; Immunology
Medical and Health Sciences > Clinical Medicine: Medical Imaging; Oncology; Radiotherapy
Medical and Health Sciences > Health Sciences: Epidemiology; Public Health
Agricultural Sciences > Agriculture, Forestry and Fisheries: Agronomy; Forestry; Fisheries
Agricultural Sciences > Animal and Dairy Science: Animal Science
Agricultural Sciences > Agricultural Biotechnology: Plant Genomics
Social Sciences > Economics and Business: Economics; Finance
Social Sciences > Psychology: Cognitive Psychology
Social Sciences > Social and Economic Geography: Urban Studies; Demography
Humanities > History and Archaeology: Archaeology; History
Humanities > Languages and Literature: Linguistics; Digital Humanities
Humanities > Arts: Musicology
Support Activities > Infrastructure Operations: Monitoring and Testing; Middleware Development
Support Activities > Training and Education: Training
Other > Multidisciplinary: Multidisciplinary
"""

# Real VOs, most used first (non-LHC order sets their Zipf rank). Flags: E = EGI official,
# YYYY-[YYYY] = years active (default: from 2004 on), @NGI = national VO run only there.
_VO_LIST = """
atlas | High Energy Physics | E
cms | High Energy Physics | E
alice | High Energy Physics | E
lhcb | High Energy Physics | E
ops | Monitoring and Testing | E
dteam | Monitoring and Testing | E
biomed | Bioinformatics | E
belle | High Energy Physics | E 2010-
vo.access.egi.eu | Multidisciplinary | E 2015-
enmr.eu | Structural Biology | E 2008-
gridpp | Multidisciplinary | @NGI_UK
vo.france-grilles.fr | Multidisciplinary | @NGI_FRANCE 2010-
compchem | Computational Chemistry | E
auger | Astroparticle Physics | E
virgo | Astronomy and Astrophysics | E
km3net.org | Astroparticle Physics | E 2013-
icecube | Astroparticle Physics | E 2011-
t2k.org | High Energy Physics | E 2009-
skatelescope.eu | Astronomy and Astrophysics | E 2018-
ilc | High Energy Physics | E
lsst | Astronomy and Astrophysics | 2016-
pheno | High Energy Physics |
cta | Astroparticle Physics | E 2014-
hone | High Energy Physics | E 2004-2016
zeus | High Energy Physics | E 2004-2014
snoplus.snolab.ca | Nuclear Physics | 2012-
ligo | Astronomy and Astrophysics | 2016-
calice | High Energy Physics | E
eiscat.se | Climatology and Atmospheric Sciences | E 2008-
vo.elixir-europe.org | Bioinformatics | E 2017-
fermi | Astroparticle Physics | 2008-
desy | High Energy Physics |
fusion | Plasma Physics | E
esr | Geosciences | E 2004-2015
na62.vo.gridpp.ac.uk | High Energy Physics | 2014-
dune | High Energy Physics | 2018-
lofar | Astronomy and Astrophysics | E 2011-
magic | Astroparticle Physics | E
mice | High Energy Physics | 2008-2018
vo.plgrid.pl | Multidisciplinary | @NGI_PL 2011-
gridit | Multidisciplinary | @NGI_IT
vo.emso-eric.eu | Oceanography | E 2019-
vo.clarin.eu | Linguistics | E 2016-
vo.neugrid.eu | Neurosciences | E 2010-
lz | Astroparticle Physics | 2016-
comet.j-parc.jp | High Energy Physics | 2015-
vo.darkside.org | Astroparticle Physics | 2015-
xenon.biggrid.nl | Astroparticle Physics | 2015-
superbvo.org | High Energy Physics | 2011-2014
geant4 | High Energy Physics | E
planck | Astronomy and Astrophysics | 2006-2014
vo.moedal.org | High Energy Physics | 2014-
euclid-ec.org | Astronomy and Astrophysics | 2017-
training.egi.eu | Training | E 2015-
cernatschool.org | Training | 2013-
hungrid | Multidisciplinary | @NGI_HU
see | Multidisciplinary | E 2006-2016
vo.lifewatch.eu | Ecology | E 2016-
vo.iiasa.ac.at | Economics | 2014-
vo.dariah.eu | Digital Humanities | 2016-
vo.eu-decide.eu | Neurosciences | 2011-2014
vo.aginfra.eu | Agronomy | 2013-2017
vo.opencoast.eu | Oceanography | E 2018-
worsica.vo.incd.pt | Hydrology | @NGI_IBERGRID 2019-
vo.nextgeoss.eu | Remote Sensing | E 2018-
vo.seadatanet.org | Oceanography | E 2017-
prod.vo.eu-eela.eu | Multidisciplinary | @ROC_LA 2008-2013
vo.complex-systems.eu | Applied Mathematics | E 2009-
vo.indigo-datacloud.eu | Computer Science | 2016-2019
vo.nbis.se | Bioinformatics | @NGI_NDGF 2016-
"""
_LHC_WEIGHT = {"atlas": 1.0, "cms": 0.8, "alice": 0.45, "lhcb": 0.4}
_VO_SUBGROUPS = {"atlas": "lcg1 de fr it uk ca", "cms": "becms dcms escms itcms uscms", "ops": "NGI",
                 "biomed": "lcg", "belle": "jp"}
_TLDS = "eu org fr it de es pl cz nl pt gr hu ro uk".split()
_ROLES = ("Role=NULL", "Role=lcgadmin", "Role=pilot", "Role=production")  # sorted; 1..3 = robots
_ROBOTS = (("SAM Monitoring", "sam"), ("Pilot", "pilot"), ("Production", "prod"))  # robot DNs of roles 1..3
_BENCH_SPELLINGS = ("si2k", "SI2K", "HEPSPEC", "hepspec", "HEPscore23", "hepscore23")  # type = code // 2
_FIRST = ("Anna Pavel Maria Jan Sofia Luca Elena Tomas Laura Marco Eva Pierre Ana Jonas Ines Mehmet Olga "
          "David Chiara Nikos Petra Ahmed Hanna Diego Yuki Wei Sara Igor Lena Paulo").split()
_LAST = ("Novak Rossi Muller Dubois Garcia Silva Kowalski Horvath Jensen Smith Papadopoulos Ivanov "
         "Yilmaz Cohen Nagy Popescu Costa Bianchi Schmidt Martin Kovac Lindqvist Tanaka Chen Kim "
         "Fernandez Petrov Walsh Moreau Berg").split()


def write_months(dataset: Dataset, source_dir: Path, first: int, today: dt.date, draw, progress: bool) -> int:
    """Write dataset's month partitions from month index first to today's: draw(m) gives
    month m's table, or None for a month without rows. Returns the row count."""
    rows = 0
    for m in tqdm(range(first, _month_index(today.year, today.month) + 1), desc=f"demo {dataset.name} months",
                  unit="month", file=sys.stderr, disable=not progress):
        table = draw(m)
        if table is not None:
            write_partition(dataset, table, source_dir, FIRST_YEAR + m // 12, m % 12 + 1)
            rows += table.num_rows
    return rows


def _today() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    return now.date()


def _month_index(year: int, month: int) -> int:
    return (year - FIRST_YEAR) * 12 + month - 1


def _epoch(m: int) -> int:
    """Start of month index m, in seconds since 1970 (UTC)."""
    return (dt.date(FIRST_YEAR + m // 12, m % 12 + 1, 1) - dt.date(1970, 1, 1)).days * 86400


def month_span(m: int, today_ts: int) -> tuple[int, int, int]:
    """Start and end of month index m, and its end so far: today in the current month (s since 1970)."""
    start, full_end = _epoch(m), _epoch(m + 1)
    return start, full_end, min(full_end, today_ts)


def _growth(year: float) -> float:
    """Federation activity: ramps up through the EGEE years and flattens after ~2015."""
    return 1 / (1 + np.exp(-(year - 2009.5) / 1.6))


class _Names:
    """The names of one key column. Samples hold codes; rank[code] orders them by name,
    so sorting on ranks sorts rows by the names themselves."""

    def __init__(self, names: list[str]):
        if len(set(names)) != len(names):
            raise ValueError("demo names must be unique")
        self.code = np.array(sorted(range(len(names)), key=names.__getitem__), np.int64)
        self.rank = np.empty(len(names), np.int64)
        self.rank[self.code] = np.arange(len(names))
        self.sorted = pa.array([names[i] for i in self.code], pa.string())


def _choose(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one column per sample, from weights[rows[i]] (rows of a matrix, not normalised).

    Row r's cumulative distribution is shifted to [r, r+1] and all rows are searched at
    once, so this is a single vectorised searchsorted however many distributions there are.
    """
    cum = np.cumsum(weights, axis=1)
    cum = cum / cum[:, -1:] + np.arange(len(weights))[:, None]  # x/x is exactly 1
    picked = np.searchsorted(cum.ravel(), rows + rng.random(len(rows)), side="right")
    return np.minimum(picked - rows * weights.shape[1], weights.shape[1] - 1)


@dataclass
class _Sites:
    names: list[str]
    ngi: list[str]
    country: list[str]
    tier: list[str | None]
    federation: list[str | None]
    registered: np.ndarray  # False: only in HTC (DEFECT_UNKNOWN_SITES)
    start: np.ndarray  # first month index with rows
    end: np.ndarray  # first month index without rows (decommissioned), huge if active
    size: np.ndarray  # capacity, relative to an average Tier-2
    share: np.ndarray  # share of the federation's samples
    n_ce: np.ndarray  # 1..5 computing elements
    hosts: _Names  # SubmitHost of CE j (0..4) of site s in era e (0 CREAM, 1 HTCondor/ARC): 10*s + 2*j + e
    modern_from: np.ndarray  # month the site replaced its CREAM CEs
    local_share: np.ndarray  # share of samples that are local (non-grid) jobs
    bench: np.ndarray  # (site, CE) HS06 per core in 2010
    hs23_ratio: np.ndarray  # HEPscore23 / HEPSPEC06 measured on the site's hardware
    hs06_from: np.ndarray  # month the site moved from si2k to HEPSPEC
    hs23_from: np.ndarray  # month the site moved to HEPscore23 (huge: never)
    spelling: np.ndarray  # (site, benchmark type) code into _BENCH_SPELLINGS
    decommissioned: np.ndarray  # closed in GOCDB: not certified any more
    production: np.ndarray


def _sites(sc: Scale) -> _Sites:
    rng = np.random.default_rng([_TOPOLOGY_SEED, 1])
    rows = []
    for line in _FEDERATION.strip().splitlines():
        ngi, country, fed, names = (part.strip() for part in line.split("|"))
        tier, _, fed = fed.partition(" ")
        rows += [(n.lstrip("*"), ngi, country, {"0": "Tier-0", "1": "Tier-1", "2": "Tier-2"}.get(tier), fed or None)
                 for n in names.split() if n.startswith("*") or not sc.small_federation]
    rows += [(name, "", "United States", None, None) for name in DEFECT_UNKNOWN_SITES]
    names, ngi, country, tier, fed = map(list, zip(*rows))
    n = len(names)
    tier_code = np.array([{"Tier-0": 0, "Tier-1": 1, "Tier-2": 2}.get(t, 3) for t in tier])
    registered = np.array([s not in DEFECT_UNKNOWN_SITES for s in names])
    # Sites named in the topology moves and defects exist from the start and never close.
    pinned = np.isin(names, [*SITE_NGI_MOVES, *SITE_FEDERATION_MOVES, *(v[0] for v in _VO_SPELLING_AT.values()),
                             *_ZERO_BENCHMARK_AT, *_CPU_OVER_WALL_AT])
    # More sites over time: Tier-2s join early, other sites spread (denser later) up to 2022.
    start_year = np.where(tier_code == 2, FIRST_YEAR + np.minimum(rng.exponential(2.0, n), 8),
                          FIRST_YEAR + 18 * np.sqrt(rng.random(n)))
    start = np.where((tier_code < 2) | pinned, 0, (start_year - FIRST_YEAR) * 12).astype(np.int64)
    start[~registered] = [_month_index(*_UNKNOWN_SITE_START[s]) for s in names if s in _UNKNOWN_SITE_START]
    decommissioned = (tier_code == 3) & ~pinned & registered & (rng.random(n) < 0.07)
    end = np.where(decommissioned, np.minimum(start + rng.integers(36, 144, n), _month_index(2024, 12)), 10**6)
    size = np.choose(tier_code, [10.0, 3 * rng.lognormal(0, 0.3, n), rng.lognormal(0, 0.5, n),
                                 0.4 * rng.lognormal(0, 0.9, n)])
    # Each tier's share of the samples is fixed, so the small federation (a subset) has the mix of the full one.
    capacity = np.where(registered, size, 0)
    share = capacity / np.bincount(tier_code, capacity)[tier_code] * np.array([0.06, 0.2, 0.42, 0.32])[tier_code]
    share[~registered] = 0.002
    n_ce = np.clip(1 + rng.poisson(np.sqrt(size)), 1, 5)
    arc = np.isin(ngi, ["NGI_NDGF", "NGI_SI"]) | (rng.random(n) < 0.15)
    hosts = _Names([_submit_host(names[s], country[s], j, era, arc[s], rng.integers(4))
                    for s in range(n) for j in range(5) for era in range(2)])
    candidates = (tier_code == 3) & registered & ~pinned & ~decommissioned  # for Production=False
    hs23_from = _month_index(2023, 3) + rng.integers(0, 46, n)
    return _Sites(
        names=names, ngi=ngi, country=country, tier=tier, federation=fed, registered=registered,
        start=start, end=end, size=size, share=share, n_ce=n_ce, hosts=hosts,
        modern_from=_month_index(2015, 1) + rng.integers(0, 72, n),
        local_share=np.where(rng.random(n) < 1 / 3, rng.uniform(0.15, 0.45, n), 0.0),
        bench=rng.uniform(6.5, 9.5, (n, 1)) * rng.uniform(0.85, 1.15, (n, 5)),
        hs23_ratio=rng.uniform(0.97, 1.08, n),
        hs06_from=_month_index(2009, 1) + rng.integers(0, 30, n),
        hs23_from=np.where(rng.random(n) < 0.25, 10**6, hs23_from),
        spelling=np.arange(0, 6, 2) + (rng.random((n, 3)) < [0.3, 0.15, 0.2]),
        decommissioned=decommissioned,
        production=~np.isin(np.arange(n), rng.choice(np.flatnonzero(candidates), max(1, n // 100), replace=False)))


def site_domain(site: str, country: str) -> str:
    """The demo's DNS domain of a site: its name under the country's top-level domain."""
    cc = _COUNTRY_CODES[country]
    return f"{site.lower().replace('_', '-')}.{ {'UK': 'ac.uk', 'US': 'edu'}.get(cc, cc.lower())}"


def _submit_host(site: str, country: str, j: int, era: int, arc: bool, batch: int) -> str:
    domain = site_domain(site, country)
    if arc:  # ARC CEs: the GridFTP interface, later the REST one
        return f"https://arc{j + 1:02d}.{domain}:443/arex" if era else f"gsiftp://arc{j + 1:02d}.{domain}:2811/jobs"
    if era == 0:
        return f"cream{j + 1:02d}.{domain}:8443/cream-{('pbs', 'lsf', 'sge', 'slurm')[batch]}-long"
    return f"ce{j + 1:02d}.{domain}:9619/ce{j + 1:02d}.{domain}-condor"


def _discipline_rows() -> list[tuple[str, str, str]]:
    """(leaf, level 2, level 1) for every leaf of the tree."""
    rows = []
    for line in _DISCIPLINE_TREE.strip().splitlines():
        path, leaves = line.split(": ")
        level1, level2 = path.split(" > ")
        rows += [(leaf, level2, level1) for leaf in leaves.split("; ")]
    return rows


@dataclass
class _Vos:
    names: list[str]
    discipline: list[str]
    official: np.ndarray
    lhc: np.ndarray
    start: np.ndarray  # first active month index
    end: np.ndarray  # first inactive month index
    home_ngi: list[str | None]  # national VOs run only in their NGI
    popularity: np.ndarray  # Zipf-like weight of non-LHC VOs
    jobs_mu: np.ndarray  # log of the median jobs per summary sample
    wall_mu: np.ndarray  # log of the median hours per job
    roles: np.ndarray  # (VO, role) weights
    dns: _Names  # per VO: 3 robot DNs (roles 1..3), then its personal DNs
    dn_offset: np.ndarray
    dn_count: np.ndarray  # personal DNs
    groups: _Names  # per VO: "/vo", then its subgroups
    group_offset: np.ndarray
    group_count: np.ndarray


def _vo_specs(sc: Scale, rng: np.random.Generator) -> list[tuple[str, str, list[str]]]:
    """The real VOs, then generated ones named after their discipline, up to sc.n_vos."""
    specs = [tuple(p.strip() for p in line.split("|")) for line in _VO_LIST.strip().splitlines()]
    specs = [(name, leaf, flags.split()) for name, leaf, flags in specs]
    leaves = [leaf for leaf, _, level1 in _discipline_rows() if level1 != "Support Activities"]
    taken = {name for name, _, _ in specs}
    while len(specs) < sc.n_vos:
        leaf = leaves[rng.integers(len(leaves))]
        name = f"vo.{leaf.lower().replace(' and ', ' ').replace(' ', '-')}.{_TLDS[rng.integers(len(_TLDS))]}"
        first = int(rng.integers(2006, 2022))
        years = f"{first}-{first + rng.integers(3, 12) if rng.random() < 0.3 else ''}"
        if name not in taken:
            taken.add(name)
            specs.append((name, leaf, ["E", years] if rng.random() < 0.55 else [years]))
    return specs[:sc.n_vos]


def _vos(sc: Scale) -> _Vos:
    rng = np.random.default_rng([_TOPOLOGY_SEED, 2])
    specs = _vo_specs(sc, rng)
    names = [name for name, _, _ in specs]
    n = len(names)
    lhc = np.isin(names, LHC_VOS)
    years = [next((f for f in flags if f[:4].isdigit()), f"{FIRST_YEAR}-") for _, _, flags in specs]
    start = np.array([_month_index(int(y[:4]), 1) for y in years])
    end = np.array([_month_index(int(y[5:]) + 1, 1) if y[5:] else 10**6 for y in years])
    rank = np.cumsum(~lhc) - 1
    popularity = np.where(lhc, [_LHC_WEIGHT.get(v, 0.0) for v in names], 1 / (rank + 1.5) ** 1.1)
    popularity = popularity * rng.lognormal(0, 0.3, n)
    ops = np.isin(names, ["ops", "dteam"])
    roles = np.where(lhc[:, None], [0.25, 0.02, 0.45, 0.28], [0.6, 0.03, 0.12, 0.25])
    roles[ops] = [0.3, 0.7, 0.0, 0.0]
    dns, dn_offset, dn_count = _user_dns(sc, rng, names, lhc, popularity)
    groups = [[f"/{v}"] + [f"/{v}/{sub}" for sub in _VO_SUBGROUPS.get(v, "").split()] for v in names]
    return _Vos(
        names=names, discipline=[leaf for _, leaf, _ in specs],
        official=np.array(["E" in flags for _, _, flags in specs]), lhc=lhc, start=start, end=end,
        home_ngi=[next((f[1:] for f in flags if f.startswith("@")), None) for _, _, flags in specs],
        popularity=popularity,
        jobs_mu=np.where(lhc, np.log(50), np.where(ops, np.log(30), np.log(35) + rng.normal(0, 0.4, n))),
        wall_mu=np.where(lhc, np.log(2.5), np.where(ops, np.log(0.05), np.log(3) + rng.normal(0, 0.4, n))),
        roles=roles, dns=dns, dn_offset=dn_offset, dn_count=dn_count,
        groups=_Names([g for gs in groups for g in gs]),
        group_offset=np.cumsum([0] + [len(g) for g in groups[:-1]]), group_count=np.array([len(g) for g in groups]))


def _user_dns(sc: Scale, rng: np.random.Generator, names: list[str], lhc: np.ndarray,
              popularity: np.ndarray) -> tuple[_Names, np.ndarray, np.ndarray]:
    """Robot and personal certificate DNs of every VO; a serial number keeps each unique."""
    count = np.maximum(3, np.rint(sc.users_per_vo * np.sqrt(popularity / popularity.max()))).astype(np.int64)
    serials = iter(100_000 + rng.choice(900_000, int(count.sum()) + 3 * len(names), replace=False))
    orgs = [("CH", "CERN"), ("IT", "INFN"), ("FR", "CNRS"), ("DE", "DESY"), ("UK", "STFC"), ("ES", "CSIC"),
            ("CZ", "CESNET"), ("NL", "Nikhef"), ("DE", "KIT"), ("PT", "LIP"), ("PL", "Cyfronet"), ("GR", "GRNET")]
    dns, offset = [], []
    for v, vo in enumerate(names):
        offset.append(len(dns))
        for kind, login in _ROBOTS:
            dns.append(f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={vo[:3].replace('lhc', 'lb')}{login}"
                       f"/CN={next(serials)}/CN=Robot: {vo.upper()} {kind}" if lhc[v]
                       else f"/DC=eu/DC=egi/O=Robots/O={vo}/CN=Robot: {vo} {kind}")
        draws = (rng.integers(len(_FIRST), size=count[v]), rng.integers(len(_LAST), size=count[v]),
                 rng.integers(len(orgs), size=count[v]), rng.random(count[v]) < 0.25)
        for first, last, org, cern in zip(*draws):
            first, last, (cc, o), serial = _FIRST[first], _LAST[last], orgs[org], next(serials)
            dns.append(f"/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN={(first[0] + last)[:8].lower()}"
                       f"/CN={serial}/CN={first} {last}" if lhc[v] or cern
                       else f"/DC=org/DC=terena/DC=tcs/C={cc}/O={o}/CN={first} {last} {serial}")
    return _Names(dns), np.array(offset), count


def _site_vo_weights(sites: _Sites, vos: _Vos) -> np.ndarray:
    """(site, VO) share of a site's samples: WLCG sites mostly LHC, the others mostly not."""
    rng = np.random.default_rng([_TOPOLOGY_SEED, 3])
    n_sites, lhc = len(sites.names), np.flatnonzero(vos.lhc)
    others = np.flatnonzero(~vos.lhc & ~np.isin(vos.names, ["ops", "dteam"]))
    weights = np.zeros((n_sites, len(vos.names)))
    for s, name in enumerate(sites.names):
        label = f"{name} {sites.federation[s]}".lower()
        named = [v for v in lhc if vos.names[v] in label]  # e.g. INFN-NAPOLI-ATLAS, ES-CMS-T2
        supported = (named or [v for v in lhc if rng.random() < {"atlas": 0.8, "cms": 0.6}.get(vos.names[v], 0.45)]
                     or lhc[:1])
        if sites.tier[s] == "Tier-0":
            supported, lhc_share = lhc, 0.9
        elif sites.tier[s] == "Tier-1":
            lhc_share = 0.85
        elif sites.tier[s] == "Tier-2":
            lhc_share = rng.uniform(0.55, 0.85)
        else:  # a few non-WLCG sites also serve the LHC VOs (Tier-3s)
            lhc_share = rng.uniform(0.1, 0.4) if rng.random() < 0.3 else 0.0
        if lhc_share:
            weights[s, supported] = lhc_share * vos.popularity[supported] / vos.popularity[supported].sum()
        local = np.array([vos.home_ngi[v] in (None, sites.ngi[s]) for v in others])
        candidates = others[local]
        k = min(len(candidates), 2 + rng.poisson(3 + 4 * np.sqrt(sites.size[s])))
        p = vos.popularity[candidates] / vos.popularity[candidates].sum()
        chosen = rng.choice(candidates, k, replace=False, p=p)
        share = vos.popularity[chosen] * rng.lognormal(0, 0.7, k)
        weights[s, chosen] = (0.95 - lhc_share) * share / share.sum()
    weights[:, vos.names.index("ops")] = 0.04
    weights[:, vos.names.index("dteam")] = 0.01
    return weights


def _within(m: int, first: tuple[int, int], last: tuple[int, int]) -> bool:
    return _month_index(*first) <= m <= _month_index(*last)


def _si2k_divisor(bench_code: np.ndarray) -> np.ndarray:
    """si2k benchmarks are normalised into HEPSPEC06 (= HEPscore23) units."""
    return np.where(bench_code // 2 == 0, SI2K_PER_HS23, 1)


class _Federation:
    """Draws one month of HTC samples at a time and summarises them into APEL rows."""

    def __init__(self, sc: Scale, sites: _Sites, vos: _Vos, site_vo: np.ndarray, today: dt.date):
        self.sc, self.sites, self.vos, self.site_vo = sc, sites, vos, site_vo
        self.today_ts = (today - dt.date(1970, 1, 1)).days * 86400
        self.site_names = _Names(sites.names)
        self.vo_names = _Names(vos.names + list(DEFECT_VO_SPELLINGS))
        self.roles, self.benchmarks = _Names(list(_ROLES)), _Names(list(_BENCH_SPELLINGS))
        # Normalised core-hours (HS23 h) per site and year: what the pledges are sized on.
        self.usage = np.zeros((len(sites.names), today.year - FIRST_YEAR + 1))

    def month(self, m: int) -> pa.Table | None:
        start, full_end, end = month_span(m, self.today_ts)
        if end <= start:
            return None
        rng = np.random.default_rng([self.sc.seed, 4, m])
        site, forced_vo = self._draw_sites(rng, m, (end - start) / (full_end - start))
        keys = self._draw_keys(rng, m, site, forced_vo)
        njobs, wall, cpu = self._draw_durations(rng, m, site, keys)
        norm_hours = wall * keys["value"] / _si2k_divisor(keys["bench"]) * keys["procs"] / 3600
        self.usage[:, m // 12] += np.bincount(site, weights=norm_hours, minlength=len(self.sites.names))
        times = self._draw_times(rng, start, end, full_end, njobs)
        return self._summarise(m, site, keys, (wall, cpu, njobs), times)

    def _draw_sites(self, rng: np.random.Generator, m: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
        """Sites of this month's samples, weighted by size; the first ones are forced to the
        sites (and VOs) of this month's defects so that they show at every scale."""
        s = self.sites
        weight = s.share * np.clip((m - s.start + 1) / 12, 0, 1) * (m < s.end)  # a new site ramps up for a year
        year, month = FIRST_YEAR + m // 12, m % 12 + 1
        expected = self.sc.samples_per_month * _growth(year + (month - 0.5) / 12) * fraction
        forced = [(site, DEFECT_VO_SPELLINGS[spelled]) for spelled, (site, first, last) in _VO_SPELLING_AT.items()
                  if _within(m, first, last)] * 4
        forced += [(site, None) for site, (first, last) in {**_ZERO_BENCHMARK_AT, **_CPU_OVER_WALL_AT}.items()
                   if _within(m, first, last)] * 3
        n = max(rng.poisson(expected * (1 + 0.05 * np.cos(2 * np.pi * (month - 3) / 12))), len(forced), 1)
        site = rng.choice(len(weight), n, p=weight / weight.sum())
        site[:len(forced)] = [s.names.index(name) for name, _ in forced]
        return site, np.array([-1 if vo is None else self.vos.names.index(vo) for _, vo in forced], np.int64)

    def _draw_keys(self, rng: np.random.Generator, m: int, site: np.ndarray, forced_vo: np.ndarray) -> dict:
        s, v, n, year = self.sites, self.vos, len(site), FIRST_YEAR + m // 12
        vo = _choose(rng, self.site_vo * ((v.start <= m) & (m < v.end)), site)
        vo[:len(forced_vo)] = np.where(forced_vo >= 0, forced_vo, vo[:len(forced_vo)])
        role = _choose(rng, v.roles, vo)
        # Personal DNs: a few heavy users per VO, and the heavy users change every year.
        count = v.dn_count[vo]
        personal = (np.floor(count * rng.random(n) ** 2.5).astype(np.int64) + (m // 12) * (count // 5 + 1)) % count
        group_count = v.group_count[vo]
        subgroup = np.where((rng.random(n) < 0.3) & (group_count > 1),
                            1 + (rng.random(n) * (group_count - 1)).astype(np.int64), 0)
        ce = (rng.random(n) * s.n_ce[site]).astype(np.int64)
        btype = (m >= s.hs06_from[site]).astype(np.int64) + (m >= s.hs23_from[site])
        per_core = s.bench[site, ce] * 1.05 ** (year - 2010)  # HS06 per core; sites re-benchmark yearly
        # rint(x·100)/100 is the double nearest the 2-decimal value (np.round(x, 2) can be
        # off by an ulp), so the value survives APEL's DECIMAL(10,3) column unchanged.
        value = np.choose(btype, [np.rint(per_core * SI2K_PER_HS23), np.rint(per_core * 100) / 100,
                                  np.rint(per_core * s.hs23_ratio[site] * 100) / 100])
        for name, (first, last) in _ZERO_BENCHMARK_AT.items():
            if _within(m, first, last):
                value[site == s.names.index(name)] = 0.0
        lhc = v.lhc[vo]
        # Multi-core jobs: mostly 8-core LHC pilots, from 2014 on.
        multicore_share = np.where(lhc, np.clip((year - 2013) / 6, 0, 0.8), np.clip((year - 2008) / 40, 0, 0.25))
        multicore = rng.random(n) < multicore_share
        procs = np.where(multicore, np.where(lhc, rng.choice([8, 4, 16, 32, 64], n, p=[.86, .05, .04, .03, .02]),
                                             rng.choice([2, 4, 8, 16, 32, 64], n, p=[.25, .25, .2, .15, .1, .05])), 1)
        return {
            "vo": self._misspell(m, site, vo), "role": role,
            "dn": v.dn_offset[vo] + np.where(role == 0, 3 + personal, role - 1),
            "group": v.group_offset[vo] + subgroup,
            "host": 10 * site + 2 * ce + (m >= s.modern_from[site]),
            "local": (rng.random(n) < s.local_share[site]).astype(np.int64),
            "bench": s.spelling[site, btype], "value": value, "procs": procs,
            "nodes": np.where((procs >= 16) & (rng.random(n) < 0.15), rng.choice([2, 4], n), 1)}

    def _misspell(self, m: int, site: np.ndarray, vo: np.ndarray) -> np.ndarray:
        """VO codes into self.vo_names, where a defect site publishes a VO in another case."""
        vo = vo.copy()
        for k, (spelled, (name, first, last)) in enumerate(_VO_SPELLING_AT.items()):
            if _within(m, first, last):
                right = self.vos.names.index(DEFECT_VO_SPELLINGS[spelled])
                vo[(site == self.sites.names.index(name)) & (vo == right)] = len(self.vos.names) + k
        return vo

    def _draw_durations(self, rng: np.random.Generator, m: int, site: np.ndarray, keys: dict) -> tuple:
        """Jobs, wall and CPU seconds: robots (pilots, production) run many long jobs."""
        v, robot = self.vos, keys["role"] > 0
        vo = np.minimum(keys["vo"], len(v.names) - 1)  # a misspelled VO is atlas or biomed: same job mix
        # Sites grow ~4% a year; a multi-core job replaces as many single-core ones.
        mu = v.jobs_mu[vo] + 1.5 * robot + 0.04 * (m // 12) - np.log(keys["procs"])
        njobs = np.clip(np.rint(rng.lognormal(mu, 1.4)), 1, 50_000).astype(np.int64)
        hours = np.clip(rng.lognormal(v.wall_mu[vo] + 0.5 * robot, 0.8), 0.02, 48)
        wall = njobs * np.rint(hours * 3600).astype(np.int64)
        efficiency = np.clip(rng.beta(np.where(robot, 9.0, 4.0), 2.0), 0.3, 0.98)
        for name, (first, last) in _CPU_OVER_WALL_AT.items():
            if _within(m, first, last):  # e.g. a batch system counting hyper-threads twice
                over = site == self.sites.names.index(name)
                efficiency[over] = rng.uniform(1.05, 1.4, over.sum())
        return njobs, wall, np.floor(wall * keys["procs"] * efficiency).astype(np.int64)

    def _draw_times(self, rng: np.random.Generator, start: int, end: int, full_end: int, njobs: np.ndarray) -> tuple:
        """End-time range of each sample's jobs (wider with more jobs) and its last update."""
        n, span = len(njobs), end - start
        spread = 0.5 / (1 + 0.5 * np.log(njobs))
        earliest = start + (rng.random(n) * spread * span).astype(np.int64)
        latest = np.where(njobs == 1, earliest, end - 1 - (rng.random(n) * spread * span).astype(np.int64))
        if end < full_end:  # current month: summarised some time since the jobs ended
            update = latest + (rng.random(n) * (self.today_ts - latest)).astype(np.int64)
        else:  # past month: re-summarised a few days after it ended
            update = np.minimum(end + rng.integers(12 * 3600, 6 * 86400, n), self.today_ts)
        return earliest, latest, update

    def _summarise(self, m: int, site: np.ndarray, keys: dict, sums: tuple, times: tuple) -> pa.Table:
        """Merge samples that share the APEL summary key; rows come out sorted by the key."""
        s, v = self.sites, self.vos
        ranked = [self.site_names.rank[site], v.dns.rank[keys["dn"]], self.vo_names.rank[keys["vo"]],
                  v.groups.rank[keys["group"]], self.roles.rank[keys["role"]], s.hosts.rank[keys["host"]],
                  keys["local"], self.benchmarks.rank[keys["bench"]], keys["value"], keys["nodes"], keys["procs"]]
        earliest, latest, update = times
        ranked, (wall, cpu, njobs), (earliest,), (latest, update) = _merge(ranked, sums, [earliest], [latest, update])
        site, dn, vo, group, role, host, local, bench, value, nodes, procs = ranked
        normalised = value / _si2k_divisor(self.benchmarks.code[bench])
        n = len(site)
        return pa.table({
            "Site": self.site_names.sorted.take(site), "Month": np.full(n, m % 12 + 1, np.int32),
            "Year": np.full(n, FIRST_YEAR + m // 12, np.int32), "GlobalUserName": v.dns.sorted.take(dn),
            "VO": self.vo_names.sorted.take(vo), "VOGroup": v.groups.sorted.take(group),
            "VORole": self.roles.sorted.take(role), "SubmitHost": s.hosts.sorted.take(host),
            "Infrastructure": pa.array(np.array(["grid", "local"])[local]),
            "ServiceLevelType": self.benchmarks.sorted.take(bench), "ServiceLevel": value,
            "NodeCount": nodes.astype(np.int32), "Processors": procs.astype(np.int32),
            "EarliestEndTime": pa.array(earliest, UTC_TS), "LatestEndTime": pa.array(latest, UTC_TS),
            "WallDuration": wall.astype(np.uint64), "CpuDuration": cpu.astype(np.uint64),
            "NormalisedWallDuration": np.rint(wall * normalised).astype(np.uint64),
            "NormalisedCpuDuration": np.rint(cpu * normalised).astype(np.uint64),
            "NumberOfJobs": njobs.astype(np.uint64), "UpdateTime": pa.array(update, UTC_TS)})


def _merge(keys: list[np.ndarray], sums: tuple, mins: list, maxs: list) -> tuple:
    """Group rows by keys (first key most significant): sorted unique keys and aggregates."""
    order = np.lexsort(keys[::-1])
    keys = [k[order] for k in keys]
    first = np.zeros(len(order), bool)
    first[0] = True
    for k in keys:
        first[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(first)
    return ([k[starts] for k in keys], [np.add.reduceat(x[order], starts) for x in sums],
            [np.minimum.reduceat(x[order], starts) for x in mins],
            [np.maximum.reduceat(x[order], starts) for x in maxs])


def _sites_table(sites: _Sites) -> pa.Table:
    """One row per site and period: a move to another NGI or federation closes the first."""
    moves = {**{site: ("NGI", old, day) for site, (old, day) in SITE_NGI_MOVES.items()},
             **{site: ("Federation", old, day) for site, (old, day) in SITE_FEDERATION_MOVES.items()}}
    rows = []
    for s in sorted(np.flatnonzero(sites.registered), key=sites.names.__getitem__):
        name = sites.names[s]
        row = dict(Site=name, NGI=sites.ngi[s], Country=sites.country[s], Tier=sites.tier[s],
                   Federation=sites.federation[s], Infrastructure="OSG" if sites.ngi[s] == "OSG" else "EGI",
                   Certified=not sites.decommissioned[s], Production=bool(sites.production[s]),
                   ValidFrom=dt.date(FIRST_YEAR + sites.start[s] // 12, sites.start[s] % 12 + 1, 1), ValidTo=None)
        if name in moves:
            column, old, moved = moves[name]
            rows.append({**row, column: old, "ValidTo": moved})
            row["ValidFrom"] = moved
        rows.append(row)
    return pa.Table.from_pylist(rows, SITES.schema)


def _vos_table(vos: _Vos) -> pa.Table:
    order = sorted(range(len(vos.names)), key=vos.names.__getitem__)
    return pa.table({"VO": [vos.names[i] for i in order], "EGIOfficial": vos.official[order],
                     "LHC": vos.lhc[order], "Discipline": [vos.discipline[i] for i in order]}, schema=VOS.schema)


def _disciplines_table() -> pa.Table:
    return pa.Table.from_pylist([dict(Discipline=leaf, Level2=l2, Level1=l1) for leaf, l2, l1 in _discipline_rows()],
                                DISCIPLINES.schema)


def _pledges_table(sc: Scale, fed: _Federation, today: dt.date) -> pa.Table:
    """Pledges sized on what each federation delivered: sites deliver 100-130% of their pledge.

    The current year, still partial, is pledged at 8% above the last one; pledges never shrink."""
    rng = np.random.default_rng([sc.seed, 5])
    sites, years = fed.sites, np.arange(2008, today.year + 1)
    federations = sorted({f for f in sites.federation if f} | {old for old, _ in SITE_FEDERATION_MOVES.values()})
    delivered = np.zeros((len(federations), len(years)))
    for s, federation in enumerate(sites.federation):
        for y, year in enumerate(years):
            old, moved = SITE_FEDERATION_MOVES.get(sites.names[s], (federation, dt.date.min))
            name = old if dt.date(year, 7, 1) < moved else federation
            if name:
                delivered[federations.index(name), y] += fed.usage[s, year - FIRST_YEAR] / (365 * 24)
    cpu = np.maximum.accumulate(delivered / rng.uniform(1.0, 1.3, delivered.shape), axis=1)
    if len(years) > 1:
        cpu[:, -1] = cpu[:, -2] * 1.08
    cpu = np.round(cpu)
    disk = np.round(cpu * 0.12 * 1.03 ** (years - 2008) * rng.uniform(0.9, 1.1, cpu.shape))
    with_tape = {f for f, tier in zip(sites.federation, sites.tier) if tier in ("Tier-0", "Tier-1")}
    tape = np.round(cpu * 0.18 * 1.04 ** (years - 2008) * rng.uniform(0.9, 1.1, cpu.shape))
    tape *= np.array([f in with_tape for f in federations])[:, None]
    rows = [dict(Federation=f, Year=int(year), CpuHS23=cpu[i, y], DiskTB=disk[i, y], TapeTB=tape[i, y])
            for i, f in enumerate(federations) for y, year in enumerate(years) if cpu[i, y] > 0]
    return pa.Table.from_pylist(rows, PLEDGES.schema)
