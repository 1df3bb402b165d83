-- Shared predicates and labels, defined once for cubes and page queries alike.

-- VO groups: all, egi (EGI official VOs), lhc (the four LHC VOs).
CREATE OR REPLACE MACRO in_vo_group(vo_group, is_egi, is_lhc) AS
    vo_group = 'all' OR (vo_group = 'egi' AND is_egi) OR (vo_group = 'lhc' AND is_lhc);

-- Infrastructure filters, keeping the old portal's ids so its links keep their meaning.
CREATE OR REPLACE MACRO in_infra_filter(infra_filter, infrastructure) AS
    infra_filter = 'localinfrajobs'
    OR (infra_filter = 'onlyinfrajobs' AND infrastructure = 'grid')
    OR (infra_filter = 'onlylocaljobs' AND infrastructure = 'local');

-- APEL writes the string 'None' where it has no value (VO, group, role and user of local
-- jobs without an FQAN, StAR class and subgroup, cloud VO and benchmark type): that, NULL
-- and a blank all mean absent, NULL here, so each view names the absence its own way.
CREATE OR REPLACE MACRO apel_value(v) AS CASE WHEN trim(v) IN ('', 'None') THEN NULL ELSE v END;

-- What looks like a person's identity (issue 14), defined here only: an X.500 attribute
-- of a DN (CN=, DC=, O=, OU=, UID=, E=, emailAddress=, ...) at the start of the value or
-- after a separator (/ , ; + space), as a DN or an FQAN with a user's part carries it, or
-- an e-mail address; case-insensitive. FQAN attributes (Role=, Capability=) are not DN
-- attributes. NULL for NULL.
CREATE OR REPLACE MACRO looks_personal(v) AS regexp_matches(v,
    '(^|[/,;+[:space:]])[[:space:]]*(cn|dc|o|ou|uid|l|st|c|e|emailaddress|givenname|sn|serialnumber)[[:space:]]*='
    || '|[^[:space:]@/]+@[^[:space:]@/]+\.[a-z]{2,}', 'i');

-- A name column the portal publishes (contracts.NAME_COLUMNS) is read through this: a
-- value that looks like a person's identity is withheld, NULL like an absent value, so
-- its usage stays in every total under the column's absent label (catalogue [absent])
-- and never shows the value.
CREATE OR REPLACE MACRO published_name(v) AS CASE WHEN looks_personal(v) THEN NULL ELSE v END;

-- Which of a row's name columns were withheld, for the findings: the `names` whose value
-- in `vals` (same order) looks like a person's identity, as 'VO, submit host'; NULL if none.
CREATE OR REPLACE MACRO withheld_names(names, vals) AS
    nullif(array_to_string(list_filter(names, lambda n, i: coalesce(looks_personal(vals[i]), false)), ', '), '');

-- The finding of rows with a withheld name, the same words in every data type's findings
-- (never the value: which columns, at which site; the withheld site if that is it).
CREATE OR REPLACE MACRO withheld_finding() AS 'name withheld as personal data';
CREATE OR REPLACE MACRO withheld_detail(names) AS
    names || ' looked like a person''s identity: not shown, the usage is counted under the absent value';

-- The site a quarantined row's finding is about: the export keeps rows without a site
-- there too ('(empty site)'), and a site name that looks like a person's identity is
-- withheld like everywhere else (NULL: the withheld site).
CREATE OR REPLACE MACRO quarantined_site(site) AS
    CASE WHEN nullif(trim(site), '') IS NULL THEN '(empty site)' ELSE published_name(site) END;

-- A VO that is absent (APEL's 'None', blank, NULL) or withheld is NULL, one entity in every
-- data type that the pages show as the catalogue's [absent] VO label: never equal to a
-- VO really called "None" or "no VO".
CREATE OR REPLACE MACRO vo_name(v) AS published_name(apel_value(v));

-- Benchmark types are spelled in several cases by sites; the portal uses one spelling
-- (the spellings and types are accounting/source/contracts.py's, set as variables). A type
-- APEL did not record (normalised summaries sent as 'None', jobs without a scaling factor
-- as 'custom', blank, NULL) is one value, the catalogue's unknown benchmark; a spelling
-- of no known type keeps its text (and is quarantined by the export's validation).
CREATE OR REPLACE MACRO canonical_benchmark(t) AS
    CASE
        WHEN list_contains(getvariable('benchmark_unrecorded'), lower(trim(coalesce(t, ''))))
            THEN getvariable('label_unknown_benchmark')
        ELSE coalesce(getvariable('benchmark_types')[list_position(getvariable('benchmark_spellings'),
                                                                   lower(trim(t)))], t)
    END;

-- A VO's WLCG experiment: ALICE, ATLAS, CMS, LHCb for the LHC VOs as topology/vos names
-- them (exactly: a misspelling is another VO, as everywhere), "other" for every other VO.
CREATE OR REPLACE MACRO experiment(vo) AS
    coalesce(getvariable('wlcg_experiments')[list_position(getvariable('wlcg_vos'), vo)], getvariable('wlcg_other'));

CREATE OR REPLACE MACRO month_label(y, m) AS printf('%04d-%02d', y, m);
-- Longer periods of the explorer (its time granularities): 2025-Q1, 2025-H2, 2025.
CREATE OR REPLACE MACRO quarter_label(y, m) AS printf('%04d-Q%d', y, (m + 2) // 3);
CREATE OR REPLACE MACRO half_label(y, m) AS printf('%04d-H%d', y, (m + 5) // 6);
CREATE OR REPLACE MACRO year_label(y, m) AS printf('%04d', y);

-- num / den rounded half up to a thousandth, exactly, for non-negative integer sums (the
-- storage averages: byte-seconds over seconds). DuckDB's `/` divides in double precision,
-- which lost the thousandths above about 9 TB and the units above 2^53 bytes (9 PB); integer
-- division of HUGEINTs does not (num up to 2^63 bytes × a month of seconds × 2000 fits).
CREATE OR REPLACE MACRO thousandths(num, den) AS
    CASE WHEN den > 0 THEN ((num::HUGEINT * 2000 + den) // (2 * den::HUGEINT))::DECIMAL(38, 0) * 0.001::DECIMAL(4, 3) END;

-- The additive measures of each metric family, named in cubes/catalogue.toml ([families]) and
-- set as variables by accounting/duck.py before this file runs. Used as
-- sum(COLUMNS(lambda c: htc_sum_column(c))), which keeps the names.
CREATE OR REPLACE MACRO htc_sum_column(c) AS list_contains(getvariable('htc_sum_columns'), c);

-- GPU sums are exact DECIMAL sums of Count × duration, so every roll-up gives the same digits.
CREATE OR REPLACE MACRO gpu_sum_column(c) AS list_contains(getvariable('gpu_sum_columns'), c);

CREATE OR REPLACE MACRO cloud_sum_column(c) AS list_contains(getvariable('cloud_sum_columns'), c);

-- The same filters as a bit mask, for distinct counts of every filter in one pass: bit
-- 3 × g + f is set when a row is in VO group g (0 all, 1 egi, 2 lhc) and infrastructure
-- filter f (0 localinfrajobs, 1 onlyinfrajobs, 2 onlylocaljobs). Kept beside the
-- predicates above; tests check the counts against the predicates.
CREATE OR REPLACE MACRO filter_mask(is_egi, is_lhc, infrastructure) AS
    (1 + CASE WHEN infrastructure = 'grid' THEN 2 ELSE 0 END + CASE WHEN infrastructure = 'local' THEN 4 ELSE 0 END)
    * (1 + CASE WHEN is_egi THEN 8 ELSE 0 END + CASE WHEN is_lhc THEN 64 ELSE 0 END);

CREATE OR REPLACE MACRO filter_bits() AS TABLE
    SELECT 3 * g.i + f.i AS bit, g.vo_group, f.infra_filter
    FROM (VALUES (0, 'all'), (1, 'egi'), (2, 'lhc')) AS g(i, vo_group)
    CROSS JOIN (VALUES (0, 'localinfrajobs'), (1, 'onlyinfrajobs'), (2, 'onlylocaljobs')) AS f(i, infra_filter);

-- Findings (finding, subject, detail, ym, records) of a data type summarised per finding
-- and subject, as storage_findings and gpu_findings publish them.
CREATE OR REPLACE MACRO summarise_findings(findings) AS TABLE
    SELECT
        finding, subject, detail,
        min(ym) AS first_period,
        max(ym) AS last_period,
        count(DISTINCT ym)::BIGINT AS months,
        -- records may be GPU summaries' record counts (up to 2^63-1 each): no BIGINT.
        sum(records)::DECIMAL(38, 0) AS rows
    FROM query_table(findings)
    GROUP BY finding, subject, detail
    ORDER BY finding, subject, detail;

-- A topology row of a site applies to a month when the month's first day is in its validity.
CREATE OR REPLACE MACRO valid_in_month(valid_from, valid_to, y, m) AS
    valid_from <= make_date(y, m, 1) AND (valid_to IS NULL OR make_date(y, m, 1) < valid_to);

-- A text cell of a CSV download: a leading ' where a spreadsheet would run it as a formula
-- (OWASP: = + - @, tab, carriage return first, also after leading quotes, so one quote
-- stripped always gives the text back). The same rule as accounting/site/report.py
-- csv_text, for the CSV that DuckDB writes; the Parquet keeps the exact text.
CREATE OR REPLACE MACRO csv_text(v) AS CASE WHEN regexp_matches(v, '^''*[=+\-@\t\r]') THEN '''' || v ELSE v END;
