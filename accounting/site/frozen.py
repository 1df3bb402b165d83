"""Frozen monthly WLCG reports. WLCG takes a month's numbers on the 8th of the next month
and circulates them for review: on the first build whose data is as of that day or later,
the month's reports are frozen. A frozen report is kept, with the figures behind it, in
DATA_DIR/frozen/<its page directory>/ (with the data, not only in the output: it outlives
rebuilds, releases and rollbacks, and an output rebuilt from nothing gets it back), and
every later build writes it into the site byte for byte instead of rendering it again,
with the hashed assets it was rendered with. Its figures (work per federation, site and
experiment) let later builds show restatements of the month as differences.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accounting.source.contracts import ORIGIN_FILE

FREEZE_DAY = 8
MARKER = "frozen.json"  # written last: a snapshot without it is incomplete and ignored
FIGURES = "figures.parquet"
_ASSET = re.compile(r"""(?:\.\./)*(static/[\w.\-]+)""")
_COMPRESSED = (".br", ".gz")


def freeze_date(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, FREEZE_DAY)


def is_due(year: int, month: int, as_of: dt.datetime) -> bool:
    return as_of.date() >= freeze_date(year, month)


class Store:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "frozen"
        origin = Path(data_dir) / "source" / ORIGIN_FILE
        self.origin = json.loads(origin.read_text()) if origin.exists() else None

    def check_origin(self) -> str | None:
        """Reports frozen from another source (another demo scale, another database) are
        not this source's: their directory is set aside (renamed, never deleted) and
        freezing starts again. Returns the warning to print, if it was."""
        kept = self.root / ORIGIN_FILE
        if self.origin is None or not self.root.exists():
            return None
        if not kept.exists():
            self._write_origin()
            return None
        was = json.loads(kept.read_text())
        if was == self.origin:
            return None
        aside = self.root.with_name(f"frozen.set-aside-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
        os.replace(self.root, aside)
        return (f"the frozen WLCG reports in {self.root} were frozen from another source ({json.dumps(was)}, "
                f"now {json.dumps(self.origin)}): set aside as {aside}; reports are frozen again from this one")

    def _write_origin(self) -> None:
        if self.origin is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / ORIGIN_FILE).write_text(json.dumps(self.origin))

    def _dir(self, page_dir: str) -> Path:
        return self.root / page_dir

    def has(self, page_dir: str) -> bool:
        return (self._dir(page_dir) / MARKER).exists()

    def meta(self, page_dir: str) -> dict:
        return json.loads((self._dir(page_dir) / MARKER).read_text())

    def figures(self, page_dir: str) -> pa.Table:
        return pq.read_table(self._dir(page_dir) / FIGURES)

    def save(self, site_root: Path, page_dir: str, as_of: dt.datetime, figures: pa.Table) -> None:
        """Keep the page directory's files as the build wrote them (not its subdirectories,
        nor the compressed siblings a build makes again), the assets its page names, and
        its figures; atomically (a temporary directory renamed into place)."""
        src = Path(site_root) / page_dir
        dest = self._dir(page_dir)
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in sorted(src.iterdir()):
            if f.is_file() and not f.name.endswith(_COMPRESSED):
                shutil.copy2(f, tmp / f.name)
        assets = sorted(set(_ASSET.findall((src / "index.html").read_text(encoding="utf-8"))))
        for asset in assets:
            kept = self.root / asset
            if not kept.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(site_root) / asset, kept)
        pq.write_table(figures, tmp / FIGURES)
        (tmp / MARKER).write_text(json.dumps({"page": page_dir, "as_of": as_of.isoformat(),
                                              "frozen_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                              "assets": assets}))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
        if not (self.root / ORIGIN_FILE).exists():
            self._write_origin()

    def restore(self, writer, page_dir: str) -> None:
        """Write a frozen report into the site: its files, and the assets it names that
        this build has not written (an older stylesheet or bundle)."""
        meta = self.meta(page_dir)
        for f in sorted(self._dir(page_dir).iterdir()):
            if f.name not in (MARKER, FIGURES):
                writer.write(page_dir + f.name, f.read_bytes())
        for asset in meta["assets"]:
            if asset not in writer.written:
                writer.write(asset, (self.root / asset).read_bytes())
