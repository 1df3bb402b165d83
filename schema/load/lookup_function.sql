-- A name's id as APEL's loader gets it: through the table's lookup function (routines.sql),
-- which gives a spelling that the collation finds equal the id of the first one.
SELECT {function}(%(name)s)
