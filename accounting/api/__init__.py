"""The API stage: a read-only HTTP service over the cubes of the published release
(accounting/api/app.py), started by `python build.py api`."""

from __future__ import annotations

from pathlib import Path

from accounting.errors import AccountingError


def serve(target: str, host: str = "127.0.0.1", port: int = 8001, every: float = 1.0,
          cache: Path | None = None) -> None:
    """Answer API requests over the release `target` points at (a publish directory or an
    s3://BUCKET/PREFIX target, followed as new releases are published, or a built site) until
    interrupted; an S3 release's cubes are fetched into `cache`."""
    import uvicorn

    from accounting.api.app import create_app

    app = create_app(target if str(target).startswith("s3://") else Path(target), every, cache)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    limit_concurrency=64, timeout_keep_alive=5, h11_max_incomplete_event_size=8192)
    except SystemExit as e:  # uvicorn exits when it cannot bind
        raise AccountingError(f"cannot serve on {host}:{port}") from e
