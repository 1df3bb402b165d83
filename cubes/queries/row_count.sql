-- Rows of one cube: a data type whose cube has none has no data in this build.
SELECT count(*) FROM {cube}
