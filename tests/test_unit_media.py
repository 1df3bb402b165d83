"""The one media table (accounting/media.py) drives the S3 object headers, the Apache
configuration and the build's precompressed siblings alike (no build needed)."""

from __future__ import annotations

import re

import pytest

from accounting import media
from accounting.publish import apache, s3
from accounting.site import precompress

HASH = "0123456789ab"


@pytest.fixture(scope="module")
def conf() -> str:
    return apache.config("/srv/portal/current")


def _files_match(conf: str, directive: str) -> list[re.Pattern]:
    """The patterns of the <FilesMatch> blocks holding `directive`, as Python regexes."""
    blocks = re.findall(r'<FilesMatch "([^"]+)">\s*\n((?:(?!</FilesMatch>).)*)</FilesMatch>', conf, re.S)
    return [re.compile(pattern) for pattern, body in blocks if directive in body]


@pytest.mark.parametrize("rel, ctype, encoding, cache", [
    ("index.html", "text/html; charset=utf-8", None, media.REVALIDATE),
    ("egi/index.html.br", "text/html; charset=utf-8", "br", media.REVALIDATE),
    ("egi/table.csv.gz", "text/csv; charset=utf-8", "gzip", media.REVALIDATE),
    ("data/htc_monthly.parquet", "application/vnd.apache.parquet", None, media.REVALIDATE),
    ("manifest.json", "application/json", None, media.REVALIDATE),
    ("sitemap.xml", "application/xml", None, media.REVALIDATE),
    (f"static/site.{HASH}.css", "text/css; charset=utf-8", None, media.IMMUTABLE),
    (f"static/site.{HASH}.js.br", "text/javascript; charset=utf-8", "br", media.IMMUTABLE),
    (f"static/favicon.{HASH}.svg.gz", "image/svg+xml", "gzip", media.IMMUTABLE),
    ("static/site.css", "text/css; charset=utf-8", None, media.REVALIDATE),  # no hash: may change
    (f"data/site.{HASH}.css", "text/css; charset=utf-8", None, media.REVALIDATE),  # not under static/
    ("logo.PNG", "image/png", None, media.REVALIDATE),
    ("archive.tar", "application/x-tar", None, media.REVALIDATE),  # the system's table beyond ours
    ("no-suffix", "application/octet-stream", None, media.REVALIDATE),
])
def test_s3_headers_come_from_the_table(rel, ctype, encoding, cache):
    h = s3.headers_for(rel)
    assert h["ContentType"] == ctype == media.content_type(rel)
    assert h.get("ContentEncoding") == encoding
    assert h["CacheControl"] == cache == media.cache_control(rel)


def test_s3_headers_of_every_type_and_encoding():
    for suffix, ctype in media.TYPES.items():
        assert s3.headers_for(f"data/x{suffix}") == {"ContentType": ctype, "CacheControl": media.REVALIDATE}
        for sibling, token in media.ENCODINGS.items():
            assert s3.headers_for(f"data/x{suffix}{sibling}")["ContentEncoding"] == token


def test_apache_declares_every_type_and_forces_it_on_the_siblings(conf):
    for suffix, ctype in media.TYPES.items():
        assert f'AddType "{ctype}" {suffix}\n' in conf, suffix
    forced = dict(re.findall(r'<FilesMatch "([^"]+)">\s*ForceType "([^"]+)"', conf))
    for suffix in media.TEXT_SUFFIXES:
        ctype = media.TYPES[suffix]
        for sibling in media.ENCODINGS:
            name = f"x{suffix}{sibling}"
            assert [t for p, t in forced.items() if re.search(p, name)] == [ctype], name
    for suffix in media.TYPES.keys() - media.TEXT_SUFFIXES:  # no siblings, so nothing to force
        assert not [p for p in forced if re.search(p, f"x{suffix}.gz")], suffix


def test_apache_encodings_and_siblings_follow_the_table(conf):
    for sibling, token in media.ENCODINGS.items():
        assert [p for p in _files_match(conf, f"Content-Encoding {token}\n") if p.search(f"x.html{sibling}")]
    for ext in ("RemoveType", "RemoveEncoding", "RemoveLanguage"):
        assert f"{ext} {' '.join(media.ENCODINGS)}\n" in conf
    # The rewrite to a sibling (tried in the table's order) and Vary cover the text suffixes only.
    rules = re.findall(r'RewriteRule "\^/\(\.\+\\\.\(([^)]+)\)\)\$" "/srv/portal/current/\$1(\.\w+)"', conf)
    assert [sibling for _, sibling in rules] == list(media.ENCODINGS)
    assert all({"." + e for e in exts.split("|")} == media.TEXT_SUFFIXES for exts, _ in rules)
    vary = _files_match(conf, "Header merge Vary Accept-Encoding")
    for suffix in media.TYPES:
        for name in (f"x{suffix}", *(f"x{suffix}{s}" for s in media.ENCODINGS)):
            assert bool([p for p in vary if p.search(name)]) == (suffix in media.TEXT_SUFFIXES), name


def test_apache_cache_control_matches_s3(conf):
    revalidate = re.search(r'^    Header set Cache-Control "([^"]+)"$', conf, re.M).group(1)
    assert revalidate == media.REVALIDATE
    hashed_dir, block = re.search(r'<Directory "/srv/portal/current/([^"]+)">(.*?)</Directory>', conf, re.S).groups()
    assert hashed_dir == media.HASHED_DIR
    immutable = _files_match(block, f'Header set Cache-Control "{media.IMMUTABLE}"')
    assert len(immutable) == 1
    for name in (f"site.{HASH}.css", f"vega.{HASH}.js.br", f"favicon.{HASH}.svg.gz", "site.css",
                 "site.0123.css", f"site.{HASH}.css.zst", f"site.{HASH.upper()}.css"):
        rel = f"{media.HASHED_DIR}/{name}"
        apache_cache = media.IMMUTABLE if immutable[0].search(name) else media.REVALIDATE
        assert apache_cache == s3.headers_for(rel)["CacheControl"], name


def test_precompress_siblings_by_the_same_suffixes():
    for suffix in media.TYPES:
        assert precompress.wants_siblings(f"egi/x{suffix}") == (suffix in media.TEXT_SUFFIXES)
        assert precompress.wants_siblings(f"egi/X{suffix.upper()}") == (suffix in media.TEXT_SUFFIXES)
    assert not precompress.wants_siblings("egi/index.html.br")
    data = b"<p>compressible</p>\n" * 200
    assert list(precompress.compress("index.html", data)) == list(media.ENCODINGS)
    assert precompress.compress("index.html", b"x") == {}  # a sibling never larger than its original


def test_precompress_tree_writes_siblings_of_text_files_only(tmp_path):
    data = b"a,b\n1,2\n" * 500
    for suffix in media.TYPES:
        (tmp_path / f"x{suffix}").write_bytes(data)
    written = precompress.precompress_tree(tmp_path, workers=2)
    assert written == len(media.TEXT_SUFFIXES) * len(media.ENCODINGS)
    siblings = {p.name for p in tmp_path.iterdir()} - {f"x{suffix}" for suffix in media.TYPES}
    assert siblings == {f"x{t}{s}" for t in media.TEXT_SUFFIXES for s in media.ENCODINGS}


def test_mediatype_is_the_type_without_parameters():
    assert media.mediatype(".csv") == "text/csv"
    assert media.mediatype(".parquet") == "application/vnd.apache.parquet"
