-- The GPU cube: GPU time available, active and normalised by month, site (with its NGI
-- and country of that month), VO (with its discipline), accelerator type, model and category, and whether the
-- accelerators served jobs or cloud VMs. Utilisation and the number of GPUs are ratios
-- the pages take from these sums at the level shown, never averages of ratios.
SELECT
    Year, Month, Site, NGI, Country, VO, Discipline1, Discipline2, Discipline3, Type, Model, Category, RecordType,
    sum(COLUMNS(lambda c: gpu_sum_column(c)))::DECIMAL(38, 6),
    count(*)::BIGINT AS summary_rows
FROM stg_gpu
GROUP BY ALL
ORDER BY ALL
