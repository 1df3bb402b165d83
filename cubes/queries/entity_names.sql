-- The names of one kind of entity ({column}) in one cube: who gets a page in that view.
SELECT DISTINCT {column} FROM {cube}
