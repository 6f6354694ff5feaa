"""Information webinars: public listing and registration, calendar invites, join link, back office."""

from flask import Blueprint

bp = Blueprint("webinars", __name__)

from app.webinars import jobs, routes  # noqa: E402,F401
