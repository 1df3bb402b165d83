"""`build.py apache-config`'s options, read in the text it writes (the real Apache serving
it is tests/test_apache.py): where it listens, HSTS only when asked for, the server-wide
banner outside any virtual host, and one error line for an address it cannot use."""

from __future__ import annotations

import re

import pytest

from accounting.errors import PublishError
from accounting.publish import apache
from conftest import one_error_line, run_build

ROOT = "/srv/portal/current"


def config(listen: str | None = None, port: int | None = None, hsts: int | None = None) -> str:
    """What `apache-config --listen/--port/--hsts` writes, rendered in this process."""
    return apache.config(ROOT, apache.listen_address(listen, port), hsts)


@pytest.mark.parametrize("options, listen", [
    ({}, None),
    ({"port": 8080}, "127.0.0.1:8080"),
    ({"listen": "127.0.0.1:8080"}, "127.0.0.1:8080"),
    ({"listen": "0.0.0.0:80"}, "0.0.0.0:80"),
    ({"listen": "[::1]:8443"}, "[::1]:8443"),
    ({"listen": "[0:0::1]:8443"}, "[::1]:8443"),
])
def test_listen_on_the_address_given(options, listen):
    text = config(**options)
    listens = re.findall(r"^Listen (.*)$", text, re.M)
    hosts = re.findall(r"^<VirtualHost (.*)>$", text, re.M)
    if listen is None:  # directives for the server it is included in, which listens already
        assert listens == [] and hosts == [] and "</VirtualHost>" not in text
    else:
        assert listens == [listen] and hosts == [listen] and text.rstrip().endswith("</VirtualHost>")


def test_banner_and_trace_and_headers_outside_any_directory():
    text = config("127.0.0.1:8080")
    # ServerTokens is valid only outside a virtual host: Apache refuses it inside one.
    assert text.index("ServerTokens Prod\n") < text.index("<VirtualHost")
    scope = text[text.index("<VirtualHost"):text.index("\n<Directory ")]  # the whole site's, errors included
    for line in ("ServerSignature Off", "TraceEnable Off", 'Header always set X-Content-Type-Options "nosniff"',
                 'Header always set Referrer-Policy "strict-origin-when-cross-origin"',
                 "Header always set Content-Security-Policy \"default-src 'none';"):
        assert line in scope, line
    assert "Content-Security-Policy" not in text[text.index("\n<Directory "):]


def test_hsts_only_when_asked_for():
    assert "Strict-Transport-Security" not in config() + config(port=8080)
    assert re.findall(r"^Header always set Strict-Transport-Security (.*)$", config(hsts=31536000), re.M) \
        == ['"max-age=31536000"']


def test_the_command_line_writes_the_options_given():
    text = run_build("apache-config", "--root", ROOT, "--listen", "[::1]:8443", "--hsts", "600").stdout
    assert text == config("[::1]:8443", hsts=600)
    assert run_build("apache-config", "--root", ROOT, "--port", "8080").stdout == config("127.0.0.1:8080")


@pytest.mark.parametrize("listen, named", [
    ("8080", "--listen '8080'"),
    ("localhost:8080", "localhost:8080"),
    ("127.0.0.1:0", "127.0.0.1:0"),
    ("127.0.0.1:99999", "127.0.0.1:99999"),
    ("::1:8080", "brackets"),
    ('127.0.0.1:80"\nListen 0.0.0.0:81', "is not ADDRESS:PORT"),  # no configuration text slips in
])
def test_an_address_it_cannot_use_is_refused(listen, named):
    with pytest.raises(PublishError) as e:
        apache.listen_address(listen)
    assert named in e.value.message and "\n" not in e.value.message


@pytest.mark.parametrize("options, named", [
    (("--listen", "localhost:8080"), "localhost:8080"),
    (("--listen", "127.0.0.1:8080", "--port", "8080"), "not both"),
])
def test_the_command_line_says_it_in_one_line(tmp_path, options, named):
    proc = run_build("apache-config", "--root", str(tmp_path / "current"), *options, check=False)
    assert one_error_line(proc, "apache-config:", named)
    assert proc.stdout == ""


def test_the_explorer_alone_may_run_webassembly_and_workers():
    """The strict policy for the whole site, and 'wasm-unsafe-eval' with worker-src 'self' only
    in one <LocationMatch> for /explore/ and the DuckDB-WASM worker scripts."""
    text = config("127.0.0.1:8080")
    policies = re.findall(r'Header always set Content-Security-Policy "(.*)"', text)
    assert len(policies) == 2
    strict, explore = policies
    assert "wasm" not in strict and "worker-src" not in strict and "unsafe" not in strict
    assert explore == strict.replace("script-src 'self';", "script-src 'self' 'wasm-unsafe-eval';") \
        + "; worker-src 'self'"
    match = re.findall(r'<LocationMatch "(.*)">\n\s+Header always set Content-Security-Policy', text)
    assert len(match) == 1
    where = re.compile(match[0])
    for path in ("/explore/", "/explore/queries.json", "/static/duckdb-browser-eh-worker.0123456789ab.js",
                 "/static/duckdb-browser-mvp-worker.0123456789ab.js"):
        assert where.match(path), path
    for path in ("/", "/egi/", "/explorer/", "/static/duckdb-browser.0123456789ab.js", "/static/site.0123456789ab.js",
                 "/egi/explore/", "/static/duckdb-browser-eh-worker.js", "/data/htc_monthly.parquet"):
        assert not where.match(path), path
