"""The Apache 2.4 configuration of the published site, rendered from
site_templates/apache.conf.j2 (all configuration text lives in the template, every
content type, encoding and cache policy in accounting/media.py: S3 serves the same)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from accounting import media
from accounting.catalogue import load
from accounting.errors import PublishError
from accounting.locations import TEMPLATES
from accounting.publish import directory
from accounting.site import legacy

DEBIAN_MODULES = "/usr/lib/apache2/modules"
# `--port N` alone: the site on this machine only (a proxy or TLS terminator in front);
# any other exposure is a decision spelled out with --listen.
DEFAULT_BIND = "127.0.0.1"


def listen_address(listen: str | None = None, port: int | None = None) -> str | None:
    """The `Listen` argument: `listen` ("ADDRESS:PORT", IPv6 in brackets) checked and
    normalised, or DEFAULT_BIND with `port`; None for neither (no Listen, no virtual host)."""
    if listen is None:
        return None if port is None else f"{DEFAULT_BIND}:{port}"
    host, sep, number = listen.rpartition(":")
    try:
        if not sep or not number.isdigit() or not 1 <= int(number) <= 65535:
            raise ValueError("no port from 1 to 65535 after the last ':'")
        address = ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
        if address.version == 6 and not host.startswith("["):
            raise ValueError("an IPv6 address goes in brackets")
    except ValueError as e:
        raise PublishError(f"--listen {listen!r} is not ADDRESS:PORT with an IP address "
                           f"(127.0.0.1:8080, [::1]:8080, 0.0.0.0:80): {e}") from None
    return f"[{address}]:{int(number)}" if address.version == 6 else f"{address}:{int(number)}"


def api_url(url: str | None) -> str | None:
    """The API's base URL for the proxy rules: http(s)://host[:port], no path, query or quote."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or any(c in url for c in '"\n '):
        raise PublishError(f"--api {url!r} is not an http URL of the API (http://127.0.0.1:8001)")
    return f"{parts.scheme}://{parts.netloc}"


def media_table() -> dict:
    """What the template serves by, suffixes without their dot (as Apache writes them)."""
    return {
        "types": [(suffix[1:], ctype) for suffix, ctype in media.TYPES.items()],
        "text_types": [(suffix[1:], ctype) for suffix, ctype in media.TYPES.items()
                       if suffix in media.TEXT_SUFFIXES],
        "encodings": [(suffix[1:], token) for suffix, token in media.ENCODINGS.items()],
        "hashed_dir": media.HASHED_DIR,
        "hashed_name": media.HASHED_NAME,
        "immutable": media.IMMUTABLE,
        "revalidate": media.REVALIDATE,
    }


def config(root: Path, listen: str | None = None, hsts: int | None = None, modules: str = DEBIAN_MODULES,
           api: str | None = None) -> str:
    """The configuration serving `root`; `listen` as listen_address gives it, `hsts` the
    max-age of Strict-Transport-Security (None: not sent), `api` the API's base URL as
    api_url gives it (None: no proxy)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    root = Path(root).absolute()
    if '"' in root.as_posix() or "\n" in root.as_posix():
        raise PublishError(f"cannot serve a path with a quote or newline in Apache: {root.as_posix()!r}")
    # The `current` link of a release directory: each request is answered from the release
    # current.map names when it starts (see publish/directory.py); any other directory as it is.
    releases = None
    if root.name == directory.CURRENT:
        releases = {"map": (root.parent / directory.MAP).as_posix(),
                    "dir": (root.parent / directory.RELEASES).as_posix()}
    return env.get_template("apache.conf.j2").render(root=root.as_posix().rstrip("/"), listen=listen, hsts=hsts,
                                                     modules=modules, releases=releases, api=api,
                                                     legacy_prefixes=legacy.prefixes(load()),
                                                     legacy_formats=legacy.FORMATS, legacy_files=legacy.FILES,
                                                     **media_table())
