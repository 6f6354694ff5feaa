from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.formatting import utcnow


class MailStatus(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"queued": "En file d'attente", "sending": "En cours d'envoi", "sent": "Envoyé", "failed": "Échec"}[
            self.value
        ]


class OutboxMessage(db.Model):  # type: ignore[name-defined]  # db.Model is built at run time
    """One email waiting for (or done with) delivery, as references: the worker renders it when it sends
    it (``app/mail/compose.py``)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # A MailKind value: names the templates.
    kind: Mapped[str] = mapped_column(sa.String(60))
    # What the templates read: rows as {"$row": [model, id]}, other values frozen when queued.
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # [{"builder": name, "arguments": {...}}]: attachments made by the worker (compose.attach).
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    reply_to: Mapped[str | None] = mapped_column(sa.String(320))
    # Kind of mail (e.g. "webinar.confirmation"), for logs and back-office mail history.
    category: Mapped[str] = mapped_column(sa.String(60), default="", index=True)
    # Optional links to what the mail is about (plain ids: the outbox knows no feature).
    webinar_id: Mapped[int | None] = mapped_column(index=True)
    application_id: Mapped[int | None] = mapped_column(index=True)
    # A mail that must go out once at most (e.g. the join link of one registration).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)

    status: Mapped[MailStatus] = mapped_column(
        sa.Enum(MailStatus, native_enum=False, length=10), default=MailStatus.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    transport: Mapped[str | None] = mapped_column(sa.String(10))  # "smtp" or "log"

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<OutboxMessage {self.id} {self.category} → {self.to_address} {self.status.value}>"
