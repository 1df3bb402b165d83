-- The discipline tree as it appears in the accounting (with VOs at the leaves), from every
-- data type's cube: a VO seen only in cloud, GPU or storage data has its place too.
SELECT Discipline1, Discipline2, Discipline3, VO FROM htc_monthly
UNION
SELECT Discipline1, Discipline2, Discipline3, VO FROM cloud_monthly
UNION
SELECT Discipline1, Discipline2, Discipline3, VO FROM gpu_monthly
UNION
SELECT Discipline1, Discipline2, Discipline3, VO FROM storage_monthly
ORDER BY ALL
