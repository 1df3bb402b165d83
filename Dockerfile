# The builder: the nightly job (export from MariaDB, cubes, site) in a container.
#   docker build -t accounting-builder .
#   docker run --rm -e ACCOUNTING_DB_URL=mysql://portal@db:3306/apel -e ACCOUNTING_DB_PASSWORD \
#       -v accounting-data:/app/data -v accounting-site:/srv/site accounting-builder
# The runtime packages only (requirements.txt): no test package, no system package (the export
# reads MariaDB through PyMySQL and ConnectorX, not the mariadb client).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
# Dependencies first (a layer that changes only with requirements.txt), set up by the same
# script as on a developer's machine, without --test: a virtualenv in /app/.venv, and the
# explorer's pinned DuckDB-WASM in /app/vendor/node_modules (npm ci).
COPY requirements.txt ./
COPY vendor/package.json vendor/package-lock.json vendor/
COPY scripts/setup scripts/setup
RUN bash scripts/setup

COPY pyproject.toml build.py ./
COPY accounting/ accounting/
COPY cubes/ cubes/
COPY export/ export/
COPY schema/ schema/
COPY site_templates/ site_templates/
COPY static/ static/

RUN useradd --system --create-home --uid 10001 builder \
    && mkdir -p /app/data /app/output /srv/site \
    && chown -R builder /app/data /app/output /srv/site
USER builder
ENV PATH=/app/.venv/bin:$PATH
VOLUME ["/app/data", "/srv/site"]

ENTRYPOINT ["python", "build.py"]
CMD ["--quiet"]
