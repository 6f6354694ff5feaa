"""The history of an application: who did what, and when.

Every change of an application, by the applicant or a référent, adds one ``ApplicationEvent``
(flushed with the change, in the same transaction). The référents read all of it; the applicant
reads the entries whose kind has a public label (never the private notes).
"""

from __future__ import annotations

from datetime import datetime

from app.applications.models import Application, ApplicationEvent, ApplicationStatus, EventKind
from app.auth.models import Referent
from app.extensions import db

APPLICANT = "Le demandeur"


def record_event(
    application: Application,
    kind: EventKind,
    detail: str = "",
    *,
    now: datetime,
    actor: Referent | None = None,
    from_status: ApplicationStatus | None = None,
    to_status: ApplicationStatus | None = None,
) -> ApplicationEvent:
    """One entry of the history; ``actor`` is the référent who acted, None for the applicant."""
    event = ApplicationEvent(
        application=application,
        kind=kind,
        actor_referent_id=actor.id if actor else None,
        actor_label=actor.name if actor else APPLICANT,
        detail=detail,
        from_status=from_status,
        to_status=to_status,
        created_at=now,
    )
    db.session.add(event)
    return event


def public_events(application: Application) -> list[ApplicationEvent]:
    """The history shown to the applicant: no private note of the référents."""
    return [event for event in application.events if event.kind.public_label is not None]
