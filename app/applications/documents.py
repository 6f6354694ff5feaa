"""The documents of an application: which ones its structure must provide, and what it has sent.

One home for "the requirements of this application" and "its documents grouped by requirement",
read by the wizard, the review step, the follow-up page, the summary PDF and the back office.
"""

from __future__ import annotations

from app.applications.models import Application, ApplicationDocument
from app.eligibility.documents import ALL_REQUIREMENTS, DocumentRequirement, required_documents

# Kind of a file joined to a message (not answering a requirement).
MESSAGE_ATTACHMENT = "piece_jointe"
# Kind of a file sent with a reply to a request for complements.
COMPLEMENT = "complement"


def requirements(application: Application) -> list[DocumentRequirement]:
    """The documents this application must provide (none until the type of structure is known)."""
    if application.structure_type is None:
        return []
    return required_documents(application.structure_type, application.departement_code)


def documents_by_kind(application: Application) -> dict[str, list[ApplicationDocument]]:
    """The documents sent through the wizard, by requirement key, in upload order."""
    grouped: dict[str, list[ApplicationDocument]] = {}
    for document in application.documents:
        if document.message_id is None:
            grouped.setdefault(document.kind, []).append(document)
    return grouped


def missing_documents(application: Application) -> list[DocumentRequirement]:
    """The required documents without any file yet."""
    present = documents_by_kind(application)
    return [r for r in requirements(application) if r.required and not present.get(r.key)]


def supporting_documents(application: Application) -> list[ApplicationDocument]:
    """Every file but the plain attachments of messages (a requested document sent with a reply is one)."""
    return [d for d in application.documents if d.message_id is None or d.kind != MESSAGE_ATTACHMENT]


def requirement_labels(application: Application) -> dict[str, str]:
    """The label of each kind of document: every requirement known (the type may have changed since
    the upload), this application's own labels last (Alsace-Moselle), and message attachments."""
    labels = {key: requirement.label for key, requirement in ALL_REQUIREMENTS.items()}
    labels.update({r.key: r.label for r in requirements(application)})
    labels[MESSAGE_ATTACHMENT] = "Pièce jointe à un message"
    return labels
