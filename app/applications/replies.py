"""The applicant's side once the application is submitted: messages to the référent, with files and
the documents a référent asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.applications.documents import DocumentQuota, add_document
from app.applications.errors import ApplicationError, EmptyReply
from app.applications.history import record_event
from app.applications.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    EventKind,
    MessageAuthor,
)
from app.applications.submission import notify_referents
from app.applications.uploads import StoredFile
from app.extensions import db


def open_requested_items(application: Application) -> list[str]:
    """The items of the latest complements request while the application waits for the applicant."""
    if application.status is not ApplicationStatus.WAITING_APPLICANT:
        return []
    for message in reversed(application.messages):
        if message.author is MessageAuthor.REFERENT and message.requested_items:
            return [str(item) for item in message.requested_items]
    return []


def post_reply(
    application: Application,
    body: str,
    files: Sequence[tuple[str, StoredFile]],
    *,
    answered_items: Sequence[str] = (),
    now: datetime,
    quota: DocumentQuota,
) -> ApplicationMessage:
    """The applicant's message to the référent, with files (``(kind, stored file)``, each within the
    application's quota) and the requested items it answers (named at the end of the message); the
    référents are emailed. The status does not change: a référent resumes the review himself."""
    body = (body or "").strip()
    if application.is_draft:
        raise ApplicationError("Cette candidature n'a pas encore été déposée.")
    if not body and not files:
        raise EmptyReply()
    if answered_items:
        body = (body + "\n\n" if body else "") + "Documents demandés transmis : " + ", ".join(answered_items) + "."
    message = ApplicationMessage(
        application=application,
        author=MessageAuthor.APPLICANT,
        body=body or "Documents transmis.",
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    for kind, stored in files:
        add_document(application, kind, stored, now=now, message=message, quota=quota)
    record_event(application, EventKind.MESSAGE, "Message envoyé au référent", now=now)
    notify_referents(
        application,
        f"Candidature {application.reference} : nouveau message du demandeur",
        "application_reply_referent",
        category="application.reply_referent",
        message=message,
        attachments_count=len(files),
    )
    db.session.flush()
    return message
