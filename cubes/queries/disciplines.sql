-- The discipline tree as it appears in the accounting (with VOs at the leaves).
SELECT DISTINCT Discipline1, Discipline2, Discipline3, VO
FROM htc_monthly
ORDER BY ALL
