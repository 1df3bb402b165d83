"""The demo federation generator: determinism, the source contract, realism and injected defects."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accounting.source import contracts, db_load
from accounting.source.demo import cloud as demo_cloud
from accounting.source.demo import federation as demo
from accounting.source.demo import generate
from accounting.source.demo import gpu as demo_gpu
from accounting.source.demo import storage as demo_storage

TODAY = dt.date(2025, 11, 24)
# Every dataset the demo writes (the cloud one whether or not the site reads it yet).
DATASETS = tuple(dict.fromkeys((*contracts.SOURCE_DATASETS, contracts.CLOUD)))
KEY = ("Site", "Month", "Year", "GlobalUserName", "VO", "VOGroup", "VORole", "SubmitHost", "Infrastructure",
       "ServiceLevelType", "ServiceLevel", "NodeCount", "Processors")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    source = tmp_path_factory.mktemp("demo-a")
    return source, generate(source, "small", today=TODAY, progress=False)


@pytest.fixture(scope="module")
def source(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def con(source) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for dataset in DATASETS:
        con.execute(f"CREATE VIEW {dataset.name.split('/')[-1]} AS "
                    f"SELECT * FROM read_parquet('{dataset.file_glob(source)}', hive_partitioning = false)")
    return con


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def value(con, sql: str):
    return rows(con, sql)[0][0]


def test_same_inputs_give_byte_identical_files(source, tmp_path):
    generate(tmp_path, "small", today=TODAY, progress=False)
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for name in files:
        assert (source / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_today_defaults_to_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763942400")
    assert demo.today() == TODAY


def test_every_file_has_the_contract_schema(source):
    for dataset in DATASETS:
        paths = sorted(Path(source).glob(dataset.file_glob(source).removeprefix(str(source) + "/")))
        assert paths, dataset.name
        for path in paths:
            stored = pq.ParquetFile(path).metadata.metadata[b"ARROW:schema"]
            schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(stored)))
            assert schema.equals(dataset.schema, check_metadata=True), path
            # Parquet has no second unit: timestamp[s] columns read back as timestamp[ms].
            read = pq.read_schema(path)
            assert read.names == dataset.schema.names
            assert [f.type for f in read] == [pa.timestamp("ms", tz="UTC") if f.type == contracts.UTC_TS else f.type
                                              for f in dataset.schema]


def test_returned_counts_match_the_files(generated, con):
    _, counts = generated
    assert counts == {d.name: value(con, f"SELECT count(*) FROM {d.name.split('/')[-1]}")
                      for d in DATASETS}
    assert 20_000 <= counts["htc"] <= 40_000


def test_rows_are_unique_and_sorted_on_the_summary_key(source):
    for path in sorted(contracts.HTC.path(source).rglob("*.parquet")):
        table = pq.read_table(path)
        keys = table.select(KEY)
        assert keys.group_by(list(KEY)).aggregate([]).num_rows == table.num_rows, path
        assert table.sort_by([(k, "ascending") for k in KEY]).equals(table), path


def test_months_run_from_2004_to_today(source, con):
    expected = [(y, m) for y in range(2004, TODAY.year + 1) for m in range(1, 13)
                if (y, m) <= (TODAY.year, TODAY.month)]
    partitions = sorted((int(p.parent.parent.name[5:]), int(p.parent.name[6:]))
                        for p in contracts.HTC.path(source).rglob("part-0.parquet"))
    assert partitions == expected
    assert rows(con, "SELECT DISTINCT Year, Month FROM htc ORDER BY ALL") == expected


def test_times_lie_in_their_month_and_before_today(con):
    today = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)
    assert value(con, """SELECT count(*) FROM htc WHERE EarliestEndTime > LatestEndTime
        OR year(EarliestEndTime) != Year OR month(EarliestEndTime) != Month
        OR year(LatestEndTime) != Year OR month(LatestEndTime) != Month OR UpdateTime < LatestEndTime""") == 0
    assert value(con, "SELECT max(UpdateTime) FROM htc") <= today
    assert value(con, "SELECT max(LatestEndTime) FROM htc") < today


def test_values_are_in_range(con):
    ranges = rows(con, "SELECT min(Processors), max(Processors), min(NodeCount), min(NumberOfJobs) FROM htc")
    assert ranges == [(1, 64, 1, 1)]
    assert {r[0] for r in rows(con, "SELECT DISTINCT Infrastructure FROM htc")} == {"grid", "local"}
    local = value(con, "SELECT avg((Infrastructure = 'local')::int) FROM htc")
    assert 0.03 < local < 0.2


def test_normalised_durations_are_exact_as_apel_computes_them(con):
    # Duration × benchmark (/ 250 for si2k), rounded half up on the summary's sums, as the
    # procedures do in DECIMAL: the rows sent through them come back the same.
    exact = "({}::HUGEINT * num * 2 + den) // (2 * den)"
    off = rows(con, f"""SELECT count(*) FILTER (WHERE NormalisedWallDuration <> {exact.format('WallDuration')}),
            count(*) FILTER (WHERE NormalisedCpuDuration <> {exact.format('CpuDuration')}), count(*)
        FROM (SELECT *, si2k::INT * 150 + 100 AS den,
                     round(CASE WHEN si2k THEN ServiceLevel ELSE ServiceLevel * 100 END)::HUGEINT AS num
              FROM (SELECT *, lower(ServiceLevelType) = 'si2k' AS si2k FROM htc))
        WHERE ServiceLevel > 0""")[0]
    assert off[:2] == (0, 0) and off[2] > 10_000


def test_apel_conventions(con, source):
    # Sites that publish normalised summaries: ServiceLevel 0, their own normalised times,
    # the type as they spell it; sites without a scaling factor: 'custom', 1.
    normalised = dict(rows(con, """SELECT ServiceLevelType, count(*) FROM htc
        WHERE ServiceLevel = 0 AND NormalisedWallDuration > 0 GROUP BY 1"""))
    assert set(normalised) <= set(demo.NORMALISED_SUMMARY_SPELLINGS) and "None" in normalised
    assert min(rows(con, "SELECT Year FROM htc WHERE ServiceLevel = 0 AND NormalisedWallDuration > 0")) >= \
        (demo.NORMALISED_SUMMARY_FROM[0],)
    assert rows(con, "SELECT DISTINCT ServiceLevel FROM htc WHERE ServiceLevelType = 'custom'") == [(1.0,)]
    # Local jobs without an FQAN: VO, group, role and user are all 'None', and only there.
    none = rows(con, """SELECT Infrastructure, VOGroup, VORole, GlobalUserName, count(*) FROM htc
        WHERE VO = 'None' GROUP BY ALL""")
    assert [r[:4] for r in none] == [("local", "None", "None", "None")] and none[0][4] > 100
    assert value(con, "SELECT count(*) FROM htc WHERE 'None' IN (VOGroup, VORole, GlobalUserName) "
                      "AND VO <> 'None'") == 0
    # Nothing the export's validation would quarantine.
    assert not (source / "quarantine" / "htc.parquet").exists()


def test_benchmark_history(con):
    by_year = dict(rows(con, "SELECT Year, list(DISTINCT lower(ServiceLevelType)) FROM htc GROUP BY 1"))
    assert by_year[2005] == ["si2k"]
    assert set(by_year[2018]) == {"hepspec"}
    spellings = {r[0] for r in rows(con, "SELECT DISTINCT ServiceLevelType FROM htc")}
    assert {"si2k", "SI2K", "HEPSPEC", "hepspec", "HEPscore23"} <= spellings
    si2k = rows(con, "SELECT min(ServiceLevel), max(ServiceLevel) FROM htc WHERE lower(ServiceLevelType) = 'si2k'")[0]
    assert 800 <= si2k[0] and si2k[1] <= 3000
    mixed = rows(con, """SELECT Year, Month FROM htc WHERE ServiceLevel > 0 GROUP BY ALL
        HAVING bool_or(lower(ServiceLevelType) = 'hepspec') AND bool_or(lower(ServiceLevelType) = 'hepscore23')""")
    assert len(mixed) >= 12 and min(mixed) >= (2023, 3)


def test_lhc_vos_dominate_normalised_work(con):
    share = value(con, """SELECT sum(NormalisedCpuDuration) FILTER (WHERE VO IN ('atlas', 'cms', 'alice', 'lhcb'))
        / sum(NormalisedCpuDuration) FROM htc WHERE VO <> 'None'""")  # of the work that has a VO
    assert 0.65 < share < 0.95
    assert rows(con, "SELECT VO FROM vos WHERE LHC ORDER BY VO") == [(v,) for v in demo.LHC_VOS]


def test_activity_grows_then_flattens(con):
    per_year = dict(rows(con, "SELECT Year, count(*) FROM htc GROUP BY 1"))
    assert per_year[2005] * 5 < per_year[2012] and per_year[2016] * 0.7 < per_year[2022] < per_year[2016] * 1.3


def test_sites_join_over_time_and_closed_ones_stop(con):
    first_years = dict(rows(con, "SELECT Site, min(Year) FROM htc GROUP BY 1"))
    assert min(first_years.values()) == 2004 and max(first_years.values()) >= 2015
    closed = rows(con, """SELECT Site, max(Year) FROM htc WHERE Site IN (SELECT Site FROM sites WHERE NOT Certified)
        GROUP BY 1""")
    assert all(last <= 2024 for _, last in closed)


def test_defect_unknown_sites(con):
    sites = {r[0] for r in rows(con, "SELECT DISTINCT Site FROM htc WHERE Site NOT IN (SELECT Site FROM sites)")}
    assert sites == set(demo.DEFECT_UNKNOWN_SITES)


def test_published_vo_spellings_are_merged_as_apel_merges_them(con):
    # APEL's lookups give another spelling of a VO the first one's id: the summaries hold
    # none (demo --to-db publishes them, test_export checks the merge).
    spelled = rows(con, """SELECT DISTINCT VO FROM htc
        WHERE VO NOT IN (SELECT VO FROM vos) AND lower(VO) IN (SELECT lower(VO) FROM vos)""")
    assert spelled == []
    assert {r[0] for r in rows(con, "SELECT VO FROM vos")} >= set(demo.DEFECT_VO_SPELLINGS.values())


def test_defect_zero_benchmark(con):
    zero = {r[0] for r in rows(con, "SELECT DISTINCT Site FROM htc "
                                    "WHERE ServiceLevel = 0 AND NormalisedWallDuration = 0")}
    assert zero == set(demo.DEFECT_ZERO_BENCHMARK_SITES)
    assert value(con, "SELECT max(NormalisedWallDuration) FROM htc WHERE Site IN "
                      f"{tuple(demo.DEFECT_ZERO_BENCHMARK_SITES)} AND ServiceLevel = 0") == 0


def test_defect_cpu_over_wall(con):
    over = rows(con, "SELECT DISTINCT Site FROM htc WHERE CpuDuration > WallDuration * Processors")
    assert {r[0] for r in over} == set(demo.DEFECT_CPU_OVER_WALL_SITES)



STAR_KEY = 'Site, StorageSystem, StorageShare, StorageMedia, StorageClass, "Group", SubGroup, Role'


def test_storage_records(con):
    assert 10_000 <= value(con, "SELECT count(*) FROM storage") <= 40_000
    assert value(con, "SELECT count(DISTINCT Site) FROM storage") == demo_storage.SIZES["small"].sites
    assert {r[0] for r in rows(con, "SELECT DISTINCT StorageMedia FROM storage")} == {"disk", "tape"}
    assert value(con, "SELECT count(DISTINCT RecordId) = count(*) FROM storage")
    assert value(con, """SELECT count(*) FROM storage WHERE Year != year(EndTime) OR Month != month(EndTime)
        OR StartTime >= EndTime OR CreateTime < EndTime OR LogicalCapacityUsed > ResourceCapacityUsed""") == 0
    today = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)
    assert value(con, "SELECT min(Year) FROM storage") == 2015
    assert value(con, "SELECT max(CreateTime) FROM storage") < today
    assert value(con, """SELECT count(*) FROM storage JOIN (SELECT Site, min(ValidFrom) AS since FROM sites GROUP BY 1)
        USING (Site) WHERE EndTime < since""") == 0
    assert value(con, 'SELECT count(*) FROM storage WHERE "Group" NOT IN (SELECT VO FROM vos)') == 0
    # APEL's StAR lookups hold the text 'None' where a record has no value (never NULL).
    assert 0 < value(con, "SELECT avg((UserIdentity <> 'None')::int) FROM storage") < 0.5
    nulls = " OR ".join(f'"{c}" IS NULL' for c in contracts.STAR_LOOKUP_COLUMNS)
    assert value(con, f"SELECT count(*) FROM storage WHERE {nulls}") == 0
    # A record starts where its key's previous period ended.
    assert value(con, f"""SELECT count(*) FROM (SELECT StartTime, lag(EndTime) OVER (PARTITION BY {STAR_KEY}
        ORDER BY EndTime) AS previous FROM (SELECT DISTINCT {STAR_KEY}, StartTime, EndTime FROM storage))
        WHERE StartTime != previous""") == 0


def test_storage_defects(con):
    republished = rows(con, f"""SELECT Site, Year, Month, count(DISTINCT ResourceCapacityUsed),
            arg_max(ResourceCapacityUsed, CreateTime) < arg_min(ResourceCapacityUsed, CreateTime)
        FROM storage GROUP BY {STAR_KEY}, StartTime, EndTime, Year, Month HAVING count(*) > 1 ORDER BY ALL""")
    assert republished == sorted((site, year, month, 2, True) for site, months in demo_storage.REPUBLISHED.items()
                                 for year, month in months)
    assert set(demo_storage.REPUBLISHED_SITES) == set(demo_storage.REPUBLISHED)
    missing = rows(con, """WITH m AS (SELECT DISTINCT Site, Year * 12 + Month - 1 AS m FROM storage),
            every AS (SELECT Site, unnest(range(min(m), max(m) + 1)) AS m FROM m GROUP BY Site)
        SELECT Site, m // 12, m % 12 + 1 FROM every ANTI JOIN m USING (Site, m) ORDER BY ALL""")
    assert missing == sorted((site, *month) for site, month in demo_storage.GAP_SITES.items())
    today_m = TODAY.year * 12 + TODAY.month - 1
    last = dict(rows(con, "SELECT Site, max(Year * 12 + Month - 1) FROM storage GROUP BY 1"))
    assert {s: today_m - m - 1 for s, m in last.items() if m < today_m - 1} == demo_storage.STOPPED_SITES
    assert value(con, "SELECT count(*) FROM storage WHERE ResourceCapacityUsed > ResourceCapacityAllocated") == \
        demo_storage.OVER_ALLOCATED_RECORDS

GPU_KEY = ("Year", "Month", "SiteName", "GlobalUserName", "FQAN", "Type", "Model", "Count", "Cores", "BenchmarkType",
           "Benchmark", "AssociatedRecordType")
GPU_HOURS = "sum(Count * AvailableDuration) / 3600"


def test_gpu_records(con, source):
    assert 2_000 <= value(con, "SELECT count(*) FROM gpu") <= 6_000
    assert value(con, "SELECT count(DISTINCT SiteName) FROM gpu") == demo_gpu.SIZES["small"].sites
    months = [(y, m) for y in range(2020, TODAY.year + 1) for m in range(1, 13) if (y, m) <= (TODAY.year, TODAY.month)]
    assert rows(con, "SELECT DISTINCT Year, Month FROM gpu ORDER BY ALL") == months
    for path in sorted(contracts.GPU.path(source).rglob("*.parquet")):  # one row per summary key, sorted on it
        table = pq.read_table(path)
        assert table.group_by(list(GPU_KEY)).aggregate([]).num_rows == table.num_rows, path
        assert table.sort_by([(k, "ascending", "at_start") for k in GPU_KEY[2:]]).equals(table), path
    assert value(con, "SELECT count(*) FROM gpu WHERE SiteName NOT IN (SELECT Site FROM sites)") == 0
    assert value(con, "SELECT count(*) FROM gpu WHERE split_part(FQAN, '/', 2) NOT IN (SELECT VO FROM vos)") == 0
    assert value(con, "SELECT count(*) FROM gpu WHERE NOT starts_with(FQAN, '/')") == 0
    assert rows(con, "SELECT DISTINCT Count FROM gpu ORDER BY 1") == [(1.0,), (2.0,), (4.0,), (8.0,)]
    assert value(con, "SELECT min(NumberOfRecords) FROM gpu") >= 1
    assert value(con, "SELECT min(Cores) FROM gpu") > 0
    assert {r[0] for r in rows(con, "SELECT DISTINCT AssociatedRecordType FROM gpu")} == {"job", "cloud"}
    assert 0.02 < value(con, "SELECT avg((AssociatedRecordType = 'cloud')::int) FROM gpu") < 0.3
    assert 0.9 < value(con, "SELECT avg((Type = 'GPU')::int) FROM gpu") < 1
    # A benchmark (both columns) on some rows, exact in APEL's DECIMAL(10,3).
    assert value(con, "SELECT count(*) FROM gpu WHERE (Benchmark IS NULL) != (BenchmarkType IS NULL)") == 0
    assert 0.1 < value(con, "SELECT avg((Benchmark IS NOT NULL)::int) FROM gpu") < 0.9
    assert value(con, """SELECT count(*) FROM gpu WHERE Benchmark <= 0 OR Benchmark >= 1e7
        OR round(Benchmark, 3) != Benchmark""") == 0
    assert {r[0] for r in rows(con, "SELECT DISTINCT BenchmarkType FROM gpu WHERE BenchmarkType IS NOT NULL")} <= \
        {"hepscore23-gpu", "gpu-mlperf"}
    # Past months summarised a few days after their end, the current one before today.
    today = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)
    assert value(con, "SELECT max(UpdateTime) FROM gpu") < today
    assert value(con, f"""SELECT count(*) FROM (SELECT *, make_timestamptz(Year, Month, 1, 0, 0, 0, 'UTC')
            + INTERVAL 1 MONTH AS month_end FROM gpu)
        WHERE (Year, Month) != ({TODAY.year}, {TODAY.month}) AND NOT UpdateTime BETWEEN month_end
            AND month_end + INTERVAL 7 DAY""") == 0
    # Most GPU time is in use, a few VOs dominate and usage grows.
    utilisation = value(con, "SELECT sum(Count * ActiveDuration) / sum(Count * AvailableDuration) FROM gpu")
    assert 0.55 < utilisation < 0.9
    assert value(con, "SELECT quantile_cont(ActiveDuration / AvailableDuration, 0.1) FROM gpu") > 0.4
    top = value(con, f"""SELECT sum(h) FILTER (WHERE rank <= 4) / sum(h) FROM (SELECT {GPU_HOURS} AS h,
        rank() OVER (ORDER BY {GPU_HOURS} DESC) AS rank FROM gpu GROUP BY split_part(FQAN, '/', 2))""")
    assert top > 0.7
    per_year = dict(rows(con, f"SELECT Year, {GPU_HOURS} FROM gpu GROUP BY 1"))
    assert per_year[2020] < per_year[2022] < per_year[2024] < per_year[2025]


def test_gpu_models(con):
    models = dict(rows(con, "SELECT Model, Category FROM gpu_models"))
    assert {"NVIDIA A100", "NVIDIA H100", "NVIDIA V100", "NVIDIA T4", "NVIDIA L40S", "NVIDIA GeForce RTX 3090",
            "NVIDIA GeForce RTX 4090", "NVIDIA GeForce GTX 1080 Ti", "AMD Instinct MI250X",
            "AMD Instinct MI100"} <= set(models)
    assert set(models.values()) == {"data-centre", "consumer"}
    assert value(con, "SELECT count(DISTINCT Model) FROM gpu WHERE Model IN (SELECT Model FROM gpu_models)") >= 6
    assert value(con, "SELECT count(*) FROM (SELECT Model FROM gpu GROUP BY 1 HAVING count(DISTINCT Cores) > 1)") == 0


def test_gpu_defects(con):
    unknown = rows(con, "SELECT DISTINCT SiteName, Model FROM gpu WHERE Model NOT IN (SELECT Model FROM gpu_models)")
    assert unknown == [(site, demo_gpu.UNKNOWN_MODEL) for site in demo_gpu.UNKNOWN_MODEL_SITES]
    assert 1 < value(con, f"""SELECT count(DISTINCT (Year, Month)) FROM gpu
        WHERE Model = '{demo_gpu.UNKNOWN_MODEL}'""") < 24  # some months, not all
    over = rows(con, "SELECT SiteName FROM gpu WHERE ActiveDuration > AvailableDuration")
    assert len(over) == demo_gpu.ACTIVE_OVER_AVAILABLE_ROWS
    assert {site for site, in over} == set(demo_gpu.ACTIVE_OVER_AVAILABLE_SITES)


CLOUD_KEY = ("Year", "Month", *demo_cloud.SUMMARY_KEY)


def test_cloud_records(con, source):
    assert 3_000 <= value(con, "SELECT count(*) FROM cloud") <= 8_000
    assert value(con, "SELECT count(DISTINCT SiteName) FROM cloud") == demo_cloud.SIZES["small"].sites
    assert {r[0] for r in rows(con, "SELECT DISTINCT SiteName FROM cloud")} >= {"CESNET-MetaCloud", "IFCA-LCG2"}
    months = [(y, m) for y in range(2014, TODAY.year + 1) for m in range(1, 13) if (y, m) <= (TODAY.year, TODAY.month)]
    assert rows(con, "SELECT DISTINCT Year, Month FROM cloud ORDER BY ALL") == months
    for path in sorted(contracts.CLOUD.path(source).rglob("*.parquet")):  # one row per summary key, sorted on it
        table = pq.read_table(path)
        assert table.group_by(list(CLOUD_KEY)).aggregate([]).num_rows == table.num_rows, path
        assert table.sort_by([(k, "ascending", "at_start") for k in CLOUD_KEY[2:]]).equals(table), path
    assert value(con, "SELECT count(*) FROM cloud WHERE SiteName NOT IN (SELECT Site FROM sites)") == 0
    assert value(con, "SELECT count(*) FROM cloud WHERE VO NOT IN (SELECT VO FROM vos)") == 0
    assert value(con, "SELECT count(*) FROM cloud WHERE NOT starts_with(VOGroup, '/' || VO)") == 0
    assert value(con, "SELECT avg((VOGroup = '/' || VO AND VORole = 'Role=NULL')::int) FROM cloud") > 0.75
    services = [n for n, in rows(con, "SELECT count(DISTINCT CloudComputeService) FROM cloud GROUP BY SiteName")]
    assert min(services) >= 1 and max(services) in (2, 3)
    assert value(con, """SELECT count(*) FROM (SELECT CloudComputeService FROM cloud GROUP BY 1
        HAVING count(DISTINCT SiteName) > 1 OR count(DISTINCT CloudType) > 1)""") == 0
    types = dict(rows(con, "SELECT CloudType, count(*) FROM cloud GROUP BY 1"))
    assert set(types) == {"OpenStack", "OpenNebula", "Synnefo"} and max(types, key=types.get) == "OpenStack"
    assert value(con, "SELECT min(n) FROM (SELECT count(DISTINCT ImageId) AS n FROM cloud GROUP BY SiteName)") >= 3
    assert value(con, """SELECT count(*) FROM cloud
        WHERE NOT (starts_with(ImageId, 'https://appdb.egi.eu/store/vo/image/')
            OR starts_with(ImageId, 'os_tpl#'))""") == 0
    statuses = dict(rows(con, "SELECT Status, count(*) FROM cloud GROUP BY 1"))
    known = {s: n for s, n in statuses.items() if s in demo_cloud.KNOWN_STATUSES}
    assert set(known) == set(demo_cloud.KNOWN_STATUSES)
    assert (known["completed"] + known["started"]) / sum(known.values()) > 0.7
    # Whole vCPUs, and one image flavour with a fractional count (APEL's DECIMAL(10,3)).
    assert {r[0] for r in rows(con, "SELECT DISTINCT CpuCount FROM cloud WHERE CpuCount > 0")} == \
        {1, 2, 4, 8, 16, Decimal("1.345")}
    assert value(con, "SELECT min(NumberOfVMs) FROM cloud") >= 1
    assert value(con, "SELECT count(*) FROM cloud WHERE Memory IS NULL OR Memory < 1024 * NumberOfVMs") == 0
    # A benchmark on part of the rows, exact in APEL's DECIMAL(10,3); the others have APEL's
    # 'None' and 0 (its CloudSummaries has no NULL benchmark).
    assert value(con, "SELECT count(*) FROM cloud WHERE (Benchmark = 0) != (BenchmarkType = 'None')") == 0
    assert 0.2 < value(con, "SELECT avg((Benchmark > 0)::int) FROM cloud") < 0.8
    assert value(con, "SELECT count(*) FROM cloud WHERE Benchmark < 0 OR round(Benchmark, 3) != Benchmark") == 0
    assert {r[0] for r in rows(con, "SELECT DISTINCT BenchmarkType FROM cloud")} == {"None", "HEPSPEC", "HEPscore23"}
    # VMs started in the month or before it; past months summarised a few days after their
    # end, but the ones APEL summarises every night: today.
    today = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)
    recent = TODAY.year * 12 + TODAY.month - demo.RESUMMARISED_MONTHS
    assert value(con, f"""SELECT count(*) FROM (SELECT *,
            make_timestamptz(Year, Month, 1, 0, 0, 0, 'UTC') + INTERVAL 1 MONTH AS month_end FROM cloud)
        WHERE EarliestStartTime > LatestStartTime OR LatestStartTime >= month_end OR UpdateTime < LatestStartTime
            OR (Year * 12 + Month - 1 < {recent} AND NOT UpdateTime BETWEEN month_end AND month_end + INTERVAL 7 DAY)
            OR (Year * 12 + Month - 1 >= {recent} AND UpdateTime != '{today.isoformat()}')""") == 0
    assert 0 < value(con, """SELECT avg((EarliestStartTime < make_timestamptz(Year, Month, 1, 0, 0, 0, 'UTC'))::int)
        FROM cloud""") < 0.6
    assert value(con, "SELECT max(UpdateTime) FROM cloud") == today  # the months summarised last night
    # The EGI cloud VOs dominate, LHC VOs only at a few sites; usage grows.
    assert value(con, "SELECT count(DISTINCT SiteName) FROM cloud WHERE VO = 'vo.access.egi.eu'") == \
        demo_cloud.SIZES["small"].sites
    lhc = value(con, f"SELECT count(DISTINCT SiteName) FROM cloud WHERE VO IN {tuple(demo.LHC_VOS)}")
    assert 1 <= lhc <= 3
    per_year = dict(rows(con, "SELECT Year, sum(WallDuration * CpuCount) / 3600 FROM cloud GROUP BY 1"))
    assert per_year[2014] < per_year[2017] < per_year[2020] < per_year[2024]
    # User DNs are the demo VOs' (personal data, never published), as in HTC.
    dns = set(demo.draw_vos(demo.SCALES["small"]).dns.sorted.to_pylist())
    assert {r[0] for r in rows(con, "SELECT DISTINCT GlobalUserName FROM cloud")} <= dns


def test_cloud_defects(con):
    zero = rows(con, "SELECT SiteName FROM cloud WHERE CpuCount = 0")
    assert len(zero) == demo_cloud.ZERO_CPU_COUNT_ROWS
    assert {site for site, in zero} == set(demo_cloud.ZERO_CPU_COUNT_SITES)
    unknown = rows(con, f"SELECT SiteName, Status FROM cloud WHERE Status NOT IN {demo_cloud.KNOWN_STATUSES}")
    assert len(unknown) == demo_cloud.UNKNOWN_STATUS_ROWS
    assert set(unknown) == {(site, demo_cloud.UNKNOWN_STATUS) for site in demo_cloud.UNKNOWN_STATUS_SITES}
    over = rows(con, "SELECT SiteName FROM cloud WHERE CpuCount > 0 AND CpuDuration > WallDuration * CpuCount")
    assert len(over) == demo_cloud.CPU_OVER_WALL_ROWS
    assert {site for site, in over} == set(demo_cloud.CPU_OVER_WALL_SITES)
    small_sites = {r[0] for r in rows(con, "SELECT DISTINCT SiteName FROM cloud")}
    assert {*demo_cloud.ZERO_CPU_COUNT_SITES, *demo_cloud.UNKNOWN_STATUS_SITES,
            *demo_cloud.CPU_OVER_WALL_SITES} <= small_sites


def test_apel_cloud_tables_give_the_contract_columns():
    """schema/apel/cloud.sql's CloudSummaries references lookups by id; VCloudSummaries names
    every column of the contract (in APEL's order, UpdateTime first)."""
    statements = db_load.schema_statements(list(db_load.FAMILY_SCHEMA))
    view = next(s for s in statements if s.startswith("CREATE OR REPLACE VIEW VCloudSummaries AS"))
    selected = view[view.index("SELECT") + 6:view.index("FROM")].split(",")
    assert sorted(re.split(r"[ .]", c.strip())[-1] for c in selected) == sorted(contracts.CLOUD.schema.names)
    table = next(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS CloudSummaries ("))
    for column in ("SiteID", "CloudComputeServiceID", "GlobalUserNameID", "VOID", "VOGroupID", "VORoleID"):
        assert f"{column} INT NOT NULL" in table
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS CloudComputeServices (") for s in statements)
    assert "CloudComputeServices" in {t for f in db_load.FACTS for t, _, _ in f.lookups}


def test_apel_accelerator_table_has_the_contract_columns():
    """schema/apel/accelerator.sql's flat AcceleratorSummaries and portal.sql's topology_gpu_models: the contracts'
    columns."""
    def columns(table: str) -> list[str]:
        stmt = next(s for s in db_load.schema_statements(list(db_load.FAMILY_SCHEMA))
                    if s.startswith(f"CREATE TABLE IF NOT EXISTS {table} ("))
        return re.findall(r"(?:^|,)\s*(\w+) (?:INT|BIGINT|VARCHAR|DECIMAL|TIMESTAMP)\b", stmt, re.M)
    assert columns("AcceleratorSummaries") == contracts.GPU.schema.names
    assert columns("topology_gpu_models") == contracts.GPU_MODELS.schema.names


def test_topology_history(con):
    assert value(con, "SELECT min(ValidFrom) FROM sites") == dt.date(2004, 1, 1)
    for site, (old_ngi, moved) in demo.SITE_NGI_MOVES.items():
        history = rows(con, f"SELECT NGI, ValidFrom, ValidTo FROM sites WHERE Site = '{site}' ORDER BY ValidFrom")
        assert len(history) == 2 and history[0][0] == old_ngi and history[0][2] == history[1][1] == moved
        assert history[1][2] is None and history[1][0] != old_ngi
    for site, (old_federation, moved) in demo.SITE_FEDERATION_MOVES.items():
        history = rows(con, f"""SELECT Federation, ValidFrom, ValidTo FROM wlcg_sites
                                WHERE Site = '{site}' AND VO IS NULL ORDER BY ValidFrom""")
        assert len(history) == 2 and history[0][0] == old_federation and history[0][2] == history[1][1] == moved
        assert history[1][0] not in (None, old_federation) and history[1][2] is None
    assert rows(con, "SELECT Federation, ValidTo FROM wlcg_sites WHERE Site = 'JINR-LCG2' ORDER BY ValidFrom") == [
        ("RU-RDIG", dt.date(2024, 11, 1)), ("JINR-LCG2", None)]
    # DESY-HH: its ATLAS work in the ATLAS federation, every other VO's in its own.
    assert rows(con, "SELECT VO, Federation FROM wlcg_sites WHERE Site = 'DESY-HH' ORDER BY VO NULLS FIRST") == [
        (None, "DE-DESY-RWTH-CMS-T2"), ("atlas", "DE-DESY-GOE-ATLAS-T2")]
    for site, (_, found) in demo.SITE_FEDERATION_UNKNOWN.items():
        assert rows(con, f"SELECT ValidTo FROM wlcg_sites WHERE Site = '{site}' AND Federation IS NULL") == [(found,)]
    # Every WLCG site is a site, with one tier; no site and VO has two rows valid at once.
    assert value(con, "SELECT count(*) FROM wlcg_sites WHERE Site NOT IN (SELECT Site FROM sites)") == 0
    assert value(con, """SELECT count(*) FROM (SELECT Site FROM wlcg_sites GROUP BY Site
        HAVING count(DISTINCT Tier) > 1)""") == 0
    assert value(con, """SELECT count(*) FROM wlcg_sites a JOIN wlcg_sites b ON a.Site = b.Site
        AND a.VO IS NOT DISTINCT FROM b.VO AND a.ValidFrom < b.ValidFrom
        AND (a.ValidTo IS NULL OR a.ValidTo > b.ValidFrom)""") == 0
    assert value(con, "SELECT count(*) FROM sites WHERE Infrastructure = 'OSG' AND Country = 'United States'") > 0
    assert value(con, "SELECT count(*) FROM sites WHERE NOT Certified OR NOT Production") > 0
    # The small federation: about 13 NGIs, 40 sites (one NGI with two countries), 30 VOs.
    assert value(con, "SELECT count(DISTINCT NGI) FROM sites WHERE ValidTo IS NULL") == 13
    assert 35 <= value(con, "SELECT count(DISTINCT Site) FROM sites") <= 50
    assert value(con, "SELECT count(DISTINCT Country) FROM sites WHERE NGI = 'NGI_IBERGRID'") == 2
    assert value(con, "SELECT count(*) FROM vos") == 30


def test_disciplines_and_vos(con):
    assert value(con, "SELECT count(DISTINCT Level1) FROM disciplines") == 8
    assert value(con, "SELECT count(DISTINCT Level2) FROM disciplines") >= 20
    assert value(con, "SELECT count(*) FROM disciplines") >= 60
    assert value(con, "SELECT count(*) FROM vos WHERE Discipline NOT IN (SELECT Discipline FROM disciplines)") == 0
    assert rows(con, "SELECT DISTINCT Discipline FROM vos WHERE LHC") == [("High Energy Physics",)]


def test_pledges(con):
    assert rows(con, "SELECT min(Year), max(Year) FROM pledges") == [(2008, TODAY.year)]
    assert value(con, "SELECT count(*) FROM pledges WHERE Federation NOT IN (SELECT Federation FROM wlcg_sites)") == 0
    assert rows(con, "SELECT DISTINCT VO FROM pledges ORDER BY VO") == [(v,) for v in demo.LHC_VOS]
    assert value(con, """SELECT count(*) FROM pledges WHERE TapeTB > 0 AND Federation NOT IN
        (SELECT Federation FROM wlcg_sites WHERE Tier IN ('Tier-0', 'Tier-1'))""") == 0
    # The per-VO federation has the pledge of that VO only.
    assert rows(con, "SELECT DISTINCT VO FROM pledges WHERE Federation = 'DE-DESY-GOE-ATLAS-T2'") == [("atlas",)]
    # Sized on what was delivered: over the years, each tier's federations deliver about their pledge.
    delivered = dict(rows(con, f"""SELECT w.Tier, sum(x.NormalisedWallDuration * x.Processors) / 3600
        FROM htc x JOIN wlcg_sites w ON w.Site = x.Site AND w.VO IS NULL
        WHERE x.Year BETWEEN 2015 AND 2024 AND x.VO IN ({", ".join(f"'{v}'" for v in demo.LHC_VOS)}) GROUP BY 1"""))
    pledged = dict(rows(con, """SELECT t.Tier, sum(p.CpuHS23) * 365 * 24 FROM pledges p
        JOIN (SELECT DISTINCT Federation, Tier FROM wlcg_sites) t USING (Federation)
        WHERE p.Year BETWEEN 2015 AND 2024 GROUP BY 1"""))
    for tier in ("Tier-1", "Tier-2"):
        assert 0.8 < delivered[tier] / pledged[tier] < 1.6, (tier, delivered[tier] / pledged[tier])
