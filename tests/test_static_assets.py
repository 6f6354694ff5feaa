"""Static assets: gzip when accepted, year-long cache on versioned URLs, icon sheet cut to what is used."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from app.static_assets import ICON_CLASS, dsfr_version, subset_icon_css, used_icon_classes


@pytest.fixture
def version(app):
    return dsfr_version(app.config["DSFR_DIST"])


def test_dsfr_css_is_sent_gzipped_with_a_year_of_cache(app, client, version):
    original = (Path(app.config["DSFR_DIST"]) / "dsfr.min.css").read_bytes()
    response = client.get(f"/dsfr/{version}/dsfr.min.css", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/css"
    assert gzip.decompress(response.data) == original
    assert len(response.data) < len(original) / 5


def test_without_accept_encoding_the_file_is_sent_as_is(app, client, version):
    response = client.get(f"/dsfr/{version}/dsfr.module.min.js")
    assert "Content-Encoding" not in response.headers
    assert response.data == (Path(app.config["DSFR_DIST"]) / "dsfr.module.min.js").read_bytes()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_fonts_are_not_recompressed(client, version):
    response = client.get(f"/dsfr/{version}/fonts/Marianne-Regular.woff2", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"].endswith("immutable")


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
        "/dsfr/{v}/utility/icons/icons.subset-0000000000.min.css",
        "/static/../config.py",
    ],
)
def test_unknown_or_forbidden_assets_are_not_found(client, version, url):
    assert client.get(url.format(v=version)).status_code == 404


def test_app_static_urls_carry_a_content_hash(app, client):
    html = client.get("/").text
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', html).group(1)
    versioned = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(versioned.data) == (Path(app.static_folder) / "css" / "app.css").read_bytes()
    # Without the version, or with an old one, the browser must revalidate.
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/app.css?v=0123456789").headers["Cache-Control"] == "no-cache"


def test_compressed_copy_follows_a_changed_source(app, client, tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    sheet = static / "css" / "essai.css"
    sheet.write_text("body { color: black; }\n" * 100)
    app.static_folder = str(static)
    first = client.get("/static/css/essai.css", headers={"Accept-Encoding": "gzip"})
    sheet.write_text("body { color: navy; }\n" * 100)
    import os

    os.utime(sheet, ns=(sheet.stat().st_atime_ns, sheet.stat().st_mtime_ns + 10**9))
    second = client.get("/static/css/essai.css", headers={"Accept-Encoding": "gzip"})
    assert b"black" in gzip.decompress(first.data)
    assert b"navy" in gzip.decompress(second.data)


def test_pages_link_the_icon_subset_which_holds_every_icon_used(client, version):
    html = client.get("/").text
    url = re.search(r'href="(/dsfr/[^"]+/utility/icons/icons\.subset-[0-9a-f]{10}\.min\.css)"', html).group(1)
    assert "icons.min.css" not in html
    css = client.get(url).text
    used = used_icon_classes()
    assert "fr-icon-arrow-right-line" in used
    for name in used:
        if (
            name.startswith("fr-icon-")
            and f".{name}:"
            in (Path(client.application.config["DSFR_DIST"]) / "utility/icons/icons.min.css").read_text()
        ):
            assert f".{name}:before" in css, name
    declared = set(ICON_CLASS.findall(css))
    assert declared <= used
    assert len(css) < 30_000


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


def test_assets_compress_command_prepares_the_copies(app, runner, tmp_path):
    app.config["STATIC_CACHE_FOLDER"] = str(tmp_path / "cache")
    result = runner.invoke(args=["assets", "compress"])
    assert result.exit_code == 0, result.output
    count = int(re.search(r"(\d+) fichiers compressés", result.output).group(1))
    assert count > 100
    assert any(path.name.endswith("dsfr.min.css.gz") for path in (tmp_path / "cache").iterdir())
