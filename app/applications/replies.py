"""The applicant's side once the application is submitted: messages to the référent, with files and
the documents a référent asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

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
from app.applications.workflow import get_transition
from app.extensions import db


def open_requested_items(application: Application) -> list[str]:
    """The items of the latest complements request while the application waits for the applicant."""
    if application.status is not ApplicationStatus.WAITING_APPLICANT:
        return []
    for message in reversed(application.messages):
        if message.author is MessageAuthor.REFERENT and message.requested_items:
            return [str(item) for item in message.requested_items]
    return []


class SentFile(NamedTuple):
    """A file of the applicant's reply: its kind, the stored file, and the item of the complements
    request it answers (None for a plain attachment)."""

    kind: str
    stored: StoredFile
    requested_item: str | None = None


def post_reply(
    application: Application,
    body: str,
    files: Sequence[SentFile],
    *,
    now: datetime,
    quota: DocumentQuota,
) -> ApplicationMessage:
    """The applicant's message to the référent, with files (each within the application's quota; a file
    answering a requested item keeps that item's name); the référents are emailed. An application
    waiting for the applicant goes back to instruction: the answer is the référent's to read, and the
    applicant's page no longer says it waits for them."""
    body = (body or "").strip()
    if application.is_draft:
        raise ApplicationError("Cette candidature n'a pas encore été déposée.")
    if not body and not files:
        raise EmptyReply()
    answered_items = list(dict.fromkeys(f.requested_item for f in files if f.requested_item))
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
    documents = [
        add_document(
            application,
            sent.kind,
            sent.stored,
            now=now,
            message=message,
            quota=quota,
            requested_item=sent.requested_item,
        )
        for sent in files
    ]
    record_event(application, EventKind.MESSAGE, "Message envoyé au référent", now=now)
    answered = application.status is ApplicationStatus.WAITING_APPLICANT
    if answered:
        resume = get_transition(application.status, "resume")
        record_event(
            application,
            EventKind.STATUS_CHANGED,
            "Réponse du demandeur à la demande de compléments",
            now=now,
            from_status=application.status,
            to_status=resume.target,
        )
        application.status = resume.target
        application.status_changed_at = now
    notify_referents(
        application,
        f"Candidature {application.reference} : "
        + ("réponse du demandeur à votre demande de compléments" if answered else "nouveau message du demandeur"),
        "application_reply_referent",
        category="application.reply_referent",
        message=message,
        answered=answered,
        documents=[
            f"{document.requested_item} ({document.original_filename})"
            if document.requested_item
            else document.original_filename
            for document in documents
        ],
    )
    db.session.flush()
    return message
