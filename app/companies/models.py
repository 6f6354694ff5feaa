"""The registry's answers, kept a while (``COMPANY_LOOKUP_CACHE_HOURS``) so that the same identifier is
not asked again for each page: the blur lookup, the search button, the result page and the wizard's save
all read the same row."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class RegistryAnswer(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    __tablename__ = "registry_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SIRET (14 digits), SIREN (9 digits) or RNA (W + 9): the shapes never collide.
    identifier: Mapped[str] = mapped_column(sa.String(14), unique=True)
    fetched_at: Mapped[datetime] = mapped_column(index=True)  # UTC, when the API answered
    found: Mapped[bool]
    # RegistryFacts.to_json() when found: public data of a legal person only (app/companies/facts.py).
    facts: Mapped[dict | None] = mapped_column(sa.JSON)
