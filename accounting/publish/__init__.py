"""Publishing a built site: `publish` puts it live as a new release, or moves back to the
previous one, in a release directory (accounting/publish/directory.py, served by Apache
with the configuration of accounting/publish/apache.py) or in an S3-compatible object
store (accounting/publish/s3.py). Every expected failure raises
accounting.errors.PublishError."""

from __future__ import annotations

from pathlib import Path

from accounting.errors import PublishError

S3_SCHEME = "s3://"


def publish(site: Path, to: str, keep: int = 5, rollback: bool = False) -> dict:
    """Publish the built site `site` to `to` (a directory, or s3://bucket/prefix) keeping the
    last `keep` releases; with rollback=True publish nothing and switch back to the release
    before the current one. Returns what was done, for the command line to print."""
    # Imported here: the S3 module needs boto3, the directory one pyarrow (through the
    # manifest), and `build.py apache-config` imports this package needing neither.
    if str(to).startswith(S3_SCHEME):
        from accounting.publish import s3

        return s3.publish(Path(site), str(to), keep, rollback)
    from accounting.publish import directory

    try:
        if rollback:
            return directory.rollback(Path(to))
        return directory.publish(Path(site), Path(to), keep)
    except OSError as e:
        raise PublishError.from_os(f"cannot publish into {to}", e) from None
