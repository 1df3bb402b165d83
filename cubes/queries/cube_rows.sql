-- A whole cube as it is: the data-quality findings, and the CSV download of every cube.
SELECT * FROM {cube}
