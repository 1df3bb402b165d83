"""The read-only HTTP API over the published release's cubes (Starlette, served by uvicorn).

Why Starlette: a small, well-kept ASGI toolkit with routing, query parsing, streaming
responses and exception handlers, and nothing we would not use (no ORM, no templating, no
validation layer that would be a second definition of the views' parameters, which are the
release's own: explore/queries.json).

Every answer names its release (X-Build-Id, and `build_id`/`data_as_of` in JSON), carries
an ETag of the release and the canonical view (a proxy may keep it and revalidate: 304) and
comes from one `Release` object taken at the start of the request.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import threading
from collections import OrderedDict

import pyarrow.parquet as pq
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from accounting import media
from accounting.api import dump, legacy, openapi, views
from accounting.api.release import Follower
from accounting.site import report

FORMATS = {"json": "application/json", "csv": media.TYPES[".csv"], "parquet": media.TYPES[".parquet"]}
# The old portal's `…/JSON/` and `…/CSV/` answers (accounting/api/legacy.py).
OLD_FORMATS = {"JSON": "application/json", "CSV": media.TYPES[".csv"]}
CACHE_BYTES = 64 << 20  # answers kept in memory, across views and formats
CONCURRENT_QUERIES = 4  # views computed at once; more wait (a burst queues, never piles up)
CACHE_CONTROL = "public, no-cache"  # a proxy may store an answer and revalidate it (ETag)
MAX_URL = 4096  # characters of path and query: a longer address is refused (414) before any work
CONCURRENT_DUMPS = 2  # whole-dataset streams at once; another gets 503 (a proxy should cache them)


class AnswerCache:
    """Encoded answers by their key (release, canonical view, format), least recently used out first."""

    def __init__(self, limit: int = CACHE_BYTES):
        self.limit, self.size = limit, 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.limit // 4:
            return  # one huge answer would evict everything else
        with self._lock:
            if key not in self._items:
                self._items[key] = body
                self.size += len(body)
            while self.size > self.limit:
                _, old = self._items.popitem(last=False)
                self.size -= len(old)


def encode(release, view: dict, answer: views.Answer, fmt: str, var: dict | None = None) -> bytes:
    if fmt == "JSON":
        return legacy.old_json(var, answer.header, answer.records, answer.kinds)
    if fmt == "CSV":
        return legacy.old_csv(var, answer.header, answer.records, answer.kinds)
    if fmt == "csv":
        return report.records_csv(answer.header, answer.records, answer.kinds)
    if fmt == "parquet":
        buf = io.BytesIO()
        pq.write_table(report.records_arrow(answer.header, answer.records, answer.kinds), buf, compression="zstd")
        return buf.getvalue()
    body = {"build_id": release.build_id, "data_as_of": release.data_as_of, "built_at": release.built_at,
            "view": view, "header": answer.header,
            "rows": [dict(zip([*answer.header, report.ROW_KIND], [*rec, kind]))
                     for rec, kind in zip(answer.records, answer.kinds, strict=True)]}
    return (json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode()


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def not_modified(request: Request, key: str, headers: dict) -> Response | None:
    """Sets the ETag of an answer (`key`: its release and what it holds) in `headers`; a 304
    when the client (or a proxy revalidating) already holds that answer."""
    headers["ETag"] = etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return None


log = logging.getLogger("accounting.api")


def guarded(endpoint):
    """An endpoint whose unexpected failure is a one-line JSON 500 for the client and one
    line in the server's log (what failed, where), not a traceback; the service goes on."""
    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as e:  # noqa: BLE001  (the last resort: every other failure is answered above)
            tb = e.__traceback__
            while tb.tb_next:
                tb = tb.tb_next
            log.error("%s %s: %s: %s (%s:%d)", request.method, request.url.path, type(e).__name__, e,
                      tb.tb_frame.f_code.co_filename.rsplit("/", 1)[-1], tb.tb_lineno)
            return error(f"internal error ({type(e).__name__})", 500)
    return run


def create_app(target, every: float = 1.0, cache=None) -> Starlette:
    follower = Follower(target, every, cache)
    cache = AnswerCache()
    gate = threading.BoundedSemaphore(CONCURRENT_QUERIES)
    dumps = threading.BoundedSemaphore(CONCURRENT_DUMPS)

    def answer_bytes(key: str, release, view, fmt, var):
        body = cache.get(key)
        if body is None:
            with gate:
                body = encode(release, view, views.compute(release, view), fmt, var)
            cache.put(key, body)
        return body

    async def respond(request: Request, release, view: dict, fmt: str, var: dict | None = None) -> Response:
        headers = {"Cache-Control": CACHE_CONTROL, "X-Build-Id": release.build_id}
        # One key per answer (release, canonical view, format, the old ids it echoes): its ETag
        # and its place in the cache.
        key = f"{release.build_id}\n{views.canonical(view)}\n{fmt}\n{json.dumps(var, sort_keys=True)}"
        if held := not_modified(request, key, headers):
            return held
        try:
            body = await run_in_threadpool(answer_bytes, key, release, view, fmt, var)
        except Exception as e:  # noqa: BLE001  (a query that fails, memory limit or interrupted, fails alone)
            return error(f"the view could not be computed ({type(e).__name__})", 503)
        if fmt not in ("json", "JSON"):
            headers["Content-Disposition"] = f'attachment; filename="{views.file_name(view)}.{fmt.lower()}"'
        return Response(body, media_type=FORMATS.get(fmt) or OLD_FORMATS[fmt], headers=headers)

    def too_long(request: Request) -> Response | None:
        n = len(request.url.path) + len(request.url.query)
        return error(f"the address is {n} characters long, at most {MAX_URL}", 414) if n > MAX_URL else None

    async def view_endpoint(request: Request) -> Response:
        if refused := too_long(request):
            return refused
        release = follower.current()  # the whole answer comes from this one release
        data = request.path_params["data"]
        try:
            fmt = request.query_params.get("format", "json")
            if fmt not in FORMATS:
                raise views.BadRequest(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
            view = views.parse(release.queries, data, request.query_params)
        except views.BadRequest as e:
            return error(e.message, e.status)
        return await respond(request, release, view, fmt)

    async def old_view(request: Request) -> Response:
        """An old portal address with JSON/ or CSV/ appended: its view, in the old shape."""
        if refused := too_long(request):
            return refused
        release = follower.current()
        path, fmt = legacy.split_format("/" + request.path_params["path"])
        if fmt is None:
            return error("not found", 404)
        try:
            params, _notes = legacy.parse(path, release.legacy, release.queries["families"])
            pairs = legacy.applicable(legacy.query_params(params), release.queries["families"][params["data"]])
            view = views.parse(release.queries, params["data"], QueryParams(pairs))
        except legacy.Problem as e:
            return error(f"{path} is not an old portal view the API can answer: segment {e.index} "
                         f"({e.segment!r}): {e.reason}", 404)
        except views.BadRequest as e:
            return error(f"{path}: {e.message}", e.status)
        return await respond(request, release, view, fmt, legacy.spelled(path, release.legacy, params))

    async def whole_dataset(request: Request) -> Response:
        """/csv and /json: every month of HTC and cloud, streamed (accounting/api/dump.py)."""
        release = follower.current()
        fmt = request.url.path.strip("/")
        headers = {"Cache-Control": CACHE_CONTROL, "X-Build-Id": release.build_id,
                   "Content-Disposition": f'attachment; filename="accounting-{release.data_as_of}.{fmt}"'}
        if held := not_modified(request, f"{release.build_id}\ndump\n{fmt}", headers):
            return held
        if not dumps.acquire(blocking=False):
            return error(f"{CONCURRENT_DUMPS} dumps are being sent; try again shortly", 503)

        def body():
            try:
                yield from (dump.csv_stream if fmt == "csv" else dump.json_stream)(release)
            finally:
                dumps.release()

        return StreamingResponse(body(), media_type=FORMATS[fmt], headers=headers)

    async def describe(request: Request) -> Response:
        release = follower.current()
        return JSONResponse(openapi.describe(release), headers={"Cache-Control": CACHE_CONTROL,
                                                                "X-Build-Id": release.build_id})

    async def health(request: Request) -> Response:
        release = follower.current()
        return JSONResponse({"status": "ok", "build_id": release.build_id, "data_as_of": release.data_as_of},
                            headers={"Cache-Control": "no-store", "X-Build-Id": release.build_id})

    async def not_found(request: Request, exc: HTTPException) -> Response:
        return error("not found" if exc.status_code == 404 else str(exc.detail), exc.status_code)

    async def failed(request: Request, exc: Exception) -> Response:
        return error(f"internal error ({type(exc).__name__})", 500)

    return Starlette(routes=[Route("/api/v1/openapi.json", guarded(describe)),
                             Route("/api/v1/{data}", guarded(view_endpoint)), Route("/api/health", guarded(health)),
                             Route("/csv", guarded(whole_dataset)), Route("/json", guarded(whole_dataset)),
                             Route("/{path:path}", guarded(old_view))],
                     exception_handlers={HTTPException: not_found, Exception: failed})
