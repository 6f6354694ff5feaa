"""The mails a test caused: what the outbox holds (queued in the same transaction as the change)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.mail.models import OutboxMessage


def queued_mails(to: str | None = None, **filters) -> list[OutboxMessage]:
    """The outbox's mails, oldest first: all of them, or those to ``to`` and matching ``filters``
    (columns of OutboxMessage: ``category="application.submitted"``, ``application_id=…``, ``webinar_id=…``)."""
    query = sa.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))
