"""What the registry's facts (app/companies) suggest for the questions of eligibility — the structure
type, the département, the ESS answers — and where they contradict the answers given: pure functions over
``RegistryFacts``.

- the structure type, from the legal form (``legal_forms.Family``) and the flags (ESS, société à mission,
  association, local authority);
- the département, from the establishment's commune;
- the ESS answers the flags establish: an « entreprise de l'ESS » (ESS France and Insee) meets the three
  conditions of article 1 of loi n° 2014-856; an SIAE (structure d'insertion par l'activité économique)
  supports people in fragile situations (article 2, first purpose).
Everything is a proposal: the person confirms or corrects it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.companies.facts import RegistryFacts
from app.companies.legal_forms import Family
from app.companies.services import Lookup
from app.eligibility.structures import StructureType
from app.territories import departement_label, normalize_code

_ALL = frozenset(StructureType)
_PRIVATE = _ALL - {StructureType.PUBLIC_BODY}

_BY_FAMILY = {
    Family.PUBLIC: StructureType.PUBLIC_BODY,
    Family.PUBLIC_SERVICE_PRIVATE: StructureType.PUBLIC_SERVICE_PRIVATE,
    Family.ASSOCIATION: StructureType.ASSOCIATION,
    Family.COOPERATIVE: StructureType.COOPERATIVE,
    Family.MUTUELLE: StructureType.MUTUELLE,
    Family.FONDATION: StructureType.FONDATION,
}


@dataclass(frozen=True)
class Proposal:
    structure_type: StructureType | None  # None: the legal form does not tell (the person chooses)
    evidence: str  # what the proposal rests on, in French
    compatible_types: frozenset[StructureType]  # declared types the legal form does not contradict
    departement: str  # "" when unknown
    ess_conditions: bool  # the three ESS conditions are established by the register (est_ess)
    social_utility: tuple[str, ...]  # purposes established (keys of SOCIAL_UTILITY_PURPOSES)
    cannot_host: bool  # a company neither ESS nor société à mission, or not a legal person


def flags_text(facts: RegistryFacts) -> list[str]:
    """The register's flags, as phrases: « entreprise de l'économie sociale et solidaire »…"""
    flags = []
    if facts.ess:
        flags.append("entreprise de l'économie sociale et solidaire (ESS)")
    if facts.mission_company:
        flags.append("société à mission")
    if facts.association or facts.rna:
        flags.append(f"association (RNA {facts.rna})" if facts.rna else "association")
    if facts.local_authority:
        flags.append("collectivité territoriale")
    if facts.siae:
        flags.append("structure d'insertion par l'activité économique")
    return flags


def evidence_text(facts: RegistryFacts) -> str:
    """« SAS, société par actions simplifiée (5710) ; entreprise de l'ESS »."""
    form = facts.legal_form
    parts = [f"forme juridique : {form.display}" if form else "forme juridique non indiquée"]
    flags = flags_text(facts)
    if flags:
        parts.append("signalée comme " + ", ".join(flags))
    elif form is not None and form.family is Family.COMPANY:
        parts.append("ni entreprise de l'ESS ni société à mission")
    text = " ; ".join(parts)
    return text[0].upper() + text[1:]


def _company_type(facts: RegistryFacts) -> StructureType:
    if facts.ess:
        return StructureType.ESS_COMPANY
    if facts.mission_company:
        return StructureType.MISSION_COMPANY
    return StructureType.OTHER_COMPANY


def _type_and_compatible(facts: RegistryFacts) -> tuple[StructureType | None, frozenset[StructureType]]:
    form = facts.legal_form
    family = form.family if form else None
    if facts.natural_person or family in (Family.NATURAL_PERSON, Family.NO_LEGAL_PERSONALITY):
        return StructureType.OTHER_COMPANY, frozenset({StructureType.OTHER_COMPANY})
    if facts.local_authority or family is Family.PUBLIC:
        return StructureType.PUBLIC_BODY, frozenset({StructureType.PUBLIC_BODY})
    service = StructureType.PUBLIC_SERVICE_PRIVATE  # any private form may carry a public-service mission
    if family is Family.COMPANY:
        compatible = {service, _company_type(facts)}
        if facts.ess:
            compatible |= {StructureType.COOPERATIVE}  # a SAS or SA cooperative has a plain company's code
        if facts.mission_company:
            compatible |= {StructureType.MISSION_COMPANY}
        return _company_type(facts), frozenset(compatible)
    if family is Family.COOPERATIVE:
        compatible = {StructureType.COOPERATIVE, StructureType.ESS_COMPANY, service}
        if facts.mission_company:
            compatible.add(StructureType.MISSION_COMPANY)
        return StructureType.COOPERATIVE, frozenset(compatible)
    if family in _BY_FAMILY:
        proposed = _BY_FAMILY[family]
        return proposed, frozenset({proposed, service})
    if family is Family.FOREIGN:
        return None, frozenset({StructureType.OTHER_COMPANY, service})
    # Other private bodies, or no legal form given: the flags may still tell.
    if facts.association or facts.rna:
        return StructureType.ASSOCIATION, _PRIVATE
    return None, _PRIVATE if family is not None else _ALL


def propose(facts: RegistryFacts) -> Proposal:
    structure_type, compatible = _type_and_compatible(facts)
    form = facts.legal_form
    family = form.family if form else None
    ess_type = structure_type is not None and structure_type.is_ess_private
    return Proposal(
        structure_type=structure_type,
        evidence=evidence_text(facts),
        compatible_types=compatible,
        departement=facts.departement,
        ess_conditions=facts.ess and ess_type,
        social_utility=("fragilite",) if facts.siae and ess_type else (),
        cannot_host=structure_type is StructureType.OTHER_COMPANY
        and (family is Family.COMPANY or facts.natural_person or family is Family.NO_LEGAL_PERSONALITY),
    )


def proposal_of(lookup: Lookup | None) -> Proposal | None:
    """The proposal of a lookup that found the structure; None otherwise."""
    return propose(lookup.facts) if lookup is not None and lookup.facts is not None else None


def type_mismatch(facts: RegistryFacts, declared: StructureType | None) -> str | None:
    """Why the declared type contradicts the register, in French; None when it does not."""
    if declared is None:
        return None
    proposal = propose(facts)
    if declared in proposal.compatible_types:
        return None
    return (
        f"Nature déclarée : « {declared.label} ». L'Annuaire des entreprises indique : "
        f"{proposal.evidence[0].lower()}{proposal.evidence[1:]}."
    )


def departement_mismatch(facts: RegistryFacts, declared: str | None) -> str | None:
    """Why the declared département differs from the establishment's address; None when it does not
    (or when the address's département is unknown)."""
    if not declared or not facts.departement or normalize_code(declared) == facts.departement:
        return None
    place = " ".join(p for p in (facts.postal_code, facts.commune) if p)
    return (
        f"Département déclaré : {departement_label(declared)}. Adresse de l'établissement dans l'Annuaire des "
        f"entreprises : {place} ({departement_label(facts.departement)})."
    )
