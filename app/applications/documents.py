"""The documents of an application: which ones its structure must provide, what it has sent, and
how much the applicant may store.

One home for "the requirements of this application" and "its documents grouped by requirement",
read by the wizard, the review step, the follow-up page, the summary PDF and the back office; and
for adding and removing the files (the quota, and files that follow their rows' transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.antivirus import ScanStatus
from app.applications import stored_files
from app.applications.errors import NotEditable, QuotaExceeded
from app.applications.history import record_event
from app.applications.models import Application, ApplicationDocument, ApplicationMessage, DocumentSource, EventKind
from app.applications.uploads import StoredFile, human_size
from app.eligibility.documents import ALL_REQUIREMENTS, DocumentRequirement, required_documents
from app.extensions import db

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
    labels[COMPLEMENT] = "Document demandé par le référent"
    return labels


# --- what the applicant sends ------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentQuota:
    """What the applicant may store for one application: number of files and their total size
    (a replaced or deleted file frees its share)."""

    max_documents: int
    max_total_bytes: int


def applicant_documents(application: Application) -> list[ApplicationDocument]:
    return [d for d in application.documents if d.source is DocumentSource.APPLICANT]


def check_room(application: Application, quota: DocumentQuota) -> None:
    """Raise ``QuotaExceeded`` when the application already holds as many files as it may (checked
    before storing a new one)."""
    count = len(applicant_documents(application))
    if count >= quota.max_documents:
        raise QuotaExceeded(
            f"Votre candidature compte déjà {count} fichiers, le maximum : supprimez un fichier devenu inutile "
            "pour en ajouter un autre."
        )


def _check_size(application: Application, quota: DocumentQuota, size_bytes: int) -> None:
    total = sum(d.size_bytes for d in applicant_documents(application)) + size_bytes
    if total > quota.max_total_bytes:
        raise QuotaExceeded(
            f"Avec ce fichier, vos documents pèseraient {human_size(total)}, au-delà des "
            f"{quota.max_total_bytes // (1024 * 1024)} Mo permis pour une candidature : supprimez un fichier "
            "devenu inutile ou réduisez celui-ci (par exemple en le numérisant en noir et blanc)."
        )


def add_document(
    application: Application,
    kind: str,
    stored: StoredFile,
    *,
    now: datetime,
    quota: DocumentQuota | None = None,
    message: ApplicationMessage | None = None,
    record: bool = True,
    source: DocumentSource = DocumentSource.APPLICANT,
    requested_item: str | None = None,
) -> ApplicationDocument:
    """Attach a stored file to the application (or to one of its messages). The service takes charge
    of the file: deleted at once if refused (over ``quota``), and if the transaction does not commit.
    ``record`` adds a "document_added" entry to the history; ``requested_item`` names the item of a
    complements request the file answers."""
    if quota is not None:
        try:
            check_room(application, quota)
            _check_size(application, quota, stored.size_bytes)
        except QuotaExceeded as error:
            stored_files.discard(stored.stored_name)
            raise QuotaExceeded(str(error), stored.stored_name) from None
    stored_files.delete_unless_committed(stored.stored_name)
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_filename=stored.original_filename,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        scan_status=stored.scan_status,
        scan_detail=stored.scan_detail,
        scanned_at=now if stored.scan_status is not ScanStatus.NOT_SCANNED else None,
        source=source,
        message=message,
        requested_item=requested_item,
        uploaded_at=now,
    )
    db.session.add(document)
    if record:
        what = f"{requested_item} ({stored.original_filename})" if requested_item else stored.original_filename
        record_event(application, EventKind.DOCUMENT_ADDED, f"Document ajouté : {what}", now=now)
    return document


def remove_document(application: Application, document_id: int) -> ApplicationDocument | None:
    """Remove one of the applicant's own documents while the application is editable (None: not one
    of them); its file is deleted once the removal is committed."""
    if not application.editable_by_applicant:
        raise NotEditable()
    document = next((d for d in applicant_documents(application) if d.id == document_id), None)
    if document is None:
        return None
    application.documents.remove(document)
    db.session.delete(document)
    db.session.flush()
    stored_files.delete_once_committed(document.stored_name)
    return document
