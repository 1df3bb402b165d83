-- How demo --to-db sends the HTC summaries into MariaDB (run by DuckDB over the view htc):
-- months APEL no longer summarises go straight into HybridSuperSummaries (htc_archive);
-- the months it summarises every night (getvariable('resummarised_from'), a month index
-- year × 12 + month − 1) go the ways sites' data reaches an APEL server, through its
-- procedures: normalised summaries (ServiceLevel 0) into NormalisedSummaries, summaries
-- of a few jobs as their job records into JobRecords, the rest into Summaries. Some of
-- the routed rows publish their VO in another spelling (getvariable('spelled'), of the
-- VOs getvariable('spelled_vo')), which APEL's lookups merge into the VO's first one.

CREATE OR REPLACE VIEW htc_archive AS
SELECT * FROM htc WHERE Year * 12 + Month - 1 < getvariable('resummarised_from');

CREATE OR REPLACE VIEW htc_routed AS
SELECT *,
       row_number() OVER (ORDER BY Site, Year, Month, GlobalUserName, VO, VOGroup, VORole, SubmitHost,
                          Infrastructure, ServiceLevelType, ServiceLevel, NodeCount, Processors) AS row_id,
       CASE WHEN ServiceLevel = 0 THEN 'normalised' WHEN NumberOfJobs <= 5 THEN 'jobs' ELSE 'summary' END AS route,
       getvariable('publisher') AS PublisherDN
FROM htc WHERE Year * 12 + Month - 1 >= getvariable('resummarised_from');

-- The VO as a publisher spelled it: every other row (or job) of a spelled VO.
CREATE OR REPLACE MACRO published_vo(vo, n) AS
    CASE WHEN n % 2 = 1 AND list_contains(getvariable('spelled_vo'), vo)
         THEN getvariable('spelled')[list_position(getvariable('spelled_vo'), vo)] ELSE vo END;

CREATE OR REPLACE VIEW htc_normalised AS
SELECT Site, Month, Year, GlobalUserName, VO, VOGroup, VORole, SubmitHost, Infrastructure, ServiceLevelType,
       NodeCount, Processors, EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NormalisedWallDuration,
       NormalisedCpuDuration, NumberOfJobs, PublisherDN
FROM htc_routed WHERE route = 'normalised';

CREATE OR REPLACE VIEW htc_summaries AS
SELECT Site, Month, Year, GlobalUserName, published_vo(VO, row_id) AS VO, VOGroup, VORole, SubmitHost,
       Infrastructure AS InfrastructureType, ServiceLevelType, ServiceLevel, NodeCount, Processors,
       EarliestEndTime, LatestEndTime, WallDuration, CpuDuration, NumberOfJobs, PublisherDN
FROM htc_routed WHERE route = 'summary';

-- A summary of n jobs as n job records: the durations shared out to the second (the
-- remainder to the first jobs), the first job ending at the earliest end time, the last
-- at the latest, so SummariseJobs gives the summary back.
CREATE OR REPLACE VIEW htc_jobs AS
WITH jobs AS (
    SELECT *, unnest(range(NumberOfJobs::BIGINT)) AS j FROM htc_routed WHERE route = 'jobs'
), timed AS (
    SELECT *,
           WallDuration // NumberOfJobs + (j < WallDuration % NumberOfJobs)::INT AS wall,
           CpuDuration // NumberOfJobs + (j < CpuDuration % NumberOfJobs)::INT AS cpu,
           CASE WHEN j = NumberOfJobs - 1 THEN LatestEndTime ELSE EarliestEndTime END AS end_time
    FROM jobs
)
SELECT Site, SubmitHost, 'wn-' || (j % 3) || '.' || lower(Site) AS MachineName, 'default' AS Queue,
       printf('demo-%d-%d', row_id, j) AS LocalJobId, GlobalUserName, published_vo(VO, j) AS VO, VOGroup, VORole,
       wall AS WallDuration, cpu AS CpuDuration, NodeCount, Processors,
       end_time - to_seconds(wall) AS StartTime, end_time AS EndTime, Year AS EndYear, Month AS EndMonth,
       Infrastructure AS InfrastructureType, ServiceLevelType, ServiceLevel, PublisherDN
FROM timed;
