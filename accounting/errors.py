"""The one root of every expected failure.

An `AccountingError` is a `click.ClickException`: wherever it is raised, the command line
prints its message as one line (`error: <what failed>`) and exits with status 2, with no
traceback. Each stage raises its own subclass, so a caller can tell them apart; the
message names what failed and never holds a secret (a password, a key).
"""

from __future__ import annotations

import os

import click


class AccountingError(click.ClickException):
    exit_code = 2

    def __init__(self, message: str):
        # One printable line, whatever the wrapped library said.
        super().__init__(" ".join("".join(c if c.isprintable() else " " for c in str(message)).split()))

    @classmethod
    def from_os(cls, what: str, e: OSError) -> AccountingError:
        """`what` ('cannot write the site into output') and the system's reason, with its file."""
        # By its errno where there is one: pyarrow's strerror wraps the system's reason in its
        # own words ('Error writing bytes to file. Detail: [errno 28] No space left on device').
        reason = os.strerror(e.errno) if e.errno else e.strerror or str(e)
        return cls(f"{what}: {reason}" + (f" ({e.filename})" if e.filename else ""))

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class BusyError(AccountingError):
    """Another run holds the lock of the directory this one would write (accounting.files)."""


class SourceError(AccountingError):
    """The source stage: the database, the demo, validation."""


class CubesError(AccountingError):
    """The cubes stage: a source dataset missing or unreadable, a cube's SQL failing."""


class SiteError(AccountingError):
    """The site stage: a cube missing or corrupt, a template, the output directory."""


class PublishError(AccountingError):
    """Publishing: a release directory, the object store."""
