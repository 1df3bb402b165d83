"""Publish a built site to an S3-compatible object store, one atomic release at a time.

Layout under s3://BUCKET/PREFIX/:

    current.json                      the pointer: {"release": id, "previous": id, "history": [...]}
    releases/<build-id>/<path>        every file of the build (a complete, browsable tree)
    releases/<build-id>/manifest.json the build manifest, written after all the files of the release

Every release is a complete tree, so a reader (or the CDN / proxy in front of the bucket)
only needs `current.json` to find the live one, and a reader that started on a release keeps
seeing that release only. Objects are written only when their content changed: a file whose
SHA-256 is in the previous release is copied server-side (CopyObject, no upload bandwidth),
and a file already present in the release being written with the right hash (a resumed run,
or the same build published again) is skipped. Only files new to the store are uploaded.

Order: assets and data first, HTML pages last, then the release's manifest.json, then the
pointer (one PutObject, which S3 applies atomically). Old releases are deleted only after the
switch, keeping the last `keep` releases of the pointer's history and always the previous
one. A run that stops midway leaves the pointer on the previous release; the next run
skips what it finds already uploaded and finishes.

Configuration from the environment: AWS_ENDPOINT_URL or ACCOUNTING_S3_ENDPOINT_URL (any
S3-compatible store; unset means AWS itself), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
(or any other source boto3 reads), AWS_DEFAULT_REGION / AWS_REGION (default us-east-1).
Errors raise accounting.errors.PublishError with one line that never contains a secret.
Each object's headers are those Apache serves the same file with (accounting/media.py).
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from accounting import manifest as manifest_lib
from accounting import media
from accounting.errors import PublishError
from accounting.files import file_digest

MANIFEST = manifest_lib.NAME
POINTER = "current.json"
WORKERS = 16


# ---------------------------------------------------------------- the local build


# A build without manifest.json yet is listed the way the manifest lists it.
file_listing = manifest_lib.site_files
build_id_of = manifest_lib.build_id


def load_manifest(site: Path) -> tuple[dict, bytes]:
    """The site's manifest and its bytes; computed from the files when manifest.json is missing."""
    path = Path(site) / MANIFEST
    if path.is_file():
        raw = path.read_bytes()
        return json.loads(raw), raw
    files = file_listing(site)
    m = {"build_id": build_id_of(files), "built_at": _now(), "code_version": "", "datasets": {}, "files": files}
    return m, manifest_lib.dumps(m).encode()


# ---------------------------------------------------------------- headers


def headers_for(rel: str) -> dict:
    """ContentType, ContentEncoding (for .br/.gz siblings) and CacheControl of a site path."""
    encoding = media.split_encoding(rel)[1]
    h = {"ContentType": media.content_type(rel), "CacheControl": media.cache_control(rel)}
    if encoding:
        h["ContentEncoding"] = encoding
    return h


def _phase(rel: str) -> int:
    """Upload order: 0 hashed assets, 1 data and everything else, 2 HTML pages (and their siblings)."""
    base = media.split_encoding(rel)[0]
    if media.HASHED_ASSET.match(base):
        return 0
    return 2 if base.endswith(".html") else 1


# ---------------------------------------------------------------- the store


def parse_url(url: str) -> tuple[str, str]:
    u = urlparse(url)
    if u.scheme != "s3" or not u.netloc:
        raise PublishError(f"not an s3://bucket/prefix URL: {url}")
    return u.netloc, u.path.strip("/")


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("ACCOUNTING_S3_ENDPOINT_URL") or None


def client():
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    cfg = Config(region_name=region, connect_timeout=5, read_timeout=60,
                 retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=WORKERS + 4,
                 ignore_configured_endpoint_urls=True)  # the endpoint is endpoint_url(), an empty one is unset
    return boto3.client("s3", endpoint_url=endpoint_url(), config=cfg)


def _explain(e: Exception, bucket: str) -> PublishError:
    """One clear line for a boto error; never includes credentials."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )
    where = endpoint_url() or "AWS S3"
    if isinstance(e, (EndpointConnectionError, ConnectTimeoutError)):
        return PublishError(f"cannot reach the object store at {where}")
    if isinstance(e, ReadTimeoutError):
        return PublishError(f"the object store at {where} stopped answering")
    if isinstance(e, (NoCredentialsError, PartialCredentialsError)):
        return PublishError("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(e, ClientError):
        code = str(e.response.get("Error", {}).get("Code", ""))
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and status == 404):
            return PublishError(f"bucket {bucket} does not exist at {where}")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "Forbidden",
                    "InvalidToken", "ExpiredToken"):
            return PublishError(f"the object store at {where} refused the credentials for bucket {bucket} ({code})")
        return PublishError(f"object store error on bucket {bucket}: {code or status}")
    return PublishError(f"object store error on bucket {bucket}: {type(e).__name__}")


class _Store:
    def __init__(self, url: str):
        self.bucket, self.prefix = parse_url(url)
        self.s3 = client()

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def call(self, method: str, **kw):
        try:
            return getattr(self.s3, method)(Bucket=self.bucket, **kw)
        except Exception as e:
            from botocore.exceptions import BotoCoreError, ClientError
            if isinstance(e, (BotoCoreError, ClientError)):
                raise _explain(e, self.bucket) from None
            raise

    def write(self, method: str, **kw):
        """Every put and copy of a publish, in the order the module's docstring gives."""
        self.call(method, **kw)

    def get_json(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise _explain(e, self.bucket) from None
        except Exception as e:
            from botocore.exceptions import BotoCoreError
            if isinstance(e, BotoCoreError):
                raise _explain(e, self.bucket) from None
            raise
        return json.loads(body)

    def list(self, prefix: str) -> dict[str, dict]:
        """{key: {"ETag", "Size"}} of the objects under prefix."""
        out, token = {}, None
        while True:
            kw = {"Prefix": prefix, **({"ContinuationToken": token} if token else {})}
            page = self.call("list_objects_v2", **kw)
            for o in page.get("Contents", []):
                out[o["Key"]] = {"ETag": o["ETag"].strip('"'), "Size": o["Size"]}
            if not page.get("IsTruncated"):
                return out
            token = page["NextContinuationToken"]

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            self.call("delete_objects", Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})


def open_store(url: str) -> _Store:
    """The store of an s3://BUCKET/PREFIX target, for a reader of its releases (the API)."""
    return _Store(url)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- publish / rollback


def publish(output_dir: Path, url: str, keep: int = 5, rollback: bool = False) -> dict:
    """Publish the site in output_dir to url (s3://bucket/prefix), or with rollback=True move
    the pointer back to the previous release. Returns the counts the CLI prints."""
    store = _Store(url)
    store.call("head_bucket")
    if rollback:
        return _rollback(store)
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise PublishError(f"no built site in {output_dir}")
    manifest, manifest_bytes = load_manifest(output_dir)
    rid = manifest["build_id"]
    files = manifest["files"]
    rel_prefix = store.key("releases", rid) + "/"

    pointer = store.get_json(store.key(POINTER)) or {}
    live = pointer.get("release")

    # What the store already has: this release's objects (a resumed or repeated run), and the
    # live release's files by content hash (for server-side copies).
    existing = store.list(rel_prefix)
    source_by_sha: dict[str, str] = {}
    if live and live != rid:
        live_manifest = store.get_json(store.key("releases", live, MANIFEST)) or {}
        for rel, f in sorted(live_manifest.get("files", {}).items()):
            source_by_sha.setdefault(f["sha256"], store.key("releases", live, rel))

    todo: list[list[tuple[str, str, str | None]]] = [[], [], []]  # (action, rel, copy source)
    skipped = 0
    for rel, f in files.items():
        key = rel_prefix + rel
        have = existing.get(key)
        if have and have["Size"] == f["size"] and have["ETag"] == file_digest(output_dir / rel, "md5"):
            skipped += 1
            continue
        src = source_by_sha.get(f["sha256"])
        todo[_phase(rel)].append(("copy", rel, src) if src else ("upload", rel, None))

    counts = {"uploaded": 0, "copied": 0}
    count_lock = threading.Lock()

    def send(item):
        action, rel, src = item
        extra = {**headers_for(rel), "Metadata": {"sha256": files[rel]["sha256"]}}
        if action == "copy":
            store.write("copy_object", Key=rel_prefix + rel, MetadataDirective="REPLACE",
                        CopySource={"Bucket": store.bucket, "Key": src}, **extra)
        else:
            with open(output_dir / rel, "rb") as body:
                store.write("put_object", Key=rel_prefix + rel, Body=body, **extra)
        with count_lock:
            counts["uploaded" if action == "upload" else "copied"] += 1

    with ThreadPoolExecutor(WORKERS) as pool:
        for phase in todo:  # each phase completes before the next starts
            for _ in pool.map(send, phase):
                pass

    # The release's manifest marks it complete; then the pointer switches at once.
    store.write("put_object", Key=rel_prefix + MANIFEST, Body=manifest_bytes, **headers_for(MANIFEST))
    history = [r for r in pointer.get("history", []) if r != rid] + [rid]
    if live == rid:
        new_pointer = pointer  # same release published again: nothing to switch
    else:
        new_pointer = {"release": rid, "previous": live, "switched_at": _now(),
                       "built_at": manifest.get("built_at"), "history": history}
        _put_pointer(store, new_pointer)

    deleted = _prune(store, new_pointer, keep)
    return {"release": rid, "previous": new_pointer.get("previous"), "uploaded": counts["uploaded"],
            "copied": counts["copied"], "skipped": skipped, "deleted": deleted,
            "switched": live != rid}


def _put_pointer(store: _Store, pointer: dict) -> None:
    # Never stored by a cache, not even to revalidate: a stale pointer would name a pruned release.
    store.write("put_object", Key=store.key(POINTER),
                Body=(json.dumps(pointer, indent=1, sort_keys=True) + "\n").encode(),
                ContentType=media.content_type(POINTER), CacheControl="no-cache, no-store")


def _prune(store: _Store, pointer: dict, keep: int) -> int:
    """Delete the objects of releases outside the last `keep` of the pointer's history (the
    live and the previous release are always kept), and of abandoned partial releases."""
    history = pointer.get("history", [])
    kept = set(history[-max(keep, 1):]) | {pointer.get("release"), pointer.get("previous")}
    releases_prefix = store.key("releases") + "/"
    doomed = [k for k in store.list(releases_prefix) if k[len(releases_prefix):].split("/", 1)[0] not in kept]
    store.delete(doomed)
    if set(history) - kept:
        pointer["history"] = [r for r in history if r in kept]
        _put_pointer(store, pointer)
    return len(doomed)


def _rollback(store: _Store) -> dict:
    pointer = store.get_json(store.key(POINTER))
    if not pointer or not pointer.get("release"):
        raise PublishError(f"nothing published at s3://{store.bucket}/{store.prefix}")
    history = pointer.get("history", [])
    if len(history) < 2 or history[-1] != pointer["release"]:
        raise PublishError("no previous release to roll back to")
    target = history[-2]
    if store.get_json(store.key("releases", target, MANIFEST)) is None:
        raise PublishError(f"the previous release {target} is no longer complete in the store")
    new_history = history[:-1]
    new_pointer = {"release": target, "previous": new_history[-2] if len(new_history) > 1 else None,
                   "switched_at": _now(), "rolled_back_from": pointer["release"], "history": new_history}
    _put_pointer(store, new_pointer)
    return {"release": target, "previous": pointer["release"], "uploaded": 0, "copied": 0,
            "skipped": 0, "deleted": 0, "switched": True}
