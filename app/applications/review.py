"""The référents' actions on an application (services: explicit arguments, flush only).

Every action is traced in the history (ApplicationEvent, with its author) and every message meant
for the applicant is queued in the outbox in the same transaction, with the follow-up link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.applications.attestation import attestation_attachment
from app.applications.documents import MESSAGE_ATTACHMENT, add_document
from app.applications.history import record_event
from app.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMessage,
    ApplicationNote,
    ApplicationStatus,
    DocumentSource,
    EventKind,
    MessageAuthor,
)
from app.applications.uploads import StoredFile
from app.applications.workflow import OPEN_STATUSES, Transition, TransitionNotAllowed, get_transition
from app.auth.models import Referent
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import to_paris, utcnow
from app.mail.compose import AttachmentRef, attach
from app.mail.outbox import queue_mail
from app.structures import register
from app.structures.facts import OPINIONS, Approval, InvalidFacts, check_decision
from app.urls import followup_url


class ReviewError(Exception):
    """A référent's action that cannot be done; the message is French, shown as is."""


class ReasonRequired(ReviewError):
    def __init__(self) -> None:
        super().__init__("Indiquez le motif : il est obligatoire pour cette action et sera communiqué au demandeur.")


class EmptyMessage(ReviewError):
    def __init__(self) -> None:
        super().__init__("Le message est vide : écrivez le texte à envoyer.")


class NothingRequested(ReviewError):
    def __init__(self) -> None:
        super().__init__("Cochez au moins une pièce ou décrivez ce qui manque.")


class DecisionFactsRequired(ReviewError):
    def __init__(self) -> None:
        super().__init__("Indiquez la date de la décision et l'autorité qui l'a prise.")


class AlreadyAssigned(ReviewError):
    def __init__(self) -> None:
        super().__init__("Vous suivez déjà cette candidature.")


# --- links and mails ------------------------------------------------------------------------------


def _mail_applicant(application: Application, subject: str, template: str, **context) -> None:
    if not application.contact_email:
        return
    queue_mail(
        application.contact_email,
        subject,
        template,
        application_id=application.id,
        application=application,
        followup_url=followup_url(application),
        **context,
    )


def _move(
    application: Application, transition: Transition, actor: Referent, detail: str, now: datetime
) -> ApplicationEvent:
    event = record_event(
        application,
        transition.kind,
        detail,
        actor=actor,
        from_status=application.status,
        to_status=transition.target,
        now=now,
    )
    application.status = transition.target
    application.status_changed_at = now
    return event


# --- actions ---------------------------------------------------------------------------------------


def take(application: Application, referent: Referent, *, now: datetime | None = None) -> None:
    """Assign the application to me; a new one goes "en instruction" at the same time."""
    now = now or utcnow()
    if application.status is ApplicationStatus.SUBMITTED:
        _move(application, get_transition(application.status, "take"), referent, "Prise en charge", now)
        application.assigned_referent_id = referent.id
        _mail_applicant(
            application,
            f"Votre candidature {application.reference} est en cours d'instruction",
            "application_status",
            headline="Votre candidature est en cours d'instruction.",
            explanation=(
                f"{referent.name}, référent territorial du travail d'intérêt général, a commencé l'examen de "
                "votre dossier. Vous ne pouvez plus modifier vos réponses, mais vous pouvez échanger des "
                "messages et envoyer des pièces depuis votre page de suivi."
            ),
            reason="",
        )
    elif application.status in OPEN_STATUSES:
        if application.assigned_referent_id == referent.id:
            raise AlreadyAssigned()
        record_event(application, EventKind.ASSIGNED, "Suivi repris par ce référent", actor=referent, now=now)
        application.assigned_referent_id = referent.id
    else:
        raise TransitionNotAllowed(application.status, "take")
    db.session.flush()


STATUS_MAILS = {
    ApplicationStatus.SENT_FOR_DECISION: (
        "Votre candidature {ref} est transmise pour avis et décision",
        "Votre candidature est complète et transmise pour avis et décision.",
        "Le directeur du service pénitentiaire d'insertion et de probation (SPIP) décidera après avoir recueilli "
        "les avis du procureur de la République, du juge de l'application des peines et du préfet. Ce délai est "
        "d'au moins un mois. Vous recevrez la décision par courriel.",
    ),
    ApplicationStatus.APPROVED: (
        "Votre structure est habilitée à accueillir des personnes en TIG ({ref})",
        "Bonne nouvelle : votre structure est habilitée à accueillir des personnes condamnées à un travail d'intérêt général.",
        "L'attestation jointe liste les postes inscrits sur la liste départementale. Le service pénitentiaire "
        "d'insertion et de probation vous contactera avant l'arrivée de la première personne.",
    ),
    ApplicationStatus.REFUSED: (
        "Décision sur votre candidature {ref}",
        "Votre candidature n'a pas reçu d'avis favorable.",
        "Le motif de la décision figure ci-dessous. Votre référent territorial reste disponible pour en parler "
        "et, le cas échéant, vous aider à préparer une nouvelle demande.",
    ),
    ApplicationStatus.CLOSED: (
        "Votre candidature {ref} est classée sans suite",
        "Votre candidature est classée sans suite.",
        "Le motif figure ci-dessous. Vous pouvez déposer une nouvelle candidature à tout moment.",
    ),
    ApplicationStatus.IN_REVIEW: (
        "Votre candidature {ref} est de nouveau en cours d'instruction",
        "Votre candidature a été rouverte et se trouve de nouveau en cours d'instruction.",
        "Le motif de la réouverture figure ci-dessous.",
    ),
}


# Public bodies are habilitated by right: only their posts are inscribed on the list.
PUBLIC_BODY_APPROVED_MAIL = (
    "Les postes de votre structure sont inscrits sur la liste des TIG ({ref})",
    "Bonne nouvelle : les postes proposés par votre structure sont inscrits sur la liste départementale des travaux d'intérêt général.",
    "L'attestation jointe liste ces postes. Le service pénitentiaire d'insertion et de probation vous contactera "
    "avant l'arrivée de la première personne.",
)


def _check_approval(application: Application, approval: Approval, now: datetime) -> None:
    """Raise ``InvalidFacts`` (each field with its French message) for a decision that cannot have
    been taken so: before the deposit, in the future, after opinions given later, without author."""
    public_body = application.structure_type is StructureType.PUBLIC_BODY
    # The préfet gives an opinion on a habilitation, not on the posts of a public body.
    opinions = tuple(field for field, _whose in OPINIONS if not (public_body and field == "prefect_opinion_on"))
    asked_on = to_paris(application.submitted_at or now).date()
    errors = check_decision(approval.facts, asked_on=asked_on, today=to_paris(now).date(), opinions=opinions)
    if errors:
        raise InvalidFacts(errors)


def apply_action(
    application: Application,
    action: str,
    referent: Referent,
    reason: str = "",
    *,
    now: datetime | None = None,
    approval: Approval | None = None,
) -> Transition:
    """Any workflow action but the complements request (which has its own service and form).
    « Habiliter » takes the decision's facts (``approval``): they are checked (``InvalidFacts``), kept
    on the application, and its structure and posts enter the register."""
    transition = get_transition(application.status, action)
    if transition.has_own_form:
        raise TransitionNotAllowed(application.status, action)
    if action == "take":
        take(application, referent, now=now)
        return transition
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ReasonRequired()
    now = now or utcnow()
    approving = transition.target is ApplicationStatus.APPROVED
    public_body = application.structure_type is StructureType.PUBLIC_BODY
    period = None
    if approving:
        if approval is None:
            raise DecisionFactsRequired()
        _check_approval(application, approval, now)
        if not public_body:
            period = register.habilitation_period(application, approval.facts, approval.starts_on, approval.ends_on)
    was_approved = application.status is ApplicationStatus.APPROVED
    _move(application, transition, referent, reason, now)
    if application.assigned_referent_id is None:
        application.assigned_referent_id = referent.id

    attachments: list[AttachmentRef] = []
    if transition.is_decision:
        application.decision_reason = reason
        application.decided_at = now
        application.decided_by_id = referent.id
        application.decided_by = referent
        if approving and approval is not None:
            facts = approval.facts
            application.decision_date = facts.decided_on
            application.decision_authority = facts.authority.strip()
            application.prosecutor_opinion_on = facts.prosecutor_opinion_on
            application.jap_opinion_on = facts.jap_opinion_on
            application.prefect_opinion_on = None if public_body else facts.prefect_opinion_on
            register.register_decision(application, facts, period, referent, now=now)
        if transition.target is ApplicationStatus.APPROVED:
            attachments.append(attach(attestation_attachment, application=application))
    elif action == "reopen":
        if was_approved:
            register.cancel_decision(application, referent, reason, now=now)
        application.decision_reason = None
        application.decided_at = None
        application.decided_by_id = None
        application.decision_date = application.decision_authority = None
        application.prosecutor_opinion_on = application.jap_opinion_on = application.prefect_opinion_on = None

    if transition.target in STATUS_MAILS and (transition.is_decision or action in ("reopen", "send_for_decision")):
        subject, headline, explanation = STATUS_MAILS[transition.target]
        if transition.target is ApplicationStatus.APPROVED and application.structure_type is StructureType.PUBLIC_BODY:
            subject, headline, explanation = PUBLIC_BODY_APPROVED_MAIL
        _mail_applicant(
            application,
            subject.format(ref=application.reference),
            "application_status",
            attachments=attachments,
            headline=headline,
            explanation=explanation,
            reason=reason,
            reason_label="Observations" if transition.target is ApplicationStatus.APPROVED else "Motif",
        )
    db.session.flush()
    return transition


def request_complements(
    application: Application,
    referent: Referent,
    items: Sequence[str],
    body: str = "",
    *,
    now: datetime | None = None,
) -> ApplicationMessage:
    """Ask the applicant for what is missing: a message with the checklist, status "en attente du
    demandeur" (a further request while already waiting keeps that status)."""
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        raise NothingRequested()
    now = now or utcnow()
    detail = "Éléments demandés : " + " ; ".join(items)
    if application.status is ApplicationStatus.IN_REVIEW:
        _move(application, get_transition(application.status, "request_complements"), referent, detail, now)
    elif application.status is ApplicationStatus.WAITING_APPLICANT:
        record_event(application, EventKind.COMPLEMENTS_REQUESTED, detail, actor=referent, now=now)
    else:
        raise TransitionNotAllowed(application.status, "request_complements")
    if application.assigned_referent_id is None:
        application.assigned_referent_id = referent.id
    message = ApplicationMessage(
        application=application,
        author=MessageAuthor.REFERENT,
        referent_id=referent.id,
        body=body.strip()
        or "Pour poursuivre l'instruction de votre candidature, merci de nous transmettre les éléments suivants.",
        requested_items=items,
        created_at=now,
    )
    db.session.add(message)
    _mail_applicant(
        application,
        f"Candidature {application.reference} : des compléments sont nécessaires",
        "application_complements",
        message=message,
        items=items,
        referent=referent,
    )
    db.session.flush()
    return message


def send_message(
    application: Application,
    referent: Referent,
    body: str,
    attachments: Sequence[StoredFile] = (),
    *,
    now: datetime | None = None,
) -> ApplicationMessage:
    """A message to the applicant, with files already stored (the service takes charge of them: they
    go if the transaction does not commit); the applicant is emailed."""
    body = (body or "").strip()
    if not body:
        raise EmptyMessage()
    if application.status is ApplicationStatus.DRAFT:
        raise ReviewError("Cette candidature n'a pas encore été déposée.")
    now = now or utcnow()
    message = ApplicationMessage(
        application=application, author=MessageAuthor.REFERENT, referent_id=referent.id, body=body, created_at=now
    )
    db.session.add(message)
    record_event(application, EventKind.MESSAGE, "Message envoyé au demandeur", actor=referent, now=now)
    db.session.flush()
    for stored in attachments:
        add_document(
            application,
            MESSAGE_ATTACHMENT,
            stored,
            now=now,
            message=message,
            record=False,
            source=DocumentSource.REFERENT,
        )
    db.session.flush()
    _mail_applicant(
        application,
        f"Nouveau message à propos de votre candidature {application.reference}",
        "application_message",
        message=message,
        referent=referent,
    )
    return message


def add_note(
    application: Application, referent: Referent, body: str, *, now: datetime | None = None
) -> ApplicationNote:
    """A private note, never shown to the applicant."""
    body = (body or "").strip()
    if not body:
        raise ReviewError("La note est vide : écrivez son texte.")
    now = now or utcnow()
    note = ApplicationNote(application=application, referent_id=referent.id, body=body, created_at=now)
    db.session.add(note)
    record_event(application, EventKind.NOTE, "Note interne ajoutée", actor=referent, now=now)
    db.session.flush()
    return note
