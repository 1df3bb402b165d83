-- Shared predicates and labels, defined once for cubes and page queries alike.

-- VO groups: all, egi (EGI official VOs), lhc (the four LHC VOs).
CREATE OR REPLACE MACRO in_vo_group(vo_group, is_egi, is_lhc) AS
    vo_group = 'all' OR (vo_group = 'egi' AND is_egi) OR (vo_group = 'lhc' AND is_lhc);

-- Infrastructure filters, keeping the old portal's ids so its links keep their meaning.
CREATE OR REPLACE MACRO in_infra_filter(infra_filter, infrastructure) AS
    infra_filter = 'localinfrajobs'
    OR (infra_filter = 'onlyinfrajobs' AND infrastructure = 'grid')
    OR (infra_filter = 'onlylocaljobs' AND infrastructure = 'local');

-- Benchmark types are spelled in several cases by sites; the portal uses one spelling.
CREATE OR REPLACE MACRO canonical_benchmark(t) AS
    CASE lower(t)
        WHEN 'si2k' THEN 'si2k'
        WHEN 'hepspec' THEN 'HEPSPEC'
        WHEN 'hepspec06' THEN 'HEPSPEC'
        WHEN 'hepscore23' THEN 'HEPscore23'
        ELSE t
    END;

CREATE OR REPLACE MACRO month_label(y, m) AS printf('%04d-%02d', y, m);

-- The additive HTC measures every HTC cube sums (in this order; accounting.catalogue.SUM_COLUMNS
-- mirrors it). Used as sum(COLUMNS(lambda c: htc_sum_column(c))), which keeps the names.
CREATE OR REPLACE MACRO htc_sum_column(c) AS
    c IN ('njobs', 'cpu_s', 'normcpu_s', 'wall_s', 'normwall_s', 'wall_proc_s', 'normwall_proc_s');
