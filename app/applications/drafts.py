"""The applicant's draft: creation, private link, expiry, the answers of each step.

Services in the house style: plain values in (the answers as dataclasses, an explicit ``now``),
French domain exceptions out (``app.applications.errors``), ``flush()`` only. The wizard
(``app.applications.wizard``) turns the posted forms into these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.applications.errors import NotEditable
from app.applications.history import record_event
from app.applications.models import Application, ApplicationPost, ApplicationStatus, ApplicationTutor, EventKind
from app.applications.validators import clean_email, clean_phone, clean_postal_code, clean_rna, clean_siret
from app.database import begin_write_transaction
from app.eligibility.engine import Answers, Regime, evaluate, needs_ess_conditions
from app.eligibility.structures import StructureType
from app.extensions import db
from app.mail.outbox import queue_mail
from app.territories import get_departement, normalize_code
from app.urls import resume_url

# --- the answers of each step, as the services take them -----------------------------------------


@dataclass(frozen=True)
class StructureAnswers:
    name: str
    structure_type: StructureType
    siret: str
    rna: str
    address: str
    postal_code: str
    commune: str
    departement_code: str


@dataclass(frozen=True)
class ContactAnswers:
    last_name: str
    first_name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True)
class EssAnswers:
    non_profit_purpose: bool
    democratic_governance: bool
    profits_reinvested: bool
    social_utility: tuple[str, ...]
    statement: str


@dataclass(frozen=True)
class TutorAnswers:
    last_name: str
    first_name: str
    role: str
    birth_date: date | None = None
    birth_place: str = ""


@dataclass(frozen=True)
class PostAnswers:
    title: str
    tasks: str
    place: str
    schedule: str
    hours_per_week: int
    places_count: int
    minors_allowed: bool
    physical_effort: bool
    accessible_reduced_mobility: bool
    constraints_notes: str
    tutors: tuple[TutorAnswers, ...]


# --- the draft and its link ------------------------------------------------------------------------


def get_by_token(token: str, *, for_update: bool = False) -> Application | None:
    """The application of a private link; ``for_update``: in a write transaction, its row locked
    (a change of the draft: two requests on the same draft are served one after the other)."""
    if not token or len(token) > 64:
        return None
    query = sa.select(Application).where(Application.access_token == token)
    if for_update:
        begin_write_transaction()
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def is_expired(application: Application, now: datetime) -> bool:
    return application.is_draft and application.draft_expires_at is not None and application.draft_expires_at <= now


def touch_draft(application: Application, *, now: datetime, retention_days: int) -> None:
    """A saved draft lives ``retention_days`` more days; a new expiry date allows a new reminder."""
    if not application.is_draft:
        return
    expires = now + timedelta(days=retention_days)
    if application.draft_expires_at is None or expires.date() != application.draft_expires_at.date():
        application.draft_reminder_sent_at = None
    application.draft_expires_at = expires


def create_draft(
    email: str,
    *,
    now: datetime,
    retention_days: int,
    answers: Answers | None = None,
    structure_type: StructureType | None = None,
    departement_code: str | None = None,
) -> Application:
    """A new draft for this email (checked), prefilled from the eligibility answers (or only the type
    and département when the rest was not given); the resume link is mailed at once."""
    application = Application(
        status=ApplicationStatus.DRAFT,
        status_changed_at=now,
        contact_email=clean_email(email),
        current_step=1,
        created_at=now,
        draft_answers={},
        social_utility=[],
    )
    touch_draft(application, now=now, retention_days=retention_days)
    if answers is not None:
        application.structure_type = answers.structure_type
        application.departement_code = answers.departement
        if needs_ess_conditions(answers.structure_type):
            application.ess_non_profit_purpose = answers.ess_non_profit_purpose
            application.ess_democratic_governance = answers.ess_democratic_governance
            application.ess_profits_reinvested = answers.ess_profits_reinvested
            application.social_utility = list(answers.social_utility)
    elif structure_type is not None:
        application.structure_type = structure_type
        application.departement_code = departement_code
    db.session.add(application)
    db.session.flush()
    record_event(application, EventKind.DRAFT_CREATED, "Brouillon de candidature créé", now=now)
    queue_mail(
        application.contact_email,
        "Votre candidature TIG : le lien pour la reprendre",
        "application_draft_created",
        category="application.draft_created",
        application_id=application.id,
        application=application,
        resume_url=resume_url(application),
        expires_at=application.draft_expires_at,
    )
    db.session.flush()
    return application


def reach_step(application: Application, position: int) -> None:
    """Remember the furthest step reached (the resume link opens it)."""
    if application.is_draft and position > (application.current_step or 1):
        application.current_step = position


def record_edit(application: Application, what: str, *, now: datetime) -> None:
    """A change of a submitted application (before a référent takes it), in its history."""
    if application.status is not ApplicationStatus.SUBMITTED:
        raise NotEditable()
    record_event(application, EventKind.EDITED, f"Candidature modifiée : {what}", now=now)


# --- answers kept as typed -------------------------------------------------------------------------

# Drafts saved earlier may carry this marker among their answers (errors were then shown on reopening).
_INVALID = "__invalid__"


def keep_raw(application: Application, step_key: str, raw: dict[str, list[str]]) -> None:
    """Keep a step's answers as typed (the wizard passes only its form's fields, each value bounded).
    They are shown again without their errors: errors come when the person sends the step."""
    answers = dict(application.draft_answers or {})
    answers[step_key] = raw
    application.draft_answers = answers  # reassign: JSON columns are not mutation-tracked


def clear_raw(application: Application, step_key: str) -> None:
    if application.draft_answers and step_key in application.draft_answers:
        answers = dict(application.draft_answers)
        answers.pop(step_key, None)
        application.draft_answers = answers


def raw_answers(application: Application, step_key: str) -> dict[str, list[str]] | None:
    """A step's answers as typed, if they are kept (not yet valid, or posts being edited)."""
    raw = (application.draft_answers or {}).get(step_key)
    if raw is None:
        return None
    return {key: values for key, values in raw.items() if key != _INVALID}


# --- valid answers saved on the application --------------------------------------------------------


def apply_structure(application: Application, answers: StructureAnswers) -> None:
    a = application
    a.structure_name = answers.name.strip()
    a.structure_type = answers.structure_type
    a.departement_code = normalize_code(answers.departement_code)
    a.siret = clean_siret(answers.siret) if answers.siret.strip() else None
    a.rna = clean_rna(answers.rna) if answers.rna.strip() else None
    a.address = answers.address.strip()
    a.postal_code = clean_postal_code(answers.postal_code, a.departement_code, answers.commune)
    a.commune = answers.commune.strip()
    if not needs_ess_conditions(a.structure_type):
        clear_raw(a, "ess")


def apply_contact(application: Application, answers: ContactAnswers) -> None:
    a = application
    a.contact_last_name = answers.last_name.strip()
    a.contact_first_name = answers.first_name.strip()
    a.contact_role = answers.role.strip()
    a.contact_email = clean_email(answers.email)
    a.contact_phone = clean_phone(answers.phone)


def apply_ess(application: Application, answers: EssAnswers) -> None:
    a = application
    a.ess_non_profit_purpose = answers.non_profit_purpose
    a.ess_democratic_governance = answers.democratic_governance
    a.ess_profits_reinvested = answers.profits_reinvested
    a.social_utility = list(answers.social_utility)
    a.social_utility_statement = answers.statement.strip()


def apply_posts(application: Application, posts: list[PostAnswers]) -> None:
    application.posts.clear()
    db.session.flush()
    for position, post in enumerate(posts):
        application.posts.append(
            ApplicationPost(
                position=position,
                title=post.title.strip(),
                tasks=post.tasks.strip(),
                place=post.place.strip(),
                schedule=post.schedule.strip(),
                hours_per_week=post.hours_per_week,
                places_count=post.places_count,
                minors_allowed=post.minors_allowed,
                physical_effort=post.physical_effort,
                accessible_reduced_mobility=post.accessible_reduced_mobility,
                constraints_notes=post.constraints_notes.strip(),
                tutors=[
                    ApplicationTutor(
                        position=number,
                        last_name=tutor.last_name.strip(),
                        first_name=tutor.first_name.strip(),
                        role=tutor.role.strip(),
                        birth_date=tutor.birth_date,
                        birth_place=tutor.birth_place.strip(),
                    )
                    for number, tutor in enumerate(post.tutors)
                ],
            )
        )


# --- eligibility -----------------------------------------------------------------------------------


def ineligibility_reason(structure_type: StructureType, departement_code: str, regime: Regime) -> str | None:
    """Why this type of structure cannot host TIG in this département, in one sentence written for its
    case (None if it can), judged on type and département only: the ESS conditions are asked at their
    own step."""
    if get_departement(departement_code) is None:
        return None
    if needs_ess_conditions(structure_type):
        answers = Answers(structure_type, normalize_code(departement_code), True, True, True, ("fragilite",))
    else:
        answers = Answers(structure_type, normalize_code(departement_code))
    result = evaluate(answers, regime)
    return None if result.eligible else result.verdict


def application_answers(application: Application) -> Answers | None:
    if application.structure_type is None or not application.departement_code:
        return None
    return Answers(
        application.structure_type,
        application.departement_code,
        application.ess_non_profit_purpose,
        application.ess_democratic_governance,
        application.ess_profits_reinvested,
        tuple(application.social_utility or ()),
    )


# --- reminders and expiry (jobs) -------------------------------------------------------------------


def drafts_to_remind(now: datetime, days_before: int) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Application.draft_reminder_sent_at.is_(None),
                Application.draft_expires_at > now,
                Application.draft_expires_at <= now + timedelta(days=days_before),
                Application.contact_email != "",
            )
            .order_by(Application.id)
        )
    )


def send_draft_reminder(application: Application, *, now: datetime) -> bool:
    """Queue the reminder once per expiry date (dedupe key) and mark the draft."""
    key = f"application:{application.id}:draft-reminder:{application.draft_expires_at:%Y%m%d}"
    message = queue_mail(
        application.contact_email,
        "Votre candidature TIG n'est pas terminée",
        "application_draft_reminder",
        category="application.draft_reminder",
        dedupe_key=key,
        application_id=application.id,
        application=application,
        resume_url=resume_url(application),
        expires_at=application.draft_expires_at,
    )
    application.draft_reminder_sent_at = now
    return message is not None


def expired_drafts(now: datetime, grace_days: int = 0) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Application.draft_expires_at <= now - timedelta(days=grace_days),
            )
            .order_by(Application.id)
        )
    )
