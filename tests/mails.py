"""The mails a test caused: what the outbox holds (queued in the same transaction as the change), rendered
as the worker will send them by the application's own ``app.mail.compose.render``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.mail.compose import Attachment, render
from app.mail.models import MailStatus, OutboxMessage


@dataclass(frozen=True)
class QueuedMail:
    id: int
    to_address: str
    subject: str
    kind: str
    category: str
    webinar_id: int | None
    application_id: int | None
    dedupe_key: str | None
    reply_to: str | None
    status: MailStatus
    body_text: str
    body_html: str
    attachments: tuple[Attachment, ...]


def rendered(message: OutboxMessage) -> QueuedMail:
    mail = render(message)
    return QueuedMail(
        id=message.id,
        to_address=message.to_address,
        subject=message.subject,
        kind=message.kind,
        category=message.category,
        webinar_id=message.webinar_id,
        application_id=message.application_id,
        dedupe_key=message.dedupe_key,
        reply_to=message.reply_to,
        status=message.status,
        body_text=mail.text,
        body_html=mail.html,
        attachments=mail.attachments,
    )


def outbox_rows(to: str | None = None, **filters) -> list[OutboxMessage]:
    """The outbox's rows, oldest first: all of them, or those to ``to`` and matching ``filters``
    (columns of OutboxMessage: ``category="application.submitted"``, ``application_id=…``, ``webinar_id=…``).
    For a test that needs the message as sent: ``app.mail.outbox.build_message(row)``."""
    query = sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def queued_mails(to: str | None = None, **filters) -> list[QueuedMail]:
    """The outbox's mails (chosen as by ``outbox_rows``), rendered as the worker will send them."""
    return [rendered(message) for message in outbox_rows(to, **filters)]


def queued_mail(to: str | None = None, **filters) -> QueuedMail:
    """The one mail that matches (fails if there are none or several)."""
    [mail] = queued_mails(to, **filters)
    return mail
