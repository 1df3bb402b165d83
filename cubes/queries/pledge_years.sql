-- The years with a WLCG pledge and at least one complete month ($last, YYYYMM) to compare.
SELECT DISTINCT Year FROM wlcg_pledges
WHERE Year * 100 + Month <= $last AND pledge_work_s > 0
ORDER BY Year
