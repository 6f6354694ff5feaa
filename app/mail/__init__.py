"""Mail outbox: every email is a row written in the transaction that causes it, delivered after
commit by ``flask outbox deliver`` or ``flask worker`` (see ``outbox.py``)."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from app.mail import routes  # noqa: E402,F401
