"""Look a structure up in the registry: the cached answer when fresh, else the API (plain values in,
a ``Lookup`` out; only ``flush()``, the request commits)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.companies.client import RegistryClient, RegistryUnavailable
from app.companies.facts import RegistryFacts, facts_from_payload
from app.companies.identifiers import Identifier, IdentifierKind
from app.companies.models import RegistryAnswer
from app.extensions import db

log = logging.getLogger(__name__)

# Only the head office, the searched establishment and the complements (flags, RNA): never the
# directors, the finances or the VAT numbers (``minimal`` leaves them out).
_INCLUDE = "siege,complements,matching_etablissements"


class LookupStatus(enum.Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # timeout, error, 429, breaker open: the person types by hand
    DISABLED = "disabled"  # COMPANY_LOOKUP_ENABLED is off


@dataclass(frozen=True)
class Lookup:
    identifier: Identifier
    status: LookupStatus
    facts: RegistryFacts | None = None
    checked_at: datetime | None = None  # when the registry gave this answer (UTC)

    @property
    def found(self) -> bool:
        return self.status is LookupStatus.FOUND and self.facts is not None


@dataclass(frozen=True)
class RegistryAccess:
    """What a service needs to look a structure up: the client (None when lookups are off) and how long
    an answer stays fresh. Built by ``app.companies.web.registry_access`` from the configuration."""

    client: RegistryClient | None
    cache_hours: float

    def look_up(self, identifier: Identifier, *, now: datetime, force: bool = False) -> Lookup:
        return look_up(identifier, now=now, client=self.client, cache_hours=self.cache_hours, force=force)


def search_parameters(identifier: Identifier) -> dict[str, str]:
    """``/search`` parameters: a SIREN or SIRET is a direct search (``q`` of 9 or 14 digits); an RNA is a
    text search, the result then picked by its ``identifiant_association`` (facts.select_result)."""
    return {
        "q": identifier.value,
        "minimal": "true",
        "include": _INCLUDE,
        "page": "1",
        "per_page": "5" if identifier.kind is IdentifierKind.RNA else "1",
    }


def cached(identifier: Identifier, *, now: datetime, cache_hours: float) -> Lookup | None:
    row = db.session.scalar(sa.select(RegistryAnswer).where(RegistryAnswer.identifier == identifier.value))
    if row is None or row.fetched_at < now - timedelta(hours=cache_hours):
        return None
    facts = RegistryFacts.from_json(row.facts) if row.found else None
    status = LookupStatus.FOUND if facts is not None else LookupStatus.NOT_FOUND
    return Lookup(identifier, status, facts, row.fetched_at)


def look_up(
    identifier: Identifier,
    *,
    now: datetime,
    client: RegistryClient | None,
    cache_hours: float,
    force: bool = False,
) -> Lookup:
    """The registry's answer for this identifier; ``force`` skips the cache (a référent's refresh).

    Never raises for the API's sake: a failure gives ``UNAVAILABLE`` and the page carries on."""
    if not force:
        answer = cached(identifier, now=now, cache_hours=cache_hours)
        if answer is not None:
            return answer
    if client is None:
        return Lookup(identifier, LookupStatus.DISABLED)
    try:
        payload = client.search(search_parameters(identifier))
    except RegistryUnavailable as error:
        log.warning("Annuaire des entreprises indisponible pour %s : %s", identifier.display, error)
        return Lookup(identifier, LookupStatus.UNAVAILABLE)
    facts = facts_from_payload(payload, identifier)
    _store(identifier, now, facts)
    return Lookup(identifier, LookupStatus.FOUND if facts else LookupStatus.NOT_FOUND, facts, now)


def _store(identifier: Identifier, now: datetime, facts: RegistryFacts | None) -> None:
    """Insert or replace the answer (two requests asking at once both succeed)."""
    values = {
        "identifier": identifier.value,
        "fetched_at": now,
        "found": facts is not None,
        "facts": facts.to_json() if facts is not None else None,
    }
    insert = sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(RegistryAnswer).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[RegistryAnswer.identifier],
        set_={key: statement.excluded[key] for key in ("fetched_at", "found", "facts")},
    )
    db.session.execute(statement)


def purge_expired(*, now: datetime, cache_hours: float) -> int:
    statement = sa.delete(RegistryAnswer).where(RegistryAnswer.fetched_at < now - timedelta(hours=cache_hours))
    result = cast(sa.CursorResult, db.session.execute(statement))
    return result.rowcount or 0
