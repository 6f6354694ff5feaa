"""Static assets (WhiteNoise) and compressed pages (Flask-Compress): compressed copies when accepted,
a year of cache on versioned URLs, the page's security headers, the icon sheet cut to what is used."""

from __future__ import annotations

import gzip
import posixpath
import re
from pathlib import Path

import brotli
import pytest

from app.security import CONTENT_SECURITY_POLICY
from app.static_assets import ICON_CLASS, dsfr_version, subset_icon_css, used_icon_classes

YEAR = "public, max-age=31536000, immutable"


@pytest.fixture
def version(app):
    return dsfr_version(app.config["DSFR_DIST"])


def test_dsfr_css_is_sent_compressed_with_a_year_of_cache(app, client, version):
    original = (Path(app.config["DSFR_DIST"]) / "dsfr.min.css").read_bytes()
    gzipped = client.get(f"/dsfr/{version}/dsfr.min.css", headers={"Accept-Encoding": "gzip"})
    assert gzipped.status_code == 200 and gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.data) == original and len(gzipped.data) < len(original) / 5
    assert "Accept-Encoding" in gzipped.headers["Vary"]
    assert gzipped.headers["Cache-Control"] == YEAR
    assert gzipped.mimetype == "text/css"
    brotlied = client.get(f"/dsfr/{version}/dsfr.min.css", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert brotlied.headers["Content-Encoding"] == "br" and brotli.decompress(brotlied.data) == original


def test_without_accept_encoding_the_file_is_sent_as_is(app, client, version):
    response = client.get(f"/dsfr/{version}/dsfr.module.min.js")
    assert "Content-Encoding" not in response.headers
    assert response.data == (Path(app.config["DSFR_DIST"]) / "dsfr.module.min.js").read_bytes()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_assets_carry_the_security_headers_of_the_pages(client, version):
    response = client.get(f"/dsfr/{version}/favicon/favicon.svg")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_fonts_are_not_recompressed(client, version):
    response = client.get(f"/dsfr/{version}/fonts/Marianne-Regular.woff2", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == YEAR


def test_conditional_request_gets_304(client, version):
    url = f"/dsfr/{version}/dsfr.min.css"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "url",
    [
        "/dsfr/0.0.1/dsfr.min.css",
        "/dsfr/{v}/../package.json",
        "/dsfr/{v}/README.md",
        "/dsfr/{v}/dsfr.min.css.map",
        "/dsfr/{v}/utility/icons/icons.subset-0000000000.min.css",
        "/static/../config.py",
        "/static/0123456789/css/app.css",
    ],
)
def test_unknown_or_forbidden_assets_are_not_found(client, version, url):
    assert client.get(url.format(v=version)).status_code == 404


def test_app_static_urls_carry_a_content_hash(app, client):
    html = client.get("/").text
    url = re.search(r'href="(/static/[0-9a-f]{10}/css/app\.css)"', html).group(1)
    versioned = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["Cache-Control"] == YEAR
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(versioned.data) == (Path(app.static_folder) / "css" / "app.css").read_bytes()
    # Without the version, the browser must revalidate.
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"


def test_pages_link_the_icon_subset_which_holds_every_icon_used(client, version):
    html = client.get("/").text
    url = re.search(r'href="(/dsfr/[^"]+/utility/icons/icons\.subset-[0-9a-f]{10}\.min\.css)"', html).group(1)
    assert "icons.min.css" not in html
    css = client.get(url).text
    used = used_icon_classes()
    assert "fr-icon-arrow-right-line" in used
    full_sheet = (Path(client.application.config["DSFR_DIST"]) / "utility/icons/icons.min.css").read_text()
    for name in used:
        if name.startswith("fr-icon-") and f".{name}:" in full_sheet:
            assert f".{name}:before" in css, name
    declared = set(ICON_CLASS.findall(css))
    assert declared <= used
    assert len(css) < 30_000
    # The icons it points to are served, compressed.
    icon = re.search(r"url\(([^)]+\.svg)\)", css).group(1)
    base = url.rsplit("/", 1)[0]
    response = client.get(posixpath.normpath(f"{base}/{icon}"), headers={"Accept-Encoding": "gzip"})  # as browsers do
    assert response.status_code == 200 and response.headers["Cache-Control"] == YEAR


def test_subset_keeps_generic_rules_and_media_blocks():
    css = (
        "/* licence */.fr-icon-a-line:before{x:1}.fr-icon-b-line:before,.fr-fi-b-line:before{x:2}"
        '[class*=" fr-icon-"]:before{y:1}@media (min-width:36em){.fr-icon-a-line--sm:before{z:1}.fr-icon-b-line--sm:before{z:2}}'
        "@media screen and (-ms-high-contrast:active){.fr-icon-a-line:before{w:1}}"
    )
    result = subset_icon_css(css, frozenset({"fr-icon-a-line", "fr-icon-a-line--sm"}))
    assert (
        result
        == '.fr-icon-a-line:before{x:1}[class*=" fr-icon-"]:before{y:1}@media (min-width:36em){.fr-icon-a-line--sm:before{z:1}}'
    )


def test_assets_build_command_prepares_the_copies(app, runner, tmp_path):
    app.config["STATIC_CACHE_FOLDER"] = str(tmp_path / "cache")
    result = runner.invoke(args=["assets", "build"])
    assert result.exit_code == 0, result.output
    assert int(re.search(r"(\d+) fichiers compressés", result.output).group(1)) > 5
    assert list((tmp_path / "cache").glob("dsfr-*/dsfr.min.css.br"))
    assert list((tmp_path / "cache").glob("static-*/css/app.css.gz"))


def test_pages_are_compressed_for_browsers_that_accept_it(client):
    plain = client.get("/agence")
    compressed = client.get("/agence", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.data) == plain.data
    assert "Accept-Encoding" in compressed.headers["Vary"]


def test_the_page_cache_keeps_one_copy_per_encoding(app):
    app.config["PAGE_CACHE_ENABLED"] = True
    client = app.test_client()
    for _ in range(2):
        gzipped = client.get("/agence", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/agence")
    assert gzipped.headers.get("X-Cache") == "HIT" and plain.headers.get("X-Cache") == "HIT"
    assert gzipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(gzipped.data) == plain.data
