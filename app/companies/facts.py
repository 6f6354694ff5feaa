"""From an answer of the API Recherche d'entreprises to the facts this site uses: pure functions.

The answer's shape is the API's OpenAPI description (``payload`` → ``results[]`` → ``result`` with
``siege``, ``matching_etablissements[]`` and ``complements``). Every field is read defensively: a missing,
null, mistyped or « [NON-DIFFUSIBLE] » value is simply not a fact. Only the facts below are kept — public
data of legal persons; for an individual entrepreneur (a natural person) neither the name nor the address
is kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from app.companies.identifiers import Identifier, IdentifierKind
from app.companies.legal_forms import Family, LegalForm, legal_form
from app.territories import communes, get_departement, normalize_code

SOURCE_NAME = "Annuaire des entreprises"
SOURCE_DETAIL = "API Recherche d'entreprises (données Sirene de l'Insee, RNA, ESS France, Marché de l'inclusion)"
MASKED = "[NON-DIFFUSIBLE]"


@dataclass(frozen=True)
class RegistryFacts:
    """What the registry says of one structure (strings are "" when unknown)."""

    siren: str = ""
    siret: str = ""  # the establishment the facts below describe ("" when it was not found)
    name: str = ""
    legal_form_code: str = ""  # nature juridique (Insee)
    naf_code: str = ""  # activité principale
    unit_closed: bool = False  # the legal unit has ceased (état administratif « C »)
    establishment_closed: bool = False  # the establishment is closed (« F », or « C »)
    closed_on: str = ""  # ISO date of closure, when given
    address: str = ""  # number and street, complement
    postal_code: str = ""
    commune: str = ""
    commune_code: str = ""  # INSEE code
    departement: str = ""
    ess: bool = False  # est_ess
    mission_company: bool = False  # est_societe_mission
    association: bool = False  # est_association
    rna: str = ""  # identifiant_association
    local_authority: bool = False  # est_collectivite_territoriale
    siae: bool = False  # est_siae: structure d'insertion par l'activité économique
    natural_person: bool = False  # individual entrepreneur: nothing personal kept
    registry_updated: str = ""  # date_mise_a_jour of the legal unit (ISO)

    @property
    def closed(self) -> bool:
        return self.unit_closed or self.establishment_closed

    @property
    def legal_form(self) -> LegalForm | None:
        return legal_form(self.legal_form_code)

    @property
    def closed_on_date(self) -> date | None:
        try:
            return date.fromisoformat(self.closed_on[:10]) if self.closed_on else None
        except ValueError:
            return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RegistryFacts | None:
        """Facts stored by ``to_json`` (unknown keys ignored, wrong types dropped); None for junk."""
        if not isinstance(data, dict):
            return None
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = data.get(field.name)
            default = field.default
            if (
                isinstance(default, bool)
                and isinstance(value, bool)
                or isinstance(default, str)
                and isinstance(value, str)
            ):
                values[field.name] = value
        return cls(**values)


def _text(mapping: Any, key: str, max_length: int = 300) -> str:
    if not isinstance(mapping, dict):
        return ""
    value = mapping.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split())  # the register's double spaces; no control characters
    if value == MASKED or MASKED in value:
        return ""
    return value[:max_length]


def _flag(mapping: Any, key: str) -> bool:
    return isinstance(mapping, dict) and mapping.get(key) is True


def _digits(value: str, length: int) -> str:
    return value if value.isdigit() and len(value) == length else ""


def select_result(payload: Any, identifier: Identifier) -> dict | None:
    """The result that is this identifier's structure, or None (not found)."""
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        return None
    for result in results:
        if not isinstance(result, dict):
            continue
        if identifier.kind is IdentifierKind.RNA:
            complements = result.get("complements")
            if _text(complements, "identifiant_association").upper() == identifier.value:
                return result
        elif _text(result, "siren") == identifier.value[:9]:
            return result
    return None


def _establishment(result: dict, identifier: Identifier) -> dict | None:
    """The establishment the identifier designates: the SIRET's own, or the head office for a SIREN or an
    RNA. None when a SIRET is not among the answer's establishments."""
    siege = result.get("siege") if isinstance(result.get("siege"), dict) else None
    if identifier.kind is not IdentifierKind.SIRET:
        return siege
    if siege is not None and _text(siege, "siret") == identifier.value:
        return siege
    matching = result.get("matching_etablissements")
    for establishment in matching if isinstance(matching, list) else ():
        if isinstance(establishment, dict) and _text(establishment, "siret") == identifier.value:
            return establishment
    return None


def _street(establishment: dict, postal_code: str, cedex: str) -> str:
    """Number and street: the ``adresse`` line without its postal code and commune, else its parts."""
    full = _text(establishment, "adresse")
    for code in (postal_code, cedex):
        if full and code:
            found = list(re.finditer(rf"(?<!\d){code}(?!\d)", full))
            if found:
                return full[: found[-1].start()].strip(" ,")
    number = _text(establishment, "numero_voie") + _text(establishment, "indice_repetition")
    parts = [
        " ".join(p for p in (number, _text(establishment, "type_voie"), _text(establishment, "libelle_voie")) if p),
        _text(establishment, "complement_adresse"),
        _text(establishment, "distribution_speciale"),
    ]
    return ", ".join(p for p in parts if p)


def _place(establishment: dict) -> tuple[str, str, str, str]:
    """(postal code, commune, INSEE commune code, département) of an establishment."""
    postal_code = _digits(_text(establishment, "code_postal"), 5)
    commune_code = _text(establishment, "commune", 5).upper()
    official = communes.commune_by_code(commune_code) if commune_code else None
    commune_name = official.name if official else _text(establishment, "libelle_commune", 200)
    cedex = _digits(_text(establishment, "cedex"), 5)
    if cedex and not postal_code:
        # A CEDEX address: its code and « BORDEAUX CEDEX » line go together (the site checks them so).
        postal_code = cedex
        commune_name = _text(establishment, "libelle_cedex", 200) or commune_name
    departement = official.departement if official else ""
    if not departement:
        given = get_departement(_text(establishment, "departement", 3))
        departement = given.code if given else ""
    if not departement and postal_code:
        candidates = {c.departement for c in communes.communes_for_postal_code(postal_code)}
        departement = candidates.pop() if len(candidates) == 1 else ""
    return postal_code, commune_name, commune_code, normalize_code(departement) if departement else ""


def facts_from_result(result: dict, identifier: Identifier) -> RegistryFacts:
    """The facts of one ``result`` of the API for the identifier searched (see ``select_result``)."""
    complements = result.get("complements") if isinstance(result.get("complements"), dict) else {}
    code = _digits(_text(result, "nature_juridique"), 4)
    form = legal_form(code)
    siren = _digits(_text(result, "siren"), 9)
    if (form is not None and form.family is Family.NATURAL_PERSON) or _flag(complements, "est_entrepreneur_individuel"):
        return RegistryFacts(
            siren=siren,
            legal_form_code=code or "1000",
            natural_person=True,
            unit_closed=_text(result, "etat_administratif") == "C",
        )
    establishment = _establishment(result, identifier)
    place = ("", "", "", "")
    street = ""
    establishment_closed = False
    siret = ""
    closed_on = _text(result, "date_fermeture", 10)
    if establishment is not None:
        place = _place(establishment)
        street = _street(establishment, place[0], _digits(_text(establishment, "cedex"), 5))
        establishment_closed = _text(establishment, "etat_administratif") in ("F", "C")
        siret = _digits(_text(establishment, "siret"), 14)
        closed_on = _text(establishment, "date_fermeture", 10) or closed_on
    rna = _text(complements, "identifiant_association", 10).upper()
    unit_closed = _text(result, "etat_administratif") == "C"
    return RegistryFacts(
        siren=siren,
        siret=siret,
        name=_text(result, "nom_raison_sociale") or _text(result, "nom_complet"),
        legal_form_code=code,
        naf_code=_text(result, "activite_principale", 10),
        unit_closed=unit_closed,
        establishment_closed=establishment_closed,
        closed_on=closed_on if (unit_closed or establishment_closed) else "",
        address=street,
        postal_code=place[0],
        commune=place[1],
        commune_code=place[2],
        departement=place[3],
        ess=_flag(complements, "est_ess"),
        mission_company=_flag(complements, "est_societe_mission"),
        association=_flag(complements, "est_association"),
        rna=rna if re.fullmatch(r"W[0-9A-Z]{9}", rna) else "",
        local_authority=_flag(complements, "est_collectivite_territoriale"),
        siae=_flag(complements, "est_siae"),
        registry_updated=_text(result, "date_mise_a_jour", 19),
    )


def facts_from_payload(payload: Any, identifier: Identifier) -> RegistryFacts | None:
    """The facts of the identifier's structure in a whole answer; None when it is not in it."""
    result = select_result(payload, identifier)
    return facts_from_result(result, identifier) if result is not None else None
