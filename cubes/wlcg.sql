-- The LHC experiments' VO names and their names in WLCG reports, and the name of every
-- other VO's work (cubes/catalogue.toml [wlcg]), for experiment().
SET VARIABLE wlcg_{name} = $value
