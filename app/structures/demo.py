"""Demo data (``flask seed-demo``): the demo applications decided « Habiliter » enter the register as
their decision would have entered them."""

from __future__ import annotations

import sqlalchemy as sa

from app.applications.models import Application, ApplicationStatus
from app.extensions import db
from app.formatting import to_paris
from app.structures.facts import DecisionFacts
from app.structures.register import register_decision, structure_of
from app.territories import get_departement


def load_demo_register() -> list[str]:
    approved = db.session.scalars(
        sa.select(Application).where(Application.status == ApplicationStatus.APPROVED).order_by(Application.decided_at)
    ).all()
    for application in approved:
        if application.decided_at is None or structure_of(application) is not None:
            continue
        departement = get_departement(application.departement_code or "")
        facts = DecisionFacts(
            decided_on=to_paris(application.decided_at).date(),
            authority=f"Directeur du SPIP – {departement.name if departement else application.departement_code}",
        )
        application.decision_date, application.decision_authority = facts.decided_on, facts.authority
        register_decision(application, facts, None, application.decided_by, now=application.decided_at)
    return []
