"""Static files, served by WhiteNoise in front of Flask: the DSFR from node_modules (installed by npm,
never committed, never from a CDN) and the app's own ``static/`` folder.

- DSFR URLs carry the DSFR version (``/dsfr/1.15.3/dsfr.min.css``), the app's files a hash of the
  folder's content (``/static/3f2a9c1b0d/css/app.css``): such a URL is cacheable for a year
  (``immutable``). The same files without version (``/static/css/app.css``) are revalidated.
- WhiteNoise sends the gzip or brotli copy a browser accepts when one lies beside the file. The DSFR
  files the templates link (``dsfr_url('…')``) with the fonts and icons their sheets point to, and the
  app's files, are copied and compressed by WhiteNoise's own compressor once per content into
  ``STATIC_CACHE_FOLDER`` (default ``instance/static-cache``), on first start or beforehand with
  ``flask assets build``; only they are served (the DSFR has thousands of files, maps and sources).
  Scanned once per process: a new ``dsfr_url`` or icon in a template shows after a restart.
- The security headers (CSP…) of the pages are set on assets too.

One piece is ours, because no library does it: the DSFR's icon sheet cut down to the icons the site
uses (the full sheet declares ~1,800 icons; with it, the first visit of the home page weighs ~28 KB
more than the 350 KB it must stay under).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from wsgiref.headers import Headers

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from app.security import security_headers

# Only what pages may use: styles, scripts, fonts, icons, pictograms, favicons.
ALLOWED_SUFFIXES = {".css", ".js", ".woff", ".woff2", ".svg", ".png", ".ico", ".webmanifest"}
ONE_YEAR = 365 * 24 * 3600
APP_FOLDER = Path(__file__).resolve().parent


@cache
def dsfr_version(dist: str) -> str:
    package = Path(dist).parent / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "0"


# --- the icon utility sheet, cut down to the icons the site uses ------------------------------------
# dsfr_url("utility/icons/icons.min.css") gives a sheet of the same folder (relative url() unchanged)
# holding only the icon classes written in the app's templates, Python and JavaScript files
# (``fr-icon-…`` literals), plus every rule that is not icon-specific.

ICONS_SHEET = "utility/icons/icons.min.css"
ICON_CLASS = re.compile(r"fr-(?:icon|fi)-[a-z0-9]+(?:-[a-z0-9]+)*")  # fr-fi-: legacy names


@cache
def used_icon_classes() -> frozenset[str]:
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


# --- what pages link, and the build that serves it --------------------------------------------------

DSFR_LINK = re.compile(r"dsfr_url\(\s*['\"]([^'\"]+)['\"]\s*\)")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")?#]+)[^)]*\)")


@cache
def linked_dsfr_files() -> tuple[str, ...]:
    """The DSFR files the templates link with ``dsfr_url('…')`` (the icon sheet stands for its subset)."""
    names: set[str] = set()
    for path in (APP_FOLDER / "templates").glob("**/*.html"):
        names.update(DSFR_LINK.findall(path.read_text(encoding="utf-8")))
    return tuple(sorted(names))


@cache
def icons_subset_css(dist: str) -> bytes:
    return subset_icon_css((Path(dist) / ICONS_SHEET).read_text(encoding="utf-8"), used_icon_classes()).encode()


@dataclass(frozen=True)
class Build:
    """Where the compressed and versioned copies of one content lie, and their names."""

    dsfr: Path  # compressed copies of the DSFR files pages link, at their place in dist/
    app_static: Path  # a copy of static/, compressed
    app_version: str
    icons_subset: str  # the subset's name in dist/utility/icons/


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:10]


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def prepare(app: Flask) -> Build:
    """The build of the current content: made now if it does not exist yet (at most a few seconds, once)."""
    dist = Path(app.config["DSFR_DIST"])
    cache_folder = Path(app.config.get("STATIC_CACHE_FOLDER") or Path(app.instance_path) / "static-cache")
    static = Path(app.static_folder or APP_FOLDER / "static")

    statics = _files(static)
    app_version = _digest(*(str(p.relative_to(static)).encode() + p.read_bytes() for p in statics))
    icons = icons_subset_css(str(dist))
    icons_subset = f"utility/icons/icons.subset-{_digest(icons)}.min.css"
    linked = [icons_subset if name == ICONS_SHEET else name for name in linked_dsfr_files()]
    dsfr_key = _digest(dsfr_version(str(dist)).encode(), icons, "\n".join(linked).encode())

    build = Build(cache_folder / f"dsfr-{dsfr_key}", cache_folder / f"static-{app_version}", app_version, icons_subset)
    if not build.dsfr.is_dir():
        _write_atomically(build.dsfr, lambda folder: _build_dsfr(folder, dist, linked, icons_subset, icons))
    if not build.app_static.is_dir():
        _write_atomically(build.app_static, lambda folder: _build_static(folder, static, statics))
    return build


def _write_atomically(target: Path, fill) -> None:
    """Several workers may start at once: each builds in its own folder; the first rename wins."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    try:
        fill(folder)
        os.rename(folder, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _compress(folder: Path) -> None:
    compressor = Compressor(quiet=True)
    for path in _files(folder):
        if compressor.should_compress(path.name):
            compressor.compress(str(path))


def _build_dsfr(folder: Path, dist: Path, linked: list[str], icons_subset: str, icons: bytes) -> None:
    """The linked files, the fonts and icons their sheets point to, and compressed copies of them all."""
    wanted: set[Path] = set()
    for name in linked:
        source = dist / name
        if name != icons_subset and not source.is_file():
            continue
        wanted.add(Path(name))
        sheet = icons.decode() if name == icons_subset else source.read_text(encoding="utf-8", errors="replace")
        if name.endswith(".css"):
            for reference in CSS_URL.findall(sheet):
                if reference.startswith("data:"):
                    continue
                target = os.path.normpath((Path(name).parent / reference).as_posix())
                if Path(target).suffix in ALLOWED_SUFFIXES and (dist / target).is_file():
                    wanted.add(Path(target))
    for relative in wanted:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.as_posix() == icons_subset:
            target.write_bytes(icons)
        else:
            shutil.copyfile(dist / relative, target)
    _compress(folder)


def _build_static(folder: Path, static: Path, statics: list[Path]) -> None:
    for path in statics:
        target = folder / path.relative_to(static)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    _compress(folder)


# --- serving ----------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Serve the assets with WhiteNoise in front of the app (and of the page cache)."""
    dist = Path(app.config["DSFR_DIST"])
    version = dsfr_version(str(dist))
    build = prepare(app)
    app.extensions["static_build"] = build
    dsfr_prefix = f"/dsfr/{version}/"
    versioned_static = f"/static/{build.app_version}/"

    def immutable(_path: str, url: str) -> bool:
        return url.startswith((dsfr_prefix, versioned_static))

    def add_headers(headers: Headers, _path: str, url: str) -> None:
        for name, value in security_headers(app).items():
            headers[name] = value
        headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable" if immutable(_path, url) else "no-cache"

    server = WhiteNoise(
        app.wsgi_app,
        autorefresh=app.debug,
        max_age=0,
        allow_all_origins=False,
        add_headers_function=add_headers,
        immutable_file_test=immutable,
    )
    # The DSFR files pages link and what their sheets point to (not the thousands of others).
    server.add_files(str(build.dsfr), prefix=dsfr_prefix)
    server.add_files(app.static_folder, prefix="/static/")  # without version: revalidated
    if not app.debug:  # in debug, edited files show at once under their plain URL
        server.add_files(str(build.app_static), prefix=versioned_static)
    app.wsgi_app = server  # type: ignore[method-assign]

    versioned = frozenset(path.relative_to(build.app_static).as_posix() for path in _files(build.app_static))

    @app.url_defaults
    def versioned_static_url(endpoint, values):
        if endpoint == "static" and not app.debug and values.get("filename") in versioned:
            values["filename"] = f"{build.app_version}/{values['filename']}"

    app.cli.add_command(assets_cli)


def dsfr_url(filename: str) -> str:
    """URL of a DSFR file; the full icon sheet is replaced by its subset."""
    if filename == ICONS_SHEET:
        filename = current_app.extensions["static_build"].icons_subset
    return f"/dsfr/{dsfr_version(current_app.config['DSFR_DIST'])}/{filename}"


@click.group("assets")
def assets_cli() -> None:
    """Fichiers statiques (DSFR et feuilles du site)."""


@assets_cli.command("build")
@with_appcontext
def build_command() -> None:
    """Prépare les copies compressées et versionnées des fichiers servis (fait aussi au premier démarrage)."""
    build = prepare(current_app)
    count = sum(1 for folder in (build.dsfr, build.app_static) for path in _files(folder) if path.suffix == ".gz")
    click.echo(f"{count} fichiers compressés dans {build.dsfr.parent}")
