-- The explorer's VO selection "top N of the period" (the old portal's top10): the N VOs with
-- the most raw CPU time in the view's period and job type, ties by name; work without a VO
-- is not ranked. {where} holds the period and job-type fragments, {n} a positive integer.
VO IN (
    SELECT VO FROM {cube}
    WHERE VO IS NOT NULL AND {where}
    GROUP BY VO
    ORDER BY sum(cpu_s) DESC, VO
    LIMIT {n}
)
