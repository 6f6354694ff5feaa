"""Periodic jobs of applications (run by ``flask worker``).

- a reminder a few days before a draft expires (once per expiry date: ``draft_reminder_sent_at``
  plus the outbox dedupe key make a second run, or two workers at once, send nothing more);
- the deletion of expired drafts and of their files (personal data are not kept longer than said);
- the antivirus scan of the documents not scanned yet: kept while clamd was unreachable, uploaded
  while the antivirus was disabled, or stored before it existed.
"""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from flask import current_app

from app import antivirus
from app.antivirus import ScanStatus
from app.applications import drafts, stored_files
from app.applications.models import ApplicationDocument
from app.database import begin_write_transaction
from app.extensions import db
from app.formatting import utcnow
from app.jobs import job
from app.storage import StorageError, get_storage

log = logging.getLogger(__name__)


@job("application_draft_reminders")
def send_draft_reminders() -> int:
    begin_write_transaction()
    now = utcnow()
    sent = 0
    for application in drafts.drafts_to_remind(now, current_app.config["DRAFT_REMINDER_DAYS_BEFORE"]):
        if drafts.send_draft_reminder(application, now=now):
            sent += 1
    db.session.commit()
    return sent


@job("application_draft_purge")
def purge_expired_drafts() -> int:
    begin_write_transaction()
    count = 0
    for application in drafts.expired_drafts(utcnow()):
        for document in application.documents:
            stored_files.delete_once_committed(document.stored_name)  # files go once their rows are gone
        db.session.delete(application)
        count += 1
    db.session.commit()
    if count:
        log.info("%s brouillon(s) de candidature expiré(s) supprimé(s)", count)
    return count


SCAN_BATCH = 20


@job("documents-antivirus")
def scan_unscanned_documents() -> int:
    """Scan up to ``SCAN_BATCH`` documents waiting for it, streamed from the storage to clamd; a file
    found infected is deleted from the storage (its row stays, « refusé par l'antivirus », never served).
    Antivirus disabled: the waiting documents are marked « non analysé » (served, the back office says
    the antivirus is off). Two workers may scan the same file: the first verdict written wins."""
    config = current_app.config
    waiting = [ScanStatus.PENDING, ScanStatus.ERROR]
    if not antivirus.is_enabled(config):
        result = db.session.execute(
            sa.update(ApplicationDocument)
            .where(ApplicationDocument.scan_status.in_(waiting))
            .values(scan_status=ScanStatus.NOT_SCANNED)
        )
        db.session.commit()
        return getattr(result, "rowcount", 0) or 0
    rows = db.session.execute(
        sa.select(ApplicationDocument.id, ApplicationDocument.stored_name, ApplicationDocument.scan_status)
        .where(ApplicationDocument.scan_status.in_([*waiting, ScanStatus.NOT_SCANNED]))
        .order_by(ApplicationDocument.id)
        .limit(SCAN_BATCH)
    ).all()
    db.session.commit()  # no transaction held while scanning
    storage = get_storage()
    done = 0
    for document_id, stored_name, status in rows:
        try:
            with contextlib.closing(storage.open(stored_name)) as stream:
                verdict = antivirus.scan(stream, config)
        except FileNotFoundError:
            verdict = antivirus.ScanResult(ScanStatus.ERROR, "fichier introuvable dans le stockage")
        except StorageError as error:
            verdict = antivirus.ScanResult(ScanStatus.ERROR, f"stockage indisponible : {error.detail}"[:300])
        changed = db.session.execute(
            sa.update(ApplicationDocument)
            .where(ApplicationDocument.id == document_id, ApplicationDocument.scan_status == status)
            .values(scan_status=verdict.status, scan_detail=verdict.detail, scanned_at=utcnow())
        )
        if getattr(changed, "rowcount", 0) and verdict.status is ScanStatus.INFECTED:
            log.warning("Document %s infecté (%s) : fichier supprimé du stockage", document_id, verdict.detail)
            stored_files.delete_once_committed(stored_name)
        db.session.commit()
        done += verdict.status is not ScanStatus.ERROR
    return done
