-- How many values of each text column ($text) of one cube look like a person's identity
-- (looks_personal, cubes/macros.sql). The cubes stage publishes no cube with any: the
-- last guard behind published_name, for a name column a cube would read without it or a
-- finding that would quote a source value.
SELECT sum(coalesce(looks_personal(COLUMNS(lambda c: list_contains($text, c))), false)::BIGINT) FROM {cube}
