"""Static accounting portal: APEL summaries → Parquet → DuckDB cubes → static site."""

__version__ = "0.1.0"
