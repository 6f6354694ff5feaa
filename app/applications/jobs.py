"""Periodic jobs of application drafts (run by ``flask worker``).

- a reminder a few days before a draft expires (once per expiry date: ``draft_reminder_sent_at``
  plus the outbox dedupe key make a second run, or two workers at once, send nothing more);
- the deletion of expired drafts and of their files (personal data are not kept longer than said).
"""

from __future__ import annotations

import logging

from flask import current_app

from app.applications import drafts, stored_files
from app.database import begin_write_transaction
from app.extensions import db
from app.formatting import utcnow
from app.jobs import job

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
