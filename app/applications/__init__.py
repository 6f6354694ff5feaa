from flask import Blueprint

bp = Blueprint("applications", __name__)

from app.applications import jobs, routes  # noqa: E402,F401
