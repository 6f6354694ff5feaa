"""Submitting a draft: once, complete, numbered, with the confirmation and the référents told.

``submit`` locks the draft, asks the wizard's completeness check (passed in: it validates every step
with the wizard's own forms), numbers the application and queues the mails in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.applications.drafts import application_answers
from app.applications.errors import ApplicationError
from app.applications.history import record_event
from app.applications.models import Application, ApplicationStatus, EventKind
from app.applications.pdf import application_summary_pdf
from app.auth.models import referents_to_notify
from app.database import lock_for_update
from app.eligibility.engine import Regime, evaluate
from app.extensions import db
from app.mail.compose import Attachment, attach, attachment_builder
from app.mail.outbox import queue_mail
from app.territories import get_departement
from app.urls import backoffice_url, followup_url


def make_reference(application: Application, now: datetime) -> str:
    return f"TIG-{now.year}-{application.id:06d}"


def summary_filename(application: Application) -> str:
    return f"candidature-{application.reference or application.id}.pdf"


@attachment_builder("application.summary")
def summary_attachment(application: Application) -> Attachment:
    return Attachment(summary_filename(application), "application/pdf", application_summary_pdf(application))


def submit(
    application_id: int,
    *,
    now: datetime,
    regime: Regime,
    check_complete: Callable[[Application], None],
    last_step: int,
) -> tuple[Application, bool]:
    """Submit a draft once: lock the row, re-validate every step (``check_complete`` raises
    ``IncompleteApplication`` with the first step to correct), number it, queue the mails.

    Returns (application, submitted_now). A second call (double click, second tab) changes nothing
    and returns submitted_now=False. ``last_step``: the position the application ends at.
    """
    application = lock_for_update(Application, application_id)
    if application is None:
        raise ApplicationError("Candidature introuvable.")
    if not application.is_draft:
        return application, False
    check_complete(application)
    answers = application_answers(application)
    assert answers is not None  # check_complete refused an application without type or département
    result = evaluate(answers, regime)
    application.status = ApplicationStatus.SUBMITTED
    application.status_changed_at = now
    application.submitted_at = now
    application.declaration_accepted_at = now
    application.reference = make_reference(application, now)
    application.eligibility_regime = regime.id
    application.eligibility_path = result.path.value
    application.draft_expires_at = None
    application.draft_answers = {}
    application.current_step = last_step
    record_event(
        application,
        EventKind.SUBMITTED,
        "Candidature déposée",
        now=now,
        from_status=ApplicationStatus.DRAFT,
        to_status=ApplicationStatus.SUBMITTED,
    )
    db.session.flush()
    summary = attach(summary_attachment, application=application)
    queue_mail(
        application.contact_email,
        f"Candidature {application.reference} bien reçue",
        "application_submitted",
        attachments=[summary],
        category="application.submitted",
        dedupe_key=f"application:{application.id}:submitted",
        application_id=application.id,
        application=application,
        followup_url=followup_url(application),
    )
    notify_referents(
        application,
        f"Nouvelle candidature {application.reference} : {application.structure_name}",
        "application_new_referent",
        category="application.new_referent",
        dedupe_prefix=f"application:{application.id}:new",
    )
    db.session.flush()
    return application, True


def referent_recipients(departement_code: str | None) -> list[str]:
    """The référents who want the notifications of this département, else its default address."""
    recipients = [r.email for r in referents_to_notify(departement_code)] if departement_code else []
    if not recipients:
        departement = get_departement(departement_code)
        if departement:
            recipients = [departement.referent_email]
    return recipients


def notify_referents(
    application: Application, subject: str, template: str, *, category: str, dedupe_prefix: str | None = None, **context
) -> int:
    count = 0
    for address in referent_recipients(application.departement_code):
        queue_mail(
            address,
            subject,
            template,
            category=category,
            dedupe_key=f"{dedupe_prefix}:{address.lower()}" if dedupe_prefix else None,
            application_id=application.id,
            application=application,
            backoffice_url=backoffice_url(application),
            reply_to=application.contact_email or None,
            **context,
        )
        count += 1
    return count
