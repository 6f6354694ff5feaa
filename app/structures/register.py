"""Filling the register from the decisions (services: plain values, flush only).

An application decided « Habiliter » enters its structure in the register — the same record when the
département already holds that SIRET or RNA (a renewal extends it) — with a habilitation of five
years (none for a public body, habilitated by right) and its posts inscribed on the départemental
list. Reopening an approved application cancels what its decision had entered. Every change is an
entry of the structure's history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.applications.models import Application
from app.auth.models import Referent
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import date_fr
from app.structures.facts import DecisionFacts, InvalidFacts, Period, check_period, habilitation_end
from app.structures.models import (
    Habilitation,
    HostPost,
    HostStructure,
    HostTutor,
    PostStatus,
    Standing,
    StructureEvent,
    StructureEventKind,
)

SYSTEM = "Système"


def record_event(
    structure: HostStructure,
    kind: StructureEventKind,
    detail: str = "",
    *,
    now: datetime,
    actor: Referent | None = None,
    reason: str = "",
    application: Application | None = None,
) -> StructureEvent:
    """One entry of the structure's history: who (a référent, else the system), what, why."""
    event = StructureEvent(
        structure=structure,
        kind=kind,
        actor_referent_id=actor.id if actor else None,
        actor_label=actor.name if actor else SYSTEM,
        detail=detail,
        reason=reason or "",
        application_id=application.id if application else None,
        created_at=now,
    )
    db.session.add(event)
    return event


def find_structure(departement_code: str | None, siret: str | None, rna: str | None) -> HostStructure | None:
    """The département's record with this SIRET, else with this RNA."""
    if not departement_code:
        return None
    for column, value in ((HostStructure.siret, siret), (HostStructure.rna, rna)):
        if value:
            found = db.session.scalar(
                sa.select(HostStructure).where(HostStructure.departement_code == departement_code, column == value)
            )
            if found is not None:
                return found
    return None


def structure_of(application: Application) -> HostStructure | None:
    """The record an application's decision entered or extended (by its habilitation or its posts)."""
    return db.session.scalar(
        sa.select(HostStructure)
        .where(
            sa.or_(
                HostStructure.habilitations.any(Habilitation.application_id == application.id),
                HostStructure.posts.any(HostPost.application_id == application.id),
            )
        )
        .limit(1)
    )


def _copy_identity(structure: HostStructure, application: Application) -> None:
    structure.name = application.structure_name
    structure.structure_type = application.structure_type or StructureType.ASSOCIATION
    structure.siret = application.siret or structure.siret
    structure.rna = application.rna or structure.rna
    structure.address = application.address
    structure.postal_code = application.postal_code
    structure.commune = application.commune
    structure.departement_code = application.departement_code or structure.departement_code
    for name in ("last_name", "first_name", "role", "email", "phone"):
        setattr(structure, f"contact_{name}", getattr(application, f"contact_{name}"))


def refresh_standing(structure: HostStructure) -> None:
    """The standing and end kept on the structure's row, from its habilitations."""
    if structure.structure_type is StructureType.PUBLIC_BODY:
        structure.standing, structure.habilitation_ends_on = Standing.BY_RIGHT, None
        return
    habilitations = sorted(structure.habilitations, key=lambda h: (h.starts_on, h.id or 0))
    if habilitations and habilitations[-1].is_withdrawn:
        structure.standing, structure.habilitation_ends_on = Standing.WITHDRAWN, habilitations[-1].withdrawn_on
        return
    structure.standing = Standing.HABILITATED
    running = [h.ends_on for h in habilitations if not h.is_withdrawn]
    structure.habilitation_ends_on = max(running) if running else None


def default_start(structure: HostStructure | None, decided_on: date) -> date:
    """A habilitation starts on its decision; a renewal decided while the current one runs starts the day
    after it ends, so that no day is lost."""
    if structure is None or structure.standing is not Standing.HABILITATED:
        return decided_on
    ends_on = structure.habilitation_ends_on
    return ends_on + timedelta(days=1) if ends_on and ends_on >= decided_on else decided_on


def habilitation_period(
    application: Application, facts: DecisionFacts, starts_on: date | None, ends_on: date | None
) -> Period:
    """The period a « Habiliter » decision grants: as typed, or by default from the decision (start) and
    five years later (end); raises ``InvalidFacts`` for a period that cannot be."""
    structure = find_structure(application.departement_code, application.siret, application.rna)
    start = starts_on or default_start(structure, facts.decided_on)
    period = Period(start, ends_on or habilitation_end(start))
    errors = check_period(period, decided_on=facts.decided_on)
    if errors:
        raise InvalidFacts(errors)
    return period


def _same_post(post: HostPost, title: str) -> bool:
    return post.status is PostStatus.INSCRIBED and post.title.strip().casefold() == title.strip().casefold()


def _inscribe_posts(
    structure: HostStructure, application: Application, inscribed_on: date, actor: Referent | None, now: datetime
) -> None:
    """The application's posts on the list: a post of the same title already inscribed is updated."""
    for source in application.posts:
        post = next((p for p in structure.posts if _same_post(p, source.title)), None)
        kind = StructureEventKind.POST_UPDATED
        if post is None:
            post = HostPost(status=PostStatus.INSCRIBED, position=len(structure.posts))
            structure.posts.append(post)
            kind = StructureEventKind.POST_INSCRIBED
        for name in (
            "title",
            "tasks",
            "place",
            "schedule",
            "hours_per_week",
            "places_count",
            "minors_allowed",
            "physical_effort",
            "accessible_reduced_mobility",
            "constraints_notes",
        ):
            setattr(post, name, getattr(source, name))
        post.inscribed_on = inscribed_on
        post.application_id = application.id
        post.tutors = [
            HostTutor(
                position=index,
                last_name=tutor.last_name,
                first_name=tutor.first_name,
                role=tutor.role,
                birth_date=tutor.birth_date,
                birth_place=tutor.birth_place,
            )
            for index, tutor in enumerate(source.tutors)
        ]
        record_event(
            structure,
            kind,
            f"{post.title} ({post.places_count} place(s), {post.hours_per_week} h par semaine)",
            now=now,
            actor=actor,
            application=application,
        )


def register_decision(
    application: Application,
    facts: DecisionFacts,
    period: Period | None,
    actor: Referent | None,
    *,
    now: datetime,
    kind: StructureEventKind | None = None,
) -> HostStructure:
    """Enter an application decided « Habiliter » in the register: its structure (the département's
    record for its SIRET or RNA when there is one), its habilitation for ``period`` (none for a public
    body), its posts. ``kind`` overrides what the history calls it (the data migration's reprise)."""
    structure = find_structure(application.departement_code, application.siret, application.rna)
    if structure is None:
        structure = HostStructure(standing=Standing.HABILITATED, created_at=now)
        _copy_identity(structure, application)
        db.session.add(structure)
        record_event(
            structure, StructureEventKind.REGISTERED, structure.name, now=now, actor=actor, application=application
        )
    else:
        _copy_identity(structure, application)
    decision = f"Décision du {date_fr(facts.decided_on, 'long')}" + (f", {facts.authority}" if facts.authority else "")
    if structure.structure_type is StructureType.PUBLIC_BODY:
        record_event(
            structure,
            kind or StructureEventKind.POSTS_INSCRIBED_BY_RIGHT,
            f"{decision} ; candidature {application.reference}",
            now=now,
            actor=actor,
            application=application,
        )
    else:
        if period is None:
            period = Period(facts.decided_on, habilitation_end(facts.decided_on))
        renewal = bool(structure.habilitations)
        structure.habilitations.append(
            Habilitation(
                application_id=application.id,
                is_renewal=renewal,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
                recorded_at=now,
                recorded_by_id=actor.id if actor else None,
            )
        )
        record_event(
            structure,
            kind or (StructureEventKind.RENEWED if renewal else StructureEventKind.HABILITATED),
            f"Du {date_fr(period.starts_on, 'long')} au {date_fr(period.ends_on, 'long')} ; {decision} ; "
            f"candidature {application.reference}",
            now=now,
            actor=actor,
            application=application,
        )
    _inscribe_posts(structure, application, facts.decided_on, actor, now)
    refresh_standing(structure)
    db.session.flush()
    return structure


def cancel_decision(application: Application, actor: Referent, reason: str, *, now: datetime) -> None:
    """An approved application reopened: its habilitation leaves the register and the posts its
    decision inscribed are removed (a new decision enters them again)."""
    structure = structure_of(application)
    if structure is None:
        return
    for habilitation in [h for h in structure.habilitations if h.application_id == application.id]:
        structure.habilitations.remove(habilitation)
    today = now.date()
    for post in structure.posts:
        if post.application_id == application.id and post.status is PostStatus.INSCRIBED:
            post.status, post.removed_on = PostStatus.REMOVED, today
            post.removal_reason = f"Décision annulée : {reason}"
    refresh_standing(structure)
    record_event(
        structure,
        StructureEventKind.DECISION_CANCELLED,
        f"Candidature {application.reference} rouverte",
        now=now,
        actor=actor,
        reason=reason,
        application=application,
    )
    db.session.flush()
