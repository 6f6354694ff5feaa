"""Development-only viewer of the outbox (DEV_MAIL_VIEWER, never enabled in production): each mail
rendered now, as the worker would send it."""

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template

from app.extensions import db
from app.mail import bp
from app.mail.compose import MailRowGone, render
from app.mail.models import OutboxMessage


@bp.before_request
def only_in_development():
    if not current_app.config.get("DEV_MAIL_VIEWER"):
        abort(404)


@bp.get("/dev/courriels")
def outbox_list():
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("mail/outbox_list.html", messages=messages)


def _rendered_or_404(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    try:
        return message, render(message)
    except (MailRowGone, ValueError):  # a row deleted since, or an old row of no known kind
        abort(404)


@bp.get("/dev/courriels/<int:message_id>")
def outbox_detail(message_id: int):
    message, mail = _rendered_or_404(message_id)
    return render_template("mail/outbox_detail.html", message=message, mail=mail)


@bp.get("/dev/courriels/<int:message_id>/html")
def outbox_html(message_id: int):
    _, mail = _rendered_or_404(message_id)
    response = Response(mail.html, mimetype="text/html")
    # The email's own inline styles, isolated from the site's CSP; no script at all.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response
