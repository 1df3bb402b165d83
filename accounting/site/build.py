"""Stage 3: render the static site from the cubes into a staging tree swapped in at the end.

One reader of the cubes, one typed context, one writer: the generators write their pages
in turn, then every text file gets its precompressed siblings and the manifest lists them
all. Any failure leaves the previous site as it was, with one line naming what failed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from accounting import duck, files, manifest
from accounting.catalogue import load
from accounting.errors import SiteError
from accounting.site import frozen, reportpdf
from accounting.site.assets import write_assets
from accounting.site.context import make_context
from accounting.site.generators import (
    Build,
    datasets,
    explore,
    landing,
    menu,
    nodata,
    quality,
    reports,
    search,
    static,
    storage,
    wlcg,
)
from accounting.site.precompress import precompress_tree
from accounting.site.reader import CubeReader
from accounting.site.render import Renderer
from accounting.site.writer import SiteWriter

GENERATORS = (explore, reports, storage, wlcg, menu, nodata, landing, static, datasets, quality, search)


def build(data_dir: Path, output: Path, progress: bool = True, workers: int | None = None,
          report_pdfs: bool = False) -> dict:
    data_dir, output = Path(data_dir), Path(output)
    reader = CubeReader(data_dir / "cubes", load())
    try:
        with files.staged_dir(output) as staging:
            return _build(reader, data_dir, staging, progress, workers or min(4, os.cpu_count() or 1), report_pdfs)
    except duck.Error as e:
        raise SiteError(f"cannot read the cubes in {data_dir / 'cubes'}: {e}") from None
    except OSError as e:
        raise SiteError.from_os(f"cannot write the site into {output}", e) from None


def _build(reader: CubeReader, data_dir: Path, staging: Path, progress: bool, workers: int,
           report_pdfs: bool = False) -> dict:
    t0 = time.perf_counter()
    writer = SiteWriter(staging)
    ctx = make_context(reader, load(), write_assets(writer, data_dir / "cache"))
    b = Build(ctx, reader, writer, Renderer(ctx, writer), progress, workers, pdfs=report_pdfs,
              frozen=frozen.Store(data_dir))
    if report_pdfs:
        reportpdf.chromium()  # (before the pages: a missing browser fails at once)
    if warning := b.frozen.check_origin():
        click.echo(f"warning: site: {warning}", err=True)
    for generator in GENERATORS:
        generator.generate(b)
    stats_pdfs = reportpdf.write(staging, b.pdf_pages)
    for page_dir, year, month in b.to_freeze:  # last, as published (its PDF too)
        b.frozen.save(staging, page_dir, ctx.frame.as_of, b.report_figures(year, month))
    stats = {"pages": b.renderer.pages, "files": len(writer.written), "bytes": sum(writer.written.values()),
             "seconds": time.perf_counter() - t0, **({"report_pdfs": stats_pdfs} if report_pdfs else {})}
    # Last, before the swap: precompressed siblings, then the manifest listing them all.
    t0 = time.perf_counter()
    stats["precompressed"] = precompress_tree(staging, data_dir / "cache" / "precompressed")
    stats["build_id"] = manifest.write(staging, data_dir / "source", ctx.frame.as_of)["build_id"]
    stats["seconds_compress_manifest"] = round(time.perf_counter() - t0, 2)
    return stats
