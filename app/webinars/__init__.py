from flask import Blueprint

bp = Blueprint("webinars", __name__)

from app.webinars import routes  # noqa: E402,F401
