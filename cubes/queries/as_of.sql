-- The data's as-of time: the latest HTC update (never the clock), so builds repeat.
SELECT as_of FROM source_summary WHERE dataset = 'htc'
