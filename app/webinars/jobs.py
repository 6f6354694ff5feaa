"""Periodic webinar work run by ``flask worker``: the join link, the day before."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.formatting import utcnow
from app.jobs import job
from app.webinars import services
from app.webinars.models import Webinar, WebinarStatus


@job("webinaires-lien-de-connexion")
def send_due_join_links(now: datetime | None = None) -> int:
    """Send the join link, the day before at WEBINAR_JOIN_LINK_HOUR (Europe/Paris), to every confirmed
    registrant who has not had it yet.

    Safe to run in several workers at once and after a crash: each webinar is handled under the write
    lock, and the mail's dedupe key ``webinar-join-link:<registration id>`` lets it exist only once.
    """
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(Webinar).where(
            Webinar.status == WebinarStatus.SCHEDULED,
            Webinar.join_url != "",
            Webinar.starts_at <= now + timedelta(days=2),  # due at most ~1.5 day before the start
            Webinar.starts_at > now - timedelta(days=1),
        )
    ).all()
    due_ids = [w.id for w in candidates if services.join_link_due_at(w) <= now and not w.is_past(now)]
    sent = 0
    for webinar_id in due_ids:
        pending = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(services.Registration)
            .where(
                services.Registration.webinar_id == webinar_id,
                services.Registration.status == services.RegistrationStatus.CONFIRMED,
                services.Registration.join_link_sent_at.is_(None),
            )
        )
        if not pending:
            continue
        sent += services.send_join_links_now(webinar_id, now=now)
        db.session.commit()  # one transaction per webinar: the lock is held briefly
    return sent


@job("webinaires-purge-inscriptions")
def purge_old_registrations(now: datetime | None = None) -> int:
    """Anonymise the registrations of webinars held more than WEBINAR_RETENTION_DAYS ago (personal data
    kept no longer than needed): names, email, structure name, role and question are erased and the
    private link dies (new token); status, structure type, département and dates stay, for statistics.
    The webinar itself stays, for the history of the back office. Returns how many were anonymised;
    a second run finds nothing more to do."""
    from flask import current_app

    from app.webinars.models import new_token

    now = now or utcnow()
    limit = now - timedelta(days=current_app.config["WEBINAR_RETENTION_DAYS"])
    # ends_at is computed: a day of margin on starts_at, then the exact check in Python.
    old_ids = [
        w.id for w in db.session.scalars(sa.select(Webinar).where(Webinar.starts_at < limit)).all() if w.ends_at < limit
    ]
    if not old_ids:
        return 0
    registrations = db.session.scalars(
        sa.select(services.Registration).where(
            services.Registration.webinar_id.in_(old_ids), services.Registration.anonymised_at.is_(None)
        )
    ).all()
    for registration in registrations:
        registration.last_name = registration.first_name = ""
        registration.email = ""
        registration.email_normalized = f"anonyme-{registration.id}"  # unique, as the active-email index needs
        registration.structure_name = registration.role = registration.question = ""
        registration.token = new_token()
        registration.anonymised_at = now
    db.session.flush()
    return len(registrations)
