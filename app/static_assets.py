"""Serves the DSFR from node_modules (installed by npm, never committed, never from a CDN).

URLs carry the DSFR version (``/dsfr/1.15.3/dsfr.min.css``) so browsers may cache them for a year.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)

# Only what pages use: styles, scripts, fonts, icons, pictograms, favicons.
ALLOWED_SUFFIXES = {".css", ".js", ".woff", ".woff2", ".svg", ".png", ".ico", ".webmanifest"}
ONE_YEAR = 365 * 24 * 3600


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
    response = send_from_directory(dist, filename, max_age=ONE_YEAR)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


def dsfr_url(filename: str) -> str:
    from flask import url_for

    return url_for("assets.dsfr", version=dsfr_version(current_app.config["DSFR_DIST"]), filename=filename)
