-- Writes a query's rows to a file: the path is the parameter $path, never pasted in;
-- the query and the format options come from our code (accounting/duck.py copy_to).
COPY ({query}) TO $path ({options})
