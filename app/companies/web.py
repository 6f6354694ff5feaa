"""What the pages that offer a lookup share: from a typed identifier to a ``Lookup`` with the
application's configuration and clock, and the JSON answer of the lookups made on blur."""

from __future__ import annotations

from flask import current_app, render_template

from app.companies.client import registry_client
from app.companies.identifiers import parse_identifier
from app.companies.services import Lookup, RegistryAccess, look_up
from app.formatting import utcnow
from app.validation import InvalidValue


def lookups_enabled() -> bool:
    return bool(current_app.config.get("COMPANY_LOOKUP_ENABLED"))


def registry_access() -> RegistryAccess:
    """The lookup as the services take it (client and cache duration of this application)."""
    return RegistryAccess(registry_client(), float(current_app.config["COMPANY_LOOKUP_CACHE_HOURS"]))


def look_up_typed(text: str | None, *, force: bool = False) -> tuple[Lookup | None, str | None]:
    """(the lookup, None), or (None, a French message for the field) when the identifier is malformed."""
    try:
        identifier = parse_identifier(text)
    except InvalidValue as error:
        return None, str(error)
    lookup = look_up(
        identifier,
        now=utcnow(),
        client=registry_client(),
        cache_hours=current_app.config["COMPANY_LOOKUP_CACHE_HOURS"],
        force=force,
    )
    return lookup, None


def json_answer(lookup: Lookup | None, error: str | None, fields: dict, **notice_context) -> dict:
    """The lookup on blur: the notice the page shows without JavaScript, and the fields to fill."""
    notice_context.setdefault("filled", ())
    html = render_template("companies/_notice_fragment.html", lookup=lookup, error=error, **notice_context)
    status = "invalid" if error else lookup.status.value if lookup is not None else "invalid"
    return {"status": status, "error": error, "html": html, "fields": fields}
