"""Back-office authentication: login (with an optional TOTP step), logout, forgotten password and
invitation links. Not guarded (the back office itself is, see app.backoffice)."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/espace-referent")

from app.auth import jobs, routes  # noqa: E402,F401
