"""Filesystem releases with an atomic switch, for Apache (or any web server) to serve.

    DIR/releases/<build-id>/   one complete built site per release (its manifest.json inside)
    DIR/current -> releases/<build-id>   the live release, a relative symlink
    DIR/releases.json          {"releases": [ids, oldest first], "current": id}
    DIR/current.map            "current <build-id>": the live release for Apache's RewriteMap

A release is assembled under a temporary name beside the others, a file hard-linked from
the current release when the manifests give it the same SHA-256 at the same path and copied
otherwise, renamed into place when complete, and only then made live by replacing
`current` with a new symlink in one rename(2), and `current.map` likewise. A web server that
follows the symlink resolves it at each file operation: Apache takes a file's size from one
stat and opens it later, so a switch in between would send the new file cut to the old
size. The configuration of `apache-config` therefore looks the release up once per request
in `current.map` and serves from `releases/<id>/`, which never changes.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from accounting import files, manifest
from accounting.errors import PublishError
from accounting.files import write_bytes

RELEASES, CURRENT, STATE, MAP, LOCK = "releases", "current", "releases.json", "current.map", ".publish.lock"


@contextmanager
def _locked(target: Path):
    """One publisher at a time per target directory: a second one fails at once. The lock
    file is inside the directory (unlike a built tree's, it is never replaced, and it may be
    a volume shared by containers whose parents are not), and so is the holder's first
    task: what a killed publish left (a half-assembled release, a temporary symlink or
    state file), which no other run can be using now."""
    with files.locked(target / LOCK, target, doing="published to"):
        for stale in [*(target / RELEASES).glob(".*.tmp-*"), *target.glob(f".{CURRENT}.tmp-*"),
                      *target.glob(f"{STATE}.tmp-*"), *target.glob(f"{MAP}.tmp-*")]:
            files.remove(stale)
        yield


def current_id(target: Path) -> str | None:
    link = Path(target) / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise PublishError(f"{link} exists and is not a symlink: not a release directory")
        return None
    return Path(os.readlink(link)).name


def read_state(target: Path) -> dict:
    path = Path(target) / STATE
    state = json.loads(path.read_text()) if path.exists() else {"releases": []}
    cur = current_id(target)
    # A run stopped between the switch and the state write: the symlink is the truth.
    if cur is not None and cur not in state["releases"]:
        state["releases"].append(cur)
    state["current"] = cur
    return state


def _write_state(target: Path, state: dict) -> None:
    text = json.dumps({"releases": state["releases"], "current": state["current"]}, indent=1) + "\n"
    write_bytes(target / STATE, text.encode())


def switch(target: Path, build_id: str) -> None:
    """Point `current` at releases/<build_id> atomically (a new symlink renamed over it)."""
    tmp = target / f".{CURRENT}.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(f"{RELEASES}/{build_id}", tmp)
    os.replace(tmp, target / CURRENT)
    write_bytes(target / MAP, f"{CURRENT} {build_id}\n".encode())


def _map_names(target: Path) -> str | None:
    try:
        return (target / MAP).read_text().split()[-1]
    except (FileNotFoundError, IndexError):
        return None


def _assemble(site: Path, files: dict, dest: Path, base: Path | None, base_files: dict) -> tuple[int, int]:
    """Copy the listed files of `site` into `dest`, hard-linking those unchanged in `base`."""
    linked = copied = 0
    made: set[Path] = set()
    for rel, meta in files.items():
        out = dest / rel
        if out.parent not in made:
            out.parent.mkdir(parents=True, exist_ok=True)
            made.add(out.parent)
        same = base is not None and base_files.get(rel, {}).get("sha256") == meta["sha256"]
        if same:
            try:
                os.link(base / rel, out)
                linked += 1
                continue
            except OSError:  # another filesystem, or the file went missing: copy instead
                pass
        shutil.copyfile(site / rel, out)
        if out.stat().st_size != meta["size"]:
            raise PublishError(f"{site / rel} changed while publishing (size differs from the manifest)")
        copied += 1
    return linked, copied


def _prune(target: Path, state: dict, keep: int, previous: str | None) -> list[str]:
    """Delete releases beyond the last `keep`, never the current or the previous one."""
    releases = state["releases"]
    protected = {state["current"], previous}
    if state["current"] in releases:
        i = releases.index(state["current"])
        if i > 0:
            protected.add(releases[i - 1])
    removed = []
    for rid in releases[:max(0, len(releases) - keep)]:
        if rid not in protected:
            shutil.rmtree(target / RELEASES / rid, ignore_errors=True)
            removed.append(rid)
    state["releases"] = [r for r in releases if r not in removed]
    return removed


def publish(site: Path, target: Path, keep: int = 5) -> dict:
    """Publish the built site `site` (with its manifest.json) as a release of `target`."""
    site, target = Path(site), Path(target)
    if keep < 1:
        raise PublishError("--keep must be at least 1")
    if not (site / manifest.NAME).exists():
        raise PublishError(f"no {manifest.NAME} in {site}/: build the site first (python build.py site)")
    new = manifest.read(site)
    build_id = new["build_id"]
    with _locked(target):
        state = read_state(target)
        previous = state["current"]
        if previous == build_id:
            # A run stopped between the symlink and the map: Apache serves by the map.
            if _map_names(target) != build_id:
                switch(target, build_id)
            return {"release": build_id, "status": "unchanged: already the current release",
                    "linked": 0, "copied": 0, "removed": []}
        releases_dir = target / RELEASES
        releases_dir.mkdir(exist_ok=True)
        dest = releases_dir / build_id
        linked = copied = 0
        if dest.exists() and manifest.read(dest)["build_id"] == build_id:
            status = "switched to the existing release"
        else:
            base = releases_dir / previous if previous else None
            base_files = manifest.read(base)["files"] if base and (base / manifest.NAME).exists() else {}
            tmp = releases_dir / f".{build_id}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                linked, copied = _assemble(site, new["files"], tmp, base, base_files)
                shutil.copyfile(site / manifest.NAME, tmp / manifest.NAME)
                copied += 1
                shutil.rmtree(dest, ignore_errors=True)
                os.rename(tmp, dest)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            status = "published"
        switch(target, build_id)
        state["releases"] = [r for r in state["releases"] if r != build_id] + [build_id]
        state["current"] = build_id
        removed = _prune(target, state, keep, previous)
        _write_state(target, state)
    return {"release": build_id, "previous": previous, "status": status, "linked": linked, "copied": copied,
            "removed": removed}


def rollback(target: Path) -> dict:
    """Point `current` back at the release published before it."""
    target = Path(target)
    with _locked(target):
        state = read_state(target)
        cur = state["current"]
        if cur is None:
            raise PublishError(f"nothing published in {target}/")
        i = state["releases"].index(cur)
        older = [r for r in state["releases"][:i] if (target / RELEASES / r).is_dir()]
        if not older:
            raise PublishError(f"no release before {cur} to roll back to")
        back = older[-1]
        switch(target, back)
        state["current"] = back
        _write_state(target, state)
    return {"release": back, "previous": cur, "status": "rolled back"}
