-- The benchmark spellings a source uses, the portal's type of each, and the spellings of
-- an unrecorded benchmark (accounting/source/contracts.py), for canonical_benchmark.
SET VARIABLE benchmark_{name} = $value
