#!/usr/bin/env python3
"""EGI accounting portal: build the static site.

With no command this is the nightly job: export the accounting data (from the MariaDB in
ACCOUNTING_DB_URL, or the built-in demo federation when it is not set), compute the report
cubes, and render the static site into the output directory (and, with --publish-to,
publish it). Each stage can run alone.
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
from pathlib import Path

import click

from accounting import pipeline
from accounting.errors import AccountingError
from accounting.source.db_load import GPU_SHAPES

DEBUG_ENV = "ACCOUNTING_DEBUG"  # set: an unexpected failure shows its traceback


def _option(*decls, **attrs):
    return functools.partial(click.option, *decls, **attrs)


DATA_DIR = _option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"),
                   show_default=True, help="Where source Parquet (data/source) and cubes (data/cubes) live.")
OUTPUT = _option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                 show_default=True, help="Directory of the built site (replaced atomically).")
DEMO_SCALE = _option("--demo-scale", type=click.Choice(["small", "default", "egi"]), default="default",
                     show_default=True, help="Size of the demo federation used when no database is configured: "
                     "small (seconds, for tests), default (~1M summary rows), egi (~10M rows).")
QUIET = _option("--quiet", is_flag=True, help="No progress bars.")
REPORT_PDFS = _option("--report-pdfs", is_flag=True,
                      help="Print the latest WLCG reports to PDF downloads (needs Chromium, ~2 s a report).")
KEEP = _option("--keep", type=click.IntRange(1), default=5, show_default=True,
               help="Releases to keep (the current and the previous one are never deleted).")


def options(*decorators):
    def apply(fn):
        for d in reversed(decorators):
            fn = d()(fn)
        return fn
    return apply


def run_stage(name: str, fn, *args, **kwargs):
    """Run one stage; its failure is one line on standard error (the `[stage] …` line that
    announces a long stage is progress output, left out with --quiet)."""
    if kwargs.get("progress", False):
        click.echo(f"[{name}] …", err=True)
    try:
        result, seconds = pipeline.timed(fn, *args, **kwargs)
    except AccountingError as e:
        raise type(e)(f"{name}: {e.message}") from None
    except Exception as e:
        if os.environ.get(DEBUG_ENV):
            raise
        raise AccountingError(f"{name}: unexpected {type(e).__name__}: {e} (set {DEBUG_ENV}=1 for the "
                              "traceback)") from None
    click.echo(f"[{name}] done in {seconds:.1f} s: {result}", err=True)
    return result


@click.group(invoke_without_command=True, help=__doc__)
@options(DATA_DIR, OUTPUT, DEMO_SCALE, QUIET, REPORT_PDFS)
@click.option("--publish-to", metavar="DIR|s3://BUCKET/PREFIX", default=None,
              help="Publish the built site there as the last stage (see the publish command).")
@KEEP()
@click.pass_context
def cli(ctx, data_dir, output, demo_scale, quiet, report_pdfs, publish_to, keep):
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if ctx.invoked_subcommand is not None:
        given = [p.opts[0] for p in ctx.command.params
                 if ctx.get_parameter_source(p.name) != click.core.ParameterSource.DEFAULT]
        if given:
            raise click.UsageError(f"{', '.join(given)} before a command apply to the nightly job only: "
                                   f"give them after {ctx.invoked_subcommand!r}")
        return
    with pipeline.nightly_locks(data_dir, output):
        run_stage("export", pipeline.export, data_dir, demo_scale, progress=not quiet)
        run_stage("cubes", pipeline.build_cubes, data_dir, progress=not quiet)
        run_stage("site", pipeline.build_site, data_dir, output, progress=not quiet, report_pdfs=report_pdfs)
    if publish_to:
        run_stage("publish", pipeline.publish, output, publish_to, keep)
    else:
        click.echo(f"Site built in {output}/. Look at it with: python build.py serve", err=True)


@cli.command(help="Export the accounting data to Parquet in DATA_DIR/source: from the MariaDB in "
                  "ACCOUNTING_DB_URL (mysql://user:password@host:port/db) or, when it is not set, "
                  "from the built-in demo federation at --demo-scale.")
@options(DATA_DIR, DEMO_SCALE, QUIET)
@click.option("--full", is_flag=True, help="Re-read every month, not only the changed and recent ones.")
@click.option("--restate-months", type=click.IntRange(0), default=3, show_default=True,
              help="Always re-read this many latest months (APEL restates recent months for weeks).")
@click.option("--no-bulk", is_flag=True,
              help="Read rows through pymysql only, not the faster ConnectorX path (same result).")
def export(data_dir, demo_scale, quiet, full, restate_months, no_bulk):
    run_stage("export", pipeline.export, data_dir, demo_scale, progress=not quiet, full=full,
              restate_months=restate_months, bulk=not no_bulk)


@cli.command(help="Generate the demo federation at --demo-scale. With --to-db, create the APEL "
                  "schema in the MariaDB of ACCOUNTING_DB_URL and load the demo into it (replacing "
                  "its accounting and topology tables), to try or test the real export path. With "
                  "--to DIR, write its source Parquet (as the export would) into DIR.")
@options(DEMO_SCALE, QUIET)
@click.option("--to-db", is_flag=True, help="Load into the database of ACCOUNTING_DB_URL.")
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the source Parquet into this directory (replaced atomically).")
@click.option("--gpu-shape", type=click.Choice(GPU_SHAPES), default=None,
              help="With --to-db: the accelerator table the portal has read so far (flat, the default), "
                   "the shape of APEL's pull request 459 (no FQAN, no UpdateTime), or none.")
def demo(demo_scale, quiet, to_db, to_dir, gpu_shape):
    if to_db == (to_dir is not None):
        raise click.UsageError("give exactly one of --to-db and --to DIR")
    if gpu_shape and not to_db:
        raise click.UsageError("--gpu-shape applies only with --to-db")
    if to_db:
        run_stage("demo", pipeline.load_demo_into_db, demo_scale, progress=not quiet, gpu_shape=gpu_shape or "flat")
    else:
        run_stage("demo", pipeline.write_demo, to_dir, demo_scale, progress=not quiet)


@cli.command(help="Compute the report cubes (cubes/*.sql, run by DuckDB) from DATA_DIR/source "
                  "into DATA_DIR/cubes.")
@options(DATA_DIR, QUIET)
def cubes(data_dir, quiet):
    run_stage("cubes", pipeline.build_cubes, data_dir, progress=not quiet)


@cli.command(help="Render the static site from DATA_DIR/cubes into OUTPUT. The site is built "
                  "beside OUTPUT and swapped in only when complete.")
@options(DATA_DIR, OUTPUT, QUIET, REPORT_PDFS)
def site(data_dir, output, quiet, report_pdfs):
    run_stage("site", pipeline.build_site, data_dir, output, progress=not quiet, report_pdfs=report_pdfs)


@cli.command(help="Serve OUTPUT on 127.0.0.1 for a local preview.")
@options(OUTPUT)
@click.option("--port", default=8000, show_default=True, help="TCP port on 127.0.0.1.")
def serve(output, port):
    if not (output / "index.html").exists():
        raise AccountingError(f"serve: no site in {output}/: run python build.py first")
    from accounting.preview import Handler  # the site's types and byte ranges (the explorer reads by range)

    handler = functools.partial(type("Preview", (Handler,), {"quiet": False}), directory=str(output))
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        raise AccountingError(f"serve: cannot listen on 127.0.0.1:{port}: {e.strerror or e}") from None
    with httpd:
        click.echo(f"Serving {output}/ at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


@cli.command(help="Serve the read-only API over the cubes of the release in TARGET: a publish "
                  "directory or S3 target (it follows its current release as releases are published) "
                  "or a built site. "
                  "It never connects to the database.")
@click.option("--from", "target", required=True, metavar="DIR|s3://BUCKET/PREFIX",
              help="A publish directory, an S3 publish target or a built site directory.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="TCP port.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the cubes of an S3 release are kept (default: the system's temporary directory).")
def api(target, host, port, cache):
    from accounting import api as api_stage

    run_stage("api", api_stage.serve, target, host, port, cache=cache)


@cli.command(help="Publish the built site OUTPUT as a release of DIR: DIR/releases/<build-id>/ (files "
                  "unchanged since the current release are hard-linked, not copied), then switch the "
                  "DIR/current symlink to it atomically. With --to s3://bucket/prefix, publish to "
                  "S3-compatible object storage instead (endpoint and credentials from the environment).")
@options(OUTPUT, KEEP)
@click.option("--to", "to", required=True, metavar="DIR|s3://BUCKET/PREFIX", help="Where to publish.")
@click.option("--rollback", is_flag=True, help="Point current back to the previous release; publish nothing.")
def publish(output, keep, to, rollback):
    run_stage("publish", pipeline.publish, output, to, keep, rollback)


@cli.command("apache-config", help="Write an Apache 2.4 configuration serving ROOT (normally "
                                   "<publish dir>/current): precompressed .br/.gz siblings, cache "
                                   "headers, download MIME types, the 404 page, security headers on "
                                   "every response, TRACE refused and a Server header without version.")
@click.option("--root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The directory to serve (the `current` symlink of a publish directory).")
@click.option("--listen", metavar="ADDRESS:PORT", default=None,
              help="Add `Listen ADDRESS:PORT` and a <VirtualHost ADDRESS:PORT> (127.0.0.1:8080, [::1]:8080, "
                   "0.0.0.0:80 for every interface). Without it and --port: directives for the enclosing "
                   "server, which listens where it already does.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Short for --listen 127.0.0.1:PORT (loopback only: a proxy in front).")
@click.option("--hsts", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Send Strict-Transport-Security: max-age=SECONDS. Only when the site is served over "
                   "HTTPS (by this Apache or a proxy in front): browsers then refuse plain HTTP for it.")
@click.option("--api", "api_url", metavar="URL", default=None,
              help="Proxy /api/ and the old portal's …/JSON/ and …/CSV/ addresses to the API (build.py api) "
                   "at this http URL (http://127.0.0.1:8001); nothing else goes to it. Without it they are 404.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the configuration here (default: standard output).")
def apache_config(root, listen, port, hsts, api_url, out):
    from accounting.publish import apache

    if listen is not None and port is not None:
        raise AccountingError("apache-config: give --listen or --port, not both")
    try:
        text = apache.config(root, apache.listen_address(listen, port), hsts, api=apache.api_url(api_url))
    except AccountingError as e:
        raise type(e)(f"apache-config: {e.message}") from None
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text)
    except OSError as e:
        raise AccountingError(f"apache-config: cannot write {out}: {e.strerror or e}") from None
    click.echo(f"[apache-config] written to {out}", err=True)


if __name__ == "__main__":
    cli()
