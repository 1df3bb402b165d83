-- What APEL's loader records after a load: the latest update of each record type.
INSERT INTO LastUpdated (Type, UpdateTime) SELECT %(type)s, MAX({column}) FROM {table}
