"""Data contracts: the source Parquet layout every producer (demo, MariaDB export) writes.

Declared once here and imported everywhere: column names and order, Arrow types,
units. The layout on disk is::

    <data-dir>/source/htc/year=YYYY/month=MM/part-0.parquet
    <data-dir>/source/topology/<table>.parquet
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

UTC_TS = pa.timestamp("s", tz="UTC")
# APEL keeps counts of devices and vCPUs as DECIMAL(10,3): carried exactly, never as a float.
DECIMAL_COUNT = pa.decimal128(10, 3)
# A count or duration (uint64 here) as the export reads it and the quarantine keeps it: a
# 20-digit decimal holds a negative value (a database with signed columns) and every value
# of APEL's BIGINT UNSIGNED up to 2^64-1, so the validation sees and quarantines a value
# above the portal's range (validation.MAX_VALUE) instead of the read failing on it.
COUNT_READ_TYPE = pa.decimal128(20, 0)


@dataclass(frozen=True)
class Dataset:
    """One source table: its name on disk, columns, and whether it is split by month."""

    name: str
    schema: pa.Schema
    partitioned: bool  # by year=/month= directories
    description: str
    # HTC is the one data type every deployment has; APEL keeps cloud, storage and
    # accelerators in databases of their own, often absent (2.5 has no accelerator tables).
    optional: bool = False
    # The columns that identify a row (APEL's primary or summary key): what an error about
    # one row names, so it can be found in the database.
    key: tuple[str, ...] = ()

    def path(self, source_dir: Path) -> Path:
        return Path(source_dir) / self.name

    def partition_path(self, source_dir: Path, year: int, month: int) -> Path:
        return self.path(source_dir) / f"year={year:04d}" / f"month={month:02d}" / "part-0.parquet"

    @property
    def db_table(self) -> str:
        """The portal database's table of an unpartitioned dataset: topology/sites → topology_sites."""
        return self.name.replace("/", "_")

    def file_glob(self, source_dir: Path) -> str:
        if self.partitioned:
            return str(self.path(source_dir) / "year=*" / "month=*" / "*.parquet")
        return str(self.path(source_dir)) + ".parquet"


def _schema(*fields: tuple[str, pa.DataType, str]) -> pa.Schema:
    return pa.schema([pa.field(n, t, metadata={"description": d}) for n, t, d in fields])


# APEL HybridSuperSummaries joined to its lookup tables (schema/apel/server.sql, export/htc.sql).
HTC = Dataset(
    name="htc",
    partitioned=True,
    description="APEL HTC summaries with normalised durations, one row per summary key and month",
    key=("Site", "Year", "Month", "GlobalUserName", "VO", "VOGroup", "VORole", "SubmitHost", "Infrastructure",
         "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors"),
    schema=_schema(
        ("Site", pa.string(), "Resource centre name as published in APEL"),
        ("Month", pa.int32(), "Month of the summary (1-12)"),
        ("Year", pa.int32(), "Year of the summary"),
        ("GlobalUserName", pa.string(), "User DN: personal data, never published"),
        ("VO", pa.string(), "Virtual organisation"),
        ("VOGroup", pa.string(), "VO group (FQAN group): never published"),
        ("VORole", pa.string(), "VO role (FQAN role): never published"),
        ("SubmitHost", pa.string(), "Compute element the jobs were submitted through"),
        ("Infrastructure", pa.string(), "APEL InfrastructureType: grid or local"),
        ("ServiceLevelType", pa.string(), "Benchmark type: si2k, HEPSPEC or HEPscore23 (case varies)"),
        ("ServiceLevel", pa.float64(), "Benchmark value per core"),
        ("NodeCount", pa.int32(), "Number of nodes used by the jobs"),
        ("Processors", pa.int32(), "Number of logical processors used by each job"),
        ("EarliestEndTime", UTC_TS, "End time of the first job in the summary"),
        ("LatestEndTime", UTC_TS, "End time of the last job in the summary"),
        ("WallDuration", pa.uint64(), "Wall-clock time summed over jobs (s)"),
        ("CpuDuration", pa.uint64(), "CPU time summed over jobs and cores (s)"),
        ("NormalisedWallDuration", pa.uint64(), "Wall time x benchmark (s x HS23; si2k already /250)"),
        ("NormalisedCpuDuration", pa.uint64(), "CPU time x benchmark (s x HS23; si2k already /250)"),
        ("NumberOfJobs", pa.uint64(), "Number of jobs in the summary"),
        ("UpdateTime", UTC_TS, "When APEL last updated the summary row"),
    ),
)

# APEL StAR storage records (the VStarRecords view): raw snapshots, not summaries.
# Partitioned by the month of EndTime (the moment the snapshot describes), carried as
# Year and Month so every partitioned dataset has the same partition columns.
STORAGE = Dataset(
    name="storage",
    partitioned=True,
    optional=True,
    description="APEL StAR storage records: capacity snapshots per storage share, VO and media",
    key=("RecordId",),
    schema=_schema(
        ("RecordId", pa.string(), "Unique identifier of the StAR record"),
        ("CreateTime", UTC_TS, "When the record was created; a later record for the same period replaces it"),
        ("StorageSystem", pa.string(), "Storage system (host name of the storage service)"),
        ("Site", pa.string(), "Resource centre name"),
        ("StorageShare", pa.string(), "Storage share (space token or pool)"),
        ("StorageMedia", pa.string(), "Media: disk or tape"),
        ("StorageClass", pa.string(), "Storage class (replicated, pinned, ...)"),
        ("FileCount", pa.uint64(), "Number of files"),
        ("DirectoryPath", pa.string(), "Directory the record covers (may be a home): personal data, never published"),
        ("LocalUser", pa.string(), "Local user account: personal data, never published"),
        ("LocalGroup", pa.string(), "Local group (may be a user's own): personal data, never published"),
        ("UserIdentity", pa.string(), "User DN: personal data, never published"),
        ("Group", pa.string(), "VO owning the data"),
        ("SubGroup", pa.string(), "VO subgroup"),
        ("Role", pa.string(), "VO role"),
        ("StartTime", UTC_TS, "Start of the period the record describes"),
        ("EndTime", UTC_TS, "End of the period: the moment of the snapshot"),
        ("ResourceCapacityUsed", pa.uint64(), "Physical capacity used, replicas included (bytes)"),
        ("LogicalCapacityUsed", pa.uint64(), "Logical capacity used (bytes)"),
        ("ResourceCapacityAllocated", pa.uint64(), "Capacity allocated (bytes)"),
        ("Year", pa.int32(), "Year of EndTime (UTC): the partition"),
        ("Month", pa.int32(), "Month of EndTime (UTC): the partition"),
    ),
)

# APEL cloud summaries (the VCloudSummaries view): VMs per month, site, cloud compute
# service, user, VO, status, image and CPU count.
CLOUD = Dataset(
    name="cloud",
    partitioned=True,
    optional=True,
    description="APEL cloud summaries: virtual machines per site, cloud compute service, VO, image and status",
    key=("SiteName", "CloudComputeService", "Year", "Month", "GlobalUserName", "VO", "VOGroup", "VORole", "Status",
         "CloudType", "ImageId", "CpuCount", "BenchmarkType", "Benchmark"),
    schema=_schema(
        ("SiteName", pa.string(), "Resource centre name"),
        ("CloudComputeService", pa.string(), "Cloud compute service (one site may run several)"),
        ("Month", pa.int32(), "Month of the summary (1-12)"),
        ("Year", pa.int32(), "Year of the summary"),
        ("GlobalUserName", pa.string(), "User DN: personal data, never published"),
        ("VO", pa.string(), "Virtual organisation"),
        ("VOGroup", pa.string(), "VO group (FQAN group): never published"),
        ("VORole", pa.string(), "VO role (FQAN role): never published"),
        ("Status", pa.string(), "VM status at the end of the period: started, completed, suspended, ..."),
        ("CloudType", pa.string(), "Cloud middleware (OpenStack, OpenNebula, ...)"),
        ("ImageId", pa.string(), "Virtual machine image identifier"),
        ("EarliestStartTime", UTC_TS, "Start time of the first VM in the summary"),
        ("LatestStartTime", UTC_TS, "Start time of the last VM in the summary"),
        ("WallDuration", pa.uint64(), "Wall-clock time summed over VMs (s)"),
        ("CpuDuration", pa.uint64(), "CPU time summed over VMs (s)"),
        ("CpuCount", DECIMAL_COUNT, "Virtual CPUs of each VM (APEL DECIMAL(10,3): fractional vCPUs exist)"),
        ("NetworkInbound", pa.uint64(), "Data received, summed over VMs (GB)"),
        ("NetworkOutbound", pa.uint64(), "Data sent, summed over VMs (GB)"),
        ("Memory", pa.uint64(), "Memory allocated, summed over VMs (MB)"),
        ("Disk", pa.uint64(), "Disk allocated, summed over VMs (GB)"),
        ("BenchmarkType", pa.string(), "Benchmark type (HEPSPEC, HEPscore23), or null"),
        ("Benchmark", pa.float64(), "Benchmark value per virtual CPU, or null"),
        ("NumberOfVMs", pa.uint64(), "Number of VMs in the summary"),
        ("UpdateTime", UTC_TS, "When APEL last updated the summary row"),
    ),
)

# APEL accelerator (GPU) summaries: flat, names rather than ids.
GPU = Dataset(
    name="gpu",
    partitioned=True,
    optional=True,
    description="APEL accelerator summaries: GPU availability and activity per site, user, FQAN and GPU model",
    key=("SiteName", "Year", "Month", "GlobalUserName", "FQAN", "Type", "Model", "Count", "Cores", "BenchmarkType",
         "Benchmark", "AssociatedRecordType"),
    schema=_schema(
        ("Month", pa.int32(), "Month of the summary (1-12)"),
        ("Year", pa.int32(), "Year of the summary"),
        ("SiteName", pa.string(), "Resource centre name"),
        ("GlobalUserName", pa.string(), "User DN: personal data, never published"),
        ("FQAN", pa.string(),
         "VOMS FQAN; the VO is its first component (/vo/group/Role=...); null in APEL's FQAN-less accelerator shape"),
        ("Type", pa.string(), "Accelerator type (GPU, FPGA, ...)"),
        ("Model", pa.string(), "Accelerator model as reported"),
        ("Count", DECIMAL_COUNT, "Number of accelerators per record (APEL DECIMAL(10,3))"),
        ("Cores", pa.int32(), "Accelerator cores per device"),
        ("AvailableDuration", pa.uint64(), "Time the accelerators were available (s)"),
        ("ActiveDuration", pa.uint64(), "Time the accelerators were active (s)"),
        ("BenchmarkType", pa.string(), "Accelerator benchmark type, or null"),
        ("Benchmark", pa.float64(), "Benchmark value per accelerator, or null"),
        ("AssociatedRecordType", pa.string(), "job or cloud: what the accelerator was attached to"),
        ("NumberOfRecords", pa.uint64(), "Accelerator records summarised"),
        ("UpdateTime", UTC_TS, "When APEL last updated the summary row; null in APEL's accelerator shape without it"),
    ),
)

# Portal-owned topology (the topology_* tables of schema/apel/portal.sql). Sites carry validity dates: a site
# that moves to another NGI has one row per period; ValidTo is exclusive, null = open.
SITES = Dataset(
    name="topology/sites",
    partitioned=False,
    description="Resource centres with their NGI and country over time",
    key=("Site", "ValidFrom"),
    schema=_schema(
        ("Site", pa.string(), "Resource centre name"),
        ("NGI", pa.string(), "Operations centre (NGI/ROC)"),
        ("Country", pa.string(), "Country of the resource centre"),
        ("Infrastructure", pa.string(), "Infrastructure the site belongs to (EGI, OSG)"),
        ("Certified", pa.bool_(), "Certified in GOCDB"),
        ("Production", pa.bool_(), "Production site"),
        ("ValidFrom", pa.date32(), "First day this row applies"),
        ("ValidTo", pa.date32(), "First day this row no longer applies (null: still valid)"),
    ),
)

VOS = Dataset(
    name="topology/vos",
    partitioned=False,
    description="Virtual organisations with their EGI/LHC flags and scientific discipline",
    key=("VO",),
    schema=_schema(
        ("VO", pa.string(), "Virtual organisation name"),
        ("EGIOfficial", pa.bool_(), "Registered in the EGI Operations Portal"),
        ("LHC", pa.bool_(), "One of the four LHC VOs"),
        ("Discipline", pa.string(), "Level-3 scientific discipline (leaf of the tree)"),
    ),
)

DISCIPLINES = Dataset(
    name="topology/disciplines",
    partitioned=False,
    description="Three-level scientific discipline classification",
    key=("Discipline",),
    schema=_schema(
        ("Discipline", pa.string(), "Level-3 discipline"),
        ("Level2", pa.string(), "Its level-2 parent"),
        ("Level1", pa.string(), "Its level-1 parent"),
    ),
)

# WLCG membership: a site pledges to a federation per VO and over time. A row with VO null
# holds for every VO of the site that has no row of its own in that month (DESY's sites
# pledge to a different federation per experiment); a site that changes federation has
# one row per period (JINR-LCG2 in 2024-11). Each site-VO-month falls in exactly one
# federation (cubes/stg_wlcg.sql); a site with no row is not a WLCG site.
WLCG_SITES = Dataset(
    name="topology/wlcg_sites",
    partitioned=False,
    description="WLCG tier and pledge federation of each site, per VO (or all VOs) and over time",
    key=("Site", "VO", "ValidFrom"),
    schema=_schema(
        ("Site", pa.string(), "Resource centre name"),
        ("VO", pa.string(), "The VO this row is for, as topology/vos names it; null: every other VO of the site"),
        ("Tier", pa.string(), "WLCG tier: Tier-0, Tier-1 or Tier-2"),
        ("Federation", pa.string(), "WLCG pledge federation (REBUS name); null: not known"),
        ("ValidFrom", pa.date32(), "First day this row applies"),
        ("ValidTo", pa.date32(), "First day this row no longer applies (null: still valid)"),
    ),
)

PLEDGES = Dataset(
    name="topology/pledges",
    partitioned=False,
    description="WLCG pledges per federation, experiment and year (REBUS)",
    key=("Federation", "VO", "Year"),
    schema=_schema(
        ("Federation", pa.string(), "WLCG pledge federation"),
        ("VO", pa.string(), "The experiment's VO as topology/vos names it (alice, atlas, cms, lhcb)"),
        ("Year", pa.int32(), "Pledge year"),
        ("CpuHS23", pa.float64(), "CPU pledge (HEPscore23: the capacity to deliver all year)"),
        ("DiskTB", pa.float64(), "Disk pledge (TB, 10^12 bytes)"),
        ("TapeTB", pa.float64(), "Tape pledge (TB, 10^12 bytes)"),
    ),
)

GPU_MODELS = Dataset(
    name="topology/gpu_models",
    partitioned=False,
    description="Accelerator models with their vendor and category (data-centre or consumer)",
    key=("Model",),
    schema=_schema(
        ("Model", pa.string(), "Accelerator model as sites report it"),
        ("Vendor", pa.string(), "Vendor"),
        ("Category", pa.string(), "data-centre or consumer"),
    ),
)

# Where the source data comes from, written beside it by every export (the demo and its scale,
# or the database's host, port and name): what the frozen WLCG reports were frozen from.
ORIGIN_FILE = "origin.json"

SOURCE_DATASETS = (HTC, CLOUD, STORAGE, GPU, SITES, WLCG_SITES, VOS, DISCIPLINES, PLEDGES, GPU_MODELS)
TOPOLOGY_DATASETS = tuple(d for d in SOURCE_DATASETS if not d.partitioned)

QUARANTINE_DIR = "quarantine"


@dataclass(frozen=True)
class Quarantine:
    """Where a dataset's rejected rows go (all its columns and a `reason`), and the columns
    the data-quality cubes read from them, under the names the cubes use."""

    dataset: Dataset
    site_column: str  # the dataset's name for the site, read as Site
    extra: tuple[str, ...] = ()  # more columns the findings use

    def path(self, source_dir: Path) -> Path:
        return Path(source_dir) / QUARANTINE_DIR / f"{self.dataset.name}.parquet"

    @property
    def view(self) -> str:
        return f"src_quarantine_{self.dataset.name}"

    @property
    def schema(self) -> pa.Schema:
        """The findings' columns; counts as the export reads them (negative, or above the
        portal's range: the reasons they are there)."""
        ds = self.dataset.schema
        fields = [pa.field("Site", pa.string()), pa.field("Year", pa.int32()), pa.field("Month", pa.int32())]
        fields += [pa.field(c, COUNT_READ_TYPE if pa.types.is_unsigned_integer(ds.field(c).type) else ds.field(c).type)
                   for c in self.extra]
        return pa.schema(fields + [pa.field("reason", pa.string())])

    @property
    def source_columns(self) -> list[str]:
        """The file's column behind each of `schema`'s, in order."""
        return [self.site_column, "Year", "Month", *self.extra, "reason"]


QUARANTINES = {q.dataset.name: q for q in (
    Quarantine(HTC, "Site", ("NumberOfJobs", "WallDuration", "Processors")),
    Quarantine(STORAGE, "Site"),
    Quarantine(GPU, "SiteName"),
    Quarantine(CLOUD, "SiteName"),
)}

# Every source column that can hold a person's identity, classified here and nowhere else
# (issue 14). Three classes:
#
# PERSONAL_COLUMNS identify a person by definition (a DN, a StAR user identity, a local
# account, a home directory): read by the export (the cubes count distinct users) but
# never written to a cube, a page, a download or an error line. The cubes stage refuses a
# cube that has such a column.
PERSONAL_COLUMNS = {HTC.name: ("GlobalUserName",), CLOUD.name: ("GlobalUserName",), GPU.name: ("GlobalUserName",),
                    STORAGE.name: ("UserIdentity", "LocalUser", "LocalGroup", "DirectoryPath")}
# UNPUBLISHED_COLUMNS are the rest of an FQAN, which may carry a user's part (a group or
# role named after a person): no cube publishes them, and the cubes stage refuses a cube
# that has one. Unlike PERSONAL_COLUMNS they may name a row in an error line (they are
# part of APEL's summary key, and an operator needs them to find the row).
UNPUBLISHED_COLUMNS = {HTC.name: ("VOGroup", "VORole"), CLOUD.name: ("VOGroup", "VORole")}
# NAME_COLUMNS are published as names (entities, table rows, download cells), but a site
# can put a person's identity into them (an FQAN `/CN=<person>/...` whose first component
# becomes the VO, a StAR SubGroup `CN=<person>`). The cubes read each of them only through
# published_name (cubes/macros.sql), which withholds a value that looks like a person's
# identity (looks_personal, defined there once): its usage is counted under the column's
# absent value (cubes/catalogue.toml [absent]) and a finding on /quality/ says how many
# rows at which site. The cubes stage refuses a cube with any text value that looks so.
# Columns checked against a fixed list (cloud Status, GPU AssociatedRecordType, the
# benchmark types) cannot carry one and are not listed.
NAME_COLUMNS = {HTC.name: ("Site", "VO", "SubmitHost"),
                CLOUD.name: ("SiteName", "CloudComputeService", "VO", "ImageId"),
                GPU.name: ("SiteName", "FQAN", "Type", "Model"),
                STORAGE.name: ("Site", "StorageSystem", "StorageShare", "StorageMedia", "StorageClass", "Group",
                               "SubGroup", "Role")}

# APEL writes the text 'None' where a value is absent (a job without an FQAN has VO 'None';
# a StAR record without a class has StorageClass 'None'); the cubes read it as absent.
APEL_NONE = "None"
# StAR columns that APEL keeps as lookup ids, NOT NULL: absent values are APEL_NONE there.
STAR_LOOKUP_COLUMNS = ("StorageShare", "StorageMedia", "StorageClass", "UserIdentity", "Group", "SubGroup", "Role")

# Benchmark types as the portal spells them; source values are matched case-insensitively.
BENCHMARKS = ("si2k", "HEPSPEC", "HEPscore23")
# Every spelling a source uses (lower case, trimmed) → the portal's type; set as DuckDB
# variables for canonical_benchmark (cubes/macros.sql) and read by the validation.
BENCHMARK_SPELLINGS = {"si2k": "si2k", "hepspec": "HEPSPEC", "hepspec06": "HEPSPEC", "hepscore23": "HEPscore23"}
# What APEL writes where a summary's benchmark was not recorded: 'None' (normalised
# summaries received without a type), 'custom' (jobs without a scaling factor), blank or
# NULL. All are one type on the site, the catalogue's [labels] unknown_benchmark.
BENCHMARK_UNRECORDED = ("none", "custom", "")
SI2K_PER_HS23 = 250
