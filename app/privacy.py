"""Personal data retention: what is purged, when, and what is kept.

Periods come from the configuration and are shown on /donnees-personnelles:

- webinar registrations: anonymised ``WEBINAR_RETENTION_DAYS`` after the webinar
  (``app/webinars/jobs.py``: names, email, structure, role and question erased; counts kept);
- application drafts never sent: deleted with their files once expired, that is
  ``DRAFT_RETENTION_DAYS`` after their last change (``app/applications/jobs.py``);
- emails in the outbox (they hold names, addresses and sometimes the summary PDF): erased
  ``OUTBOX_RETENTION_DAYS`` after they were sent or given up (this module); mails still to send
  are never touched;
- submitted applications (and their documents, messages and history) are **kept**: they are the
  record of an administrative decision (habilitation for five years, renewable, and the inscription
  of posts); their deletion follows the administration's archiving rules, not this command.

``flask purge-personal-data`` runs it all once (daily cron); ``flask worker`` runs the same jobs
at every pass (each is idempotent and cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import CursorResult

from app.applications.jobs import purge_expired_drafts
from app.applications.models import Application, ApplicationStatus
from app.extensions import db
from app.formatting import utcnow
from app.jobs import job
from app.mail.models import MailStatus, OutboxMessage
from app.webinars.jobs import purge_old_registrations


@dataclass
class PurgeReport:
    registrations_anonymised: int
    drafts_deleted: int
    mails_erased: int
    applications_kept: int


@job("courriels-purge")
def erase_old_mails(now: datetime | None = None) -> int:
    """Erase the content of outbox mails sent (or given up) more than OUTBOX_RETENTION_DAYS ago.

    A mail with a dedupe key keeps its row, emptied (the key still prevents a second sending); the
    others are deleted. Returns how many mails were erased.
    """
    now = now or utcnow()
    limit = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    done = sa.or_(
        sa.and_(OutboxMessage.status == MailStatus.SENT, OutboxMessage.sent_at < limit),
        sa.and_(OutboxMessage.status == MailStatus.FAILED, OutboxMessage.created_at < limit),
    )
    deleted = _rows_changed(sa.delete(OutboxMessage).where(done, OutboxMessage.dedupe_key.is_(None)))
    emptied = _rows_changed(
        sa.update(OutboxMessage)
        .where(done, OutboxMessage.dedupe_key.is_not(None), OutboxMessage.to_address != "")
        .values(to_address="", subject="", context={}, attachments=[], reply_to=None, last_error=None)
    )
    return deleted + emptied


def _rows_changed(statement: sa.Delete | sa.Update) -> int:
    result = db.session.execute(statement)
    return cast(CursorResult, result).rowcount or 0


def purge_personal_data(now: datetime | None = None) -> PurgeReport:
    """Every purge, each in its own transaction; submitted applications are counted, never touched."""
    now = now or utcnow()
    registrations = purge_old_registrations(now)
    db.session.commit()
    drafts = purge_expired_drafts()  # commits, then deletes the files of the drafts gone
    mails = erase_old_mails(now)
    db.session.commit()
    kept = (
        db.session.scalar(sa.select(sa.func.count(Application.id)).where(Application.status != ApplicationStatus.DRAFT))
        or 0
    )
    return PurgeReport(registrations, drafts, mails, kept)


@click.command("purge-personal-data")
@with_appcontext
def purge_personal_data_command() -> None:
    """Efface les données personnelles dont la durée de conservation est écoulée."""
    config = current_app.config
    report = purge_personal_data()
    click.echo(
        f"Inscriptions aux webinaires anonymisées : {report.registrations_anonymised} "
        f"(webinaires passés depuis plus de {config['WEBINAR_RETENTION_DAYS']} jours)"
    )
    click.echo(
        f"Brouillons de candidature supprimés avec leurs fichiers : {report.drafts_deleted} "
        f"(sans modification depuis {config['DRAFT_RETENTION_DAYS']} jours)"
    )
    click.echo(
        f"Courriels effacés : {report.mails_erased} (envoyés depuis plus de {config['OUTBOX_RETENTION_DAYS']} jours)"
    )
    click.echo(
        f"Candidatures déposées conservées : {report.applications_kept} "
        "(dossiers d'une décision administrative, jamais supprimés par cette commande)"
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_personal_data_command)
