-- The explorer's VO selection "top N of the period" (the old portal's top10): the N VOs with
-- the largest {rank} (the data type's ranking sum, catalogue.toml [explore.*] rank: raw CPU
-- time for HTC and cloud) in the view's period and job type, ties by name; work without a
-- VO is not ranked. {where} holds the period and job-type fragments, {n} a positive integer.
VO IN (
    SELECT VO FROM {cube}
    WHERE VO IS NOT NULL AND {where}
    GROUP BY VO
    ORDER BY sum({rank}) DESC, VO
    LIMIT {n}
)
