"""The eligibility questionnaire and the registry: which answers a lookup proposes, and on the result
page where each answer came from (pure functions over a ``Lookup``)."""

from __future__ import annotations

from dataclasses import dataclass

from app.companies.facts import SOURCE_NAME
from app.companies.services import Lookup
from app.eligibility.engine import ESS_CONDITIONS, Answers
from app.eligibility.proposals import proposal_of
from app.formatting import date_fr
from app.territories import departement_label


def proposed_answers(lookup: Lookup | None) -> dict[str, str | list[str]]:
    """Questionnaire fields (query parameter → value) the registry's answer fills."""
    proposal = proposal_of(lookup)
    if proposal is None:
        return {}
    answers: dict[str, str | list[str]] = {}
    if proposal.structure_type is not None:
        answers["structure_type"] = proposal.structure_type.value
    if proposal.departement:
        answers["departement"] = proposal.departement
    if proposal.ess_conditions:
        answers.update(dict.fromkeys(ESS_CONDITIONS, "oui"))
    if proposal.social_utility:
        answers["social_utility"] = list(proposal.social_utility)
    return answers


@dataclass(frozen=True)
class Provenance:
    verified: bool
    text: str  # « Vérifié auprès de l'Annuaire des entreprises le 2 décembre 2026 » or « Déclaré par vous »
    registry_says: str = ""  # when the answer is the person's own and the register says otherwise


def provenance(answers: Answers, lookup: Lookup | None) -> dict[str, Provenance]:
    """For each answer shown on the result page (structure_type, departement, ess_conditions,
    social_utility): verified against the register, or declared."""
    declared = Provenance(False, "Déclaré par vous")
    keys = ("structure_type", "departement", "ess_conditions", "social_utility")
    proposal = proposal_of(lookup)
    if proposal is None or lookup is None or lookup.checked_at is None:
        return dict.fromkeys(keys, declared)
    verified = Provenance(True, f"Vérifié auprès de l'{SOURCE_NAME} le {date_fr(lookup.checked_at, 'long')}")
    result = dict.fromkeys(keys, declared)
    if proposal.structure_type is answers.structure_type:
        result["structure_type"] = verified
    else:
        says = proposal.structure_type.label if proposal.structure_type else proposal.evidence
        result["structure_type"] = Provenance(False, declared.text, says)
    if proposal.departement and proposal.departement == answers.departement:
        result["departement"] = verified
    elif proposal.departement:
        result["departement"] = Provenance(False, declared.text, departement_label(proposal.departement))
    if proposal.ess_conditions and answers.ess_conditions_met:
        result["ess_conditions"] = verified
    if proposal.social_utility and set(proposal.social_utility) <= set(answers.social_utility):
        result["social_utility"] = verified
    return result
