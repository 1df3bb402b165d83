-- One dataset's column of names, for lookup_names.sql.
SELECT "{column}" AS name FROM {view}
