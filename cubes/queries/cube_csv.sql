-- A whole cube for its CSV download: every text column through csv_text (cubes/macros.sql),
-- {text_columns} being `csv_text("c") AS "c", …` for the cube's VARCHAR columns.
SELECT * REPLACE ({text_columns}) FROM {cube}
