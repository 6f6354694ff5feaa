"""Serves the DSFR from node_modules (installed by npm, never committed, never from a CDN) and the
app's own ``static/`` files: compressed, cacheable for a year, under versioned URLs.

- DSFR URLs carry the DSFR version (``/dsfr/1.15.3/dsfr.min.css``); the app's files carry a content
  hash (``/static/css/app.css?v=3f2a9c1b0d``, added by ``url_for`` itself). A versioned URL is
  ``Cache-Control: public, max-age=31536000, immutable``; a stale or missing version is revalidated.
- Text assets (CSS, JS, SVG…) are sent gzip-compressed to browsers that accept it
  (``Vary: Accept-Encoding``). The compressed copy is made once, on first request or beforehand with
  ``flask assets compress``, in ``STATIC_CACHE_FOLDER`` (default ``instance/static-cache``), and
  reused while the source file is unchanged. Fonts (woff2) and images are already compressed.
- Everything goes through Flask, so the security headers (CSP…) are on assets too.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import os
import re
import tempfile
from functools import cache, lru_cache
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, request, send_file
from flask.cli import with_appcontext
from werkzeug.security import safe_join

bp = Blueprint("assets", __name__)

# Only what pages use: styles, scripts, fonts, icons, pictograms, favicons.
ALLOWED_SUFFIXES = {".css", ".js", ".woff", ".woff2", ".svg", ".png", ".ico", ".webmanifest"}
COMPRESSIBLE_SUFFIXES = {".css", ".js", ".svg", ".webmanifest", ".ico", ".json", ".txt"}
ONE_YEAR = 365 * 24 * 3600
MIN_COMPRESS_BYTES = 512


@cache
def dsfr_version(dist: str) -> str:
    package = Path(dist).parent / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "0"


@bp.get("/dsfr/<version>/<path:filename>")
def dsfr(version: str, filename: str):
    dist = current_app.config["DSFR_DIST"]
    if version != dsfr_version(dist) or Path(filename).suffix not in ALLOWED_SUFFIXES:
        abort(404)
    if filename.startswith("utility/icons/icons.subset-"):
        if filename != icons_subset_name():
            abort(404)
        return send_asset(icons_subset_file(), immutable=True)
    path = safe_join(dist, filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    return send_asset(Path(path), immutable=True)


def dsfr_url(filename: str) -> str:
    from flask import url_for

    if filename == ICONS_SHEET:
        filename = icons_subset_name()
    return url_for("assets.dsfr", version=dsfr_version(current_app.config["DSFR_DIST"]), filename=filename)


# --- the icon utility sheet, cut down to the icons the site uses ------------------------------------
# utility/icons/icons.min.css declares ~1,800 icons (356 KB, 29 KB compressed); pages use a few dozen.
# dsfr_url("utility/icons/icons.min.css") gives a sheet of the same folder (relative url() unchanged)
# holding only the icon classes written in the app's templates, Python and JavaScript files
# (``fr-icon-…`` literals), plus every rule that is not icon-specific.

ICONS_SHEET = "utility/icons/icons.min.css"
ICON_CLASS = re.compile(r"fr-(?:icon|fi)-[a-z0-9]+(?:-[a-z0-9]+)*")  # fr-fi-: legacy names
APP_FOLDER = Path(__file__).resolve().parent


def used_icon_classes() -> frozenset[str]:
    """Scanned once per process; in debug at every use, so a new icon in a template shows at once."""
    if current_app.debug:
        return _scan_icon_classes.__wrapped__()
    return _scan_icon_classes()


@cache
def _scan_icon_classes() -> frozenset[str]:
    found: set[str] = set()
    for pattern in ("templates/**/*.html", "**/*.py", "static/**/*.js"):
        for path in APP_FOLDER.glob(pattern):
            try:
                found.update(ICON_CLASS.findall(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return frozenset(found)


def _css_blocks(css: str):
    """Top-level (prelude, body) pairs of a minified sheet; comments are dropped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    position, length = 0, len(css)
    while position < length:
        opening = css.find("{", position)
        if opening == -1:
            return
        depth, cursor = 1, opening + 1
        while depth and cursor < length:
            depth += {"{": 1, "}": -1}.get(css[cursor], 0)
            cursor += 1
        yield css[position:opening].strip(), css[opening + 1 : cursor - 1]
        position = cursor


def subset_icon_css(css: str, keep: frozenset[str]) -> str:
    output = []
    for prelude, body in _css_blocks(css):
        if prelude.startswith("@media"):
            if "-ms-high-contrast" in prelude:  # Internet Explorer only
                continue
            inner = subset_icon_css(body, keep)
            if inner:
                output.append(f"{prelude}{{{inner}}}")
            continue
        selectors = prelude.split(",")
        kept = [
            selector
            for selector in selectors
            if not ICON_CLASS.search(selector) or any(name in keep for name in ICON_CLASS.findall(selector))
        ]
        if kept:
            output.append(f"{','.join(kept)}{{{body}}}")
    return "".join(output)


@cache
def _icons_subset(dist: str, keep: frozenset[str]) -> tuple[str, bytes]:
    css = (Path(dist) / ICONS_SHEET).read_text(encoding="utf-8")
    data = subset_icon_css(css, keep).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:10], data


def icons_subset_name() -> str:
    digest, _ = _icons_subset(current_app.config["DSFR_DIST"], used_icon_classes())
    return f"utility/icons/icons.subset-{digest}.min.css"


def icons_subset_file() -> Path:
    """The subset written once into the cache folder (so it is sent like any other file)."""
    digest, data = _icons_subset(current_app.config["DSFR_DIST"], used_icon_classes())
    target = _cache_folder() / f"icons.subset-{digest}.min.css"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.replace(temporary, target)
    return target


# --- the app's own static files ---------------------------------------------------------------------


@lru_cache(maxsize=512)
def _content_hash(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()[:10]


def static_version(filename: str) -> str | None:
    """Short content hash of ``static/<filename>`` (None if the file does not exist)."""
    path = safe_join(current_app.static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _content_hash(path, stat.st_mtime_ns, stat.st_size)


def static_view(filename: str):
    path = safe_join(current_app.static_folder, filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    wanted = request.args.get("v")
    return send_asset(Path(path), immutable=wanted is not None and wanted == static_version(filename))


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.view_functions["static"] = static_view

    @app.url_defaults
    def add_static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(values["filename"])
            if version:
                values["v"] = version

    app.cli.add_command(assets_cli)


# --- sending, compressed when useful ---------------------------------------------------------------


def _cache_folder() -> Path:
    configured = current_app.config.get("STATIC_CACHE_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "static-cache"


def compressed_copy(path: Path) -> Path | None:
    """The gzip copy of ``path`` in the cache folder, (re)made if missing or older than the source."""
    if path.suffix not in COMPRESSIBLE_SUFFIXES:
        return None
    stat = path.stat()
    if stat.st_size < MIN_COMPRESS_BYTES:
        return None
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    target = _cache_folder() / f"{key}-{path.name}.gz"
    try:
        if target.stat().st_mtime_ns == stat.st_mtime_ns:
            return target
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as output:
        output.write(data)
    os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the copy's mtime marks its source
    os.replace(temporary, target)  # atomic: concurrent workers never serve half a file
    return target


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def send_asset(path: Path, immutable: bool):
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"  # Werkzeug adds the charset
    compressed = compressed_copy(path)
    if compressed is not None and _accepts_gzip():
        response = send_file(compressed, mimetype=mimetype, conditional=True, etag=True, max_age=0)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=0)
    if compressed is not None:
        response.vary.add("Accept-Encoding")
    if immutable:
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"  # revalidate (ETag): the URL has no version
    return response


@click.group("assets")
def assets_cli() -> None:
    """Fichiers statiques (DSFR et feuilles du site)."""


@assets_cli.command("compress")
@with_appcontext
def compress_command() -> None:
    """Prépare les copies compressées (gzip) des fichiers servis, avant la mise en service."""
    count = 0
    dist = Path(current_app.config["DSFR_DIST"])
    roots = [Path(current_app.static_folder)]
    roots += [dist / name for name in ("dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js", "utility")]
    roots += [dist / "icons", dist / "favicon"]
    for root in roots:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if path.suffix in ALLOWED_SUFFIXES and compressed_copy(path) is not None:
                count += 1
    click.echo(f"{count} fichiers compressés dans {_cache_folder()}")
