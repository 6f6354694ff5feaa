"""What the Annuaire des entreprises says of an application's structure, kept on the application
(``Application.registry_check``: source, identifier, date of the answer, its facts, the fields the saved
answers took from it) so that the référent tells a verified fact from a declared one, and sees where the
declared type or département contradicts the register (``Application.registry_mismatch``, the queue's flag).

Step 1 of the wizard records the lookup of the SIRET (else the RNA) each time it is saved; a référent may
refresh it. Only public data of legal persons is kept (``RegistryFacts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.applications.models import Application
from app.companies.facts import SOURCE_DETAIL, SOURCE_NAME, RegistryFacts
from app.companies.identifiers import Identifier, IdentifierKind
from app.companies.services import Lookup, LookupStatus, RegistryAccess
from app.eligibility.proposals import departement_mismatch, propose, type_mismatch
from app.formatting import date_fr
from app.territories import departement_label, normalize_code
from app.territories.communes import name_key

# Step 1's fields the register's answer can fill, as a notice names them (« Nous avons prérempli … »).
FILLED_LABELS = {
    "structure_name": "le nom",
    "siret": "le SIRET",
    "rna": "le numéro RNA",
    "address": "l'adresse",
    "postal_code": "le code postal",
    "commune": "la commune",
    "departement_code": "le département",
    "structure_type": "la nature de la structure",
}
# The same facts as the référent reads them.
FACT_LABELS = {
    "structure_name": "Nom",
    "siret": "SIRET",
    "rna": "Numéro RNA",
    "address": "Adresse",
    "postal_code": "Code postal",
    "commune": "Commune",
    "departement_code": "Département",
    "structure_type": "Nature de la structure",
}
DECLARED = "déclaré par la structure"
# Said, with the référent's address and the webinars, to a company that cannot host.
CANNOT_HOST_ALTERNATIVES = (
    "Proposer des postes par l'intermédiaire d'une structure qui peut accueillir des personnes en TIG "
    "(collectivité, association, entreprise de l'ESS) : le référent TIG de votre département peut vous "
    "mettre en relation.",
)


def form_values(lookup: Lookup | None) -> dict[str, str]:
    """Step 1's fields (form names → values) the register's answer fills; nothing for an individual
    entrepreneur (nothing personal is kept) nor for an answer without the structure."""
    if lookup is None or not lookup.found or lookup.facts is None or lookup.facts.natural_person:
        return {}
    facts = lookup.facts
    proposal = propose(facts)
    values = {
        "structure_name": facts.name,
        "siret": facts.siret,
        "rna": facts.rna,
        "address": facts.address,
        "postal_code": facts.postal_code,
        "commune": facts.commune,
        "departement_code": facts.departement,
        "structure_type": proposal.structure_type.value if proposal.structure_type else "",
    }
    return {name: value for name, value in values.items() if value}


def filled_labels(values: dict[str, str]) -> list[str]:
    return [FILLED_LABELS[name] for name in values if name in FILLED_LABELS]


def identifier_of(application: Application) -> Identifier | None:
    """What step 1 is checked by: the SIRET, else the RNA of an association without SIRET."""
    if application.siret:
        return Identifier(IdentifierKind.SIRET, application.siret)
    if application.rna:
        return Identifier(IdentifierKind.RNA, application.rna)
    return None


def _same_text(declared: str | None, registry: str) -> bool:
    return bool(registry) and name_key(declared) == name_key(registry)


def _registry_value(facts: RegistryFacts, key: str) -> str:
    if key == "structure_type":
        return propose(facts).evidence
    if key == "departement_code":
        return departement_label(facts.departement)
    return {
        "structure_name": facts.name,
        "siret": facts.siret,
        "rna": facts.rna,
        "address": facts.address,
        "postal_code": facts.postal_code,
        "commune": facts.commune,
    }[key]


def _verified(application: Application, facts: RegistryFacts, key: str) -> bool:
    a = application
    if key == "structure_type":
        return a.structure_type is not None and a.structure_type is propose(facts).structure_type
    if key == "departement_code":
        return bool(facts.departement) and normalize_code(a.departement_code) == facts.departement
    if key in ("siret", "rna", "postal_code"):
        value = getattr(a, key) or ""
        return bool(value) and value == _registry_value(facts, key)
    return _same_text(getattr(a, key), _registry_value(facts, key))


def fields_used(application: Application, facts: RegistryFacts) -> list[str]:
    """Step 1's answers that agree with the register (those it filled, or typed the same)."""
    return [key for key in FACT_LABELS if _verified(application, facts, key)]


def record(application: Application, lookup: Lookup) -> None:
    """Keep the register's answer on the application (found or not found; an unavailable register
    changes nothing), then flag a contradiction."""
    if lookup.status in (LookupStatus.FOUND, LookupStatus.NOT_FOUND) and lookup.checked_at is not None:
        facts = lookup.facts if lookup.found else None
        application.registry_check = {
            "source": SOURCE_NAME,
            "detail": SOURCE_DETAIL,
            "identifier": lookup.identifier.value,
            "kind": lookup.identifier.kind.value,
            "checked_at": lookup.checked_at.isoformat(),
            "found": facts is not None,
            "facts": facts.to_json() if facts is not None else None,
            "fields_used": fields_used(application, facts) if facts is not None else [],
        }
    refresh_mismatch(application)


def refresh(application: Application, registry: RegistryAccess, *, now: datetime) -> str:
    """A référent's refresh: the register asked again (its cached answer skipped) and its answer kept.
    Returns « found », « not_found », « unavailable » (nothing changed) or « no_identifier »."""
    identifier = identifier_of(application)
    if identifier is None:
        return "no_identifier"
    lookup = registry.look_up(identifier, now=now, force=True)
    record(application, lookup)
    if lookup.status in (LookupStatus.FOUND, LookupStatus.NOT_FOUND):
        return "found" if lookup.found else "not_found"
    return "unavailable"


@dataclass(frozen=True)
class RegistryCheck:
    identifier: Identifier
    checked_at: datetime  # UTC
    facts: RegistryFacts | None  # None: the register does not know this identifier
    fields_used: tuple[str, ...]

    @property
    def verified_text(self) -> str:
        return f"vérifié auprès de l'{SOURCE_NAME} le {date_fr(self.checked_at, 'long')}"


def stored(application: Application) -> RegistryCheck | None:
    """The check kept on the application, if it still concerns its identifier (a SIRET changed since is
    not verified by the former one's answer)."""
    data: Any = application.registry_check
    if not isinstance(data, dict):
        return None
    try:
        identifier = Identifier(IdentifierKind(data["kind"]), str(data["identifier"]))
        checked_at = datetime.fromisoformat(str(data["checked_at"]))
    except (KeyError, ValueError):
        return None
    if identifier != identifier_of(application):
        return None
    facts = RegistryFacts.from_json(data.get("facts")) if data.get("found") else None
    used = data.get("fields_used")
    return RegistryCheck(
        identifier, checked_at, facts, tuple(u for u in used if isinstance(u, str)) if isinstance(used, list) else ()
    )


def mismatches(application: Application) -> list[str]:
    """Where the declared type or département contradicts the register, in French."""
    check = stored(application)
    if check is None or check.facts is None:
        return []
    found = (
        type_mismatch(check.facts, application.structure_type),
        departement_mismatch(check.facts, application.departement_code),
    )
    return [message for message in found if message]


def refresh_mismatch(application: Application) -> None:
    application.registry_mismatch = bool(mismatches(application))


@dataclass(frozen=True)
class FactLine:
    key: str
    label: str
    declared: str  # the application's answer, as shown
    provenance: str  # « vérifié auprès de l'Annuaire des entreprises le … » or « déclaré par la structure »
    verified: bool
    registry_says: str = ""  # the register's value when it differs


def fact_lines(application: Application) -> list[FactLine]:
    """Each fact of step 1 with where it comes from, for the référent."""
    check = stored(application)
    declared_values = {
        "structure_name": application.structure_name or "",
        "siret": application.siret or "",
        "rna": application.rna or "",
        "address": application.address or "",
        "postal_code": application.postal_code or "",
        "commune": application.commune or "",
        "departement_code": departement_label(application.departement_code),
        "structure_type": application.structure_type.label if application.structure_type else "",
    }
    lines = []
    for key, label in FACT_LABELS.items():
        declared = declared_values[key]
        if check is not None and check.facts is not None and _verified(application, check.facts, key):
            lines.append(FactLine(key, label, declared, check.verified_text, True))
            continue
        says = _registry_value(check.facts, key) if check is not None and check.facts is not None else ""
        lines.append(FactLine(key, label, declared, DECLARED, False, says if says != declared else ""))
    return lines
