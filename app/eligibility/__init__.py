from flask import Blueprint

bp = Blueprint("eligibility", __name__)

from app.eligibility import routes  # noqa: E402,F401
