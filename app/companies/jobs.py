"""Periodic job: answers older than the cache duration are deleted (they would be asked again anyway)."""

from __future__ import annotations

from flask import current_app

from app.companies import services
from app.extensions import db
from app.formatting import utcnow
from app.jobs import job


@job("registry_answers_purge")
def purge_registry_answers() -> int:
    count = services.purge_expired(now=utcnow(), cache_hours=current_app.config["COMPANY_LOOKUP_CACHE_HOURS"])
    db.session.commit()
    return count
