"""From the API's answers to the site's facts and proposals: pure functions, on the local server's data
(tests/registry_api.py), which follows the API's OpenAPI description."""

from __future__ import annotations

import pytest

from app.companies.facts import RegistryFacts, facts_from_payload
from app.companies.identifiers import IdentifierKind, parse_identifier
from app.eligibility.proposals import departement_mismatch, propose, type_mismatch
from app.eligibility.structures import StructureType as T
from app.validation import InvalidValue
from tests import registry_api as api


def facts_for(typed: str) -> RegistryFacts | None:
    identifier = parse_identifier(typed)
    query = {"q": identifier.value, "minimal": "true", "include": "siege,complements,matching_etablissements"}
    return facts_from_payload({"results": api.search(query)}, identifier)


@pytest.mark.parametrize(
    "typed, kind, value",
    [
        ("443 061 841 00013", IdentifierKind.SIRET, "44306184100013"),
        ("443.061.841", IdentifierKind.SIREN, "443061841"),
        ("w33 201 1234", IdentifierKind.RNA, "W332011234"),
    ],
)
def test_identifiers_as_typed(typed, kind, value):
    identifier = parse_identifier(typed)
    assert (identifier.kind, identifier.value) == (kind, value)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Indiquez un numéro"),
        ("12345", "n'a pas la forme attendue"),
        ("44306184100014", "SIRET n'est pas valide"),
        ("443061842", "SIREN n'est pas valide"),
        ("W33", "RNA doit commencer par la lettre W"),
    ],
)
def test_identifiers_refused_with_a_french_message(typed, message):
    with pytest.raises(InvalidValue, match=message):
        parse_identifier(typed)


# identifier, proposed type, département, ESS conditions established, social utility, cannot host
CASES = [
    (api.ASSOCIATION_SIRET, T.ASSOCIATION, "33", False, (), False),
    (api.ASSOCIATION_RNA, T.ASSOCIATION, "33", False, (), False),
    (api.PUBLIC_SIREN, T.PUBLIC_BODY, "33", False, (), False),
    (api.SCOP_SIRET, T.COOPERATIVE, "33", True, (), False),
    (api.MUTUELLE_SIRET, T.MUTUELLE, "33", True, (), False),
    (api.FONDATION_SIREN, T.FONDATION, "33", True, (), False),
    (api.ESS_SAS_SIRET, T.ESS_COMPANY, "33", True, ("fragilite",), False),
    (api.MISSION_SIRET, T.MISSION_COMPANY, "69", False, (), False),
    (api.SARL_SIREN, T.OTHER_COMPANY, "33", False, (), True),
    (api.CORSICA_SIRET, T.COOPERATIVE, "2B", True, (), False),
    (api.REUNION_SIRET, T.ASSOCIATION, "974", False, (), False),
    (api.CEDEX_SIRET, T.PUBLIC_BODY, "974", False, (), False),
]


@pytest.mark.parametrize("typed, structure_type, departement, ess, purposes, cannot_host", CASES)
def test_proposals(typed, structure_type, departement, ess, purposes, cannot_host):
    proposal = propose(facts_for(typed))
    assert proposal.structure_type is structure_type
    assert proposal.departement == departement
    assert proposal.ess_conditions is ess
    assert proposal.social_utility == purposes
    assert proposal.cannot_host is cannot_host


def test_association_facts_from_its_siret_siren_and_rna():
    by_siret, by_siren, by_rna = (
        facts_for(x) for x in (api.ASSOCIATION_SIRET, api.ASSOCIATION_SIREN, api.ASSOCIATION_RNA)
    )
    assert by_siret == by_siren == by_rna
    assert by_siret.name == "RESSOURCERIE DU LIBOURNAIS"
    assert (by_siret.address, by_siret.postal_code, by_siret.commune) == ("15 AVENUE GALLIENI", "33500", "Libourne")
    assert by_siret.rna == api.ASSOCIATION_RNA and by_siret.legal_form.label == "Association déclarée"


def test_secondary_establishment_gives_its_own_address():
    facts = facts_for(api.ASSOCIATION_OTHER_SIRET)
    assert facts.siret == api.ASSOCIATION_OTHER_SIRET
    assert (facts.address, facts.postal_code, facts.commune, facts.departement) == (
        "2 PLACE DU MARCHE",
        "24100",
        "Bergerac",
        "24",
    )


def test_closed_establishment_of_an_active_company():
    facts = facts_for(api.CLOSED_SIRET)
    assert facts.establishment_closed and not facts.unit_closed and facts.closed
    assert facts.closed_on_date.isoformat() == "2025-06-30"
    assert not facts_for(api.CLOSED_OPEN_SIRET).closed


def test_cedex_head_office_keeps_its_cedex_line():
    facts = facts_for(api.CEDEX_SIRET)
    assert (facts.postal_code, facts.commune) == ("97496", "SAINT-PAUL CEDEX")
    assert facts.address == "HOTEL DE VILLE CS 51015"


def test_individual_entrepreneur_keeps_nothing_personal():
    facts = facts_for(api.INDIVIDUAL_SIRET)
    assert facts.natural_person
    assert facts.name == facts.address == facts.postal_code == ""
    assert "ENTREPRENEUR-PRIVE" not in repr(facts.to_json())
    assert propose(facts).cannot_host


def test_non_diffusible_values_are_not_facts():
    facts = facts_for(api.NON_DIFFUSIBLE_SIRET)
    assert facts.address == "" and facts.postal_code == ""
    assert "NON-DIFFUSIBLE" not in repr(facts.to_json())
    assert facts.departement == "33"  # the commune code is public


def test_not_found_and_other_units_are_not_mistaken():
    assert facts_for(api.NOT_FOUND_SIRET) is None
    identifier = parse_identifier(api.SCOP_SIREN)
    assert facts_from_payload({"results": api.search({"q": api.SARL_SIREN})}, identifier) is None


@pytest.mark.parametrize("payload", [None, [], {"results": None}, {"results": [None, 3, "x", {"siren": None}]}])
def test_junk_answers_are_not_found(payload):
    assert facts_from_payload(payload, parse_identifier(api.ASSOCIATION_SIREN)) is None


def test_a_bare_result_gives_what_it_has():
    facts = facts_from_payload({"results": [{"siren": 443061841}]}, parse_identifier(api.ASSOCIATION_SIRET))
    assert facts == RegistryFacts(siren=api.ASSOCIATION_SIREN)
    assert propose(facts).structure_type is None and not propose(facts).cannot_host


def test_mistyped_fields_are_ignored():
    unit = api.search({"q": api.SCOP_SIREN})[0]
    unit.update(nom_raison_sociale=["x"], nature_juridique=5458, etat_administratif=None, complements="oui")
    unit["siege"].update(adresse={"a": 1}, code_postal=33000, commune=None)
    facts = facts_from_payload({"results": [unit]}, parse_identifier(api.SCOP_SIREN))
    assert facts.name == "LES MENUISIERS ASSOCIES"  # nom_complet
    assert facts.legal_form_code == "5458" and not facts.ess
    assert facts.postal_code == "33000" and facts.address == "4 RUE DES FAURES"
    assert (facts.commune, facts.departement) == ("BORDEAUX", "33")


def test_mismatches():
    sarl = facts_for(api.SARL_SIRET)
    assert type_mismatch(sarl, T.OTHER_COMPANY) is None
    assert type_mismatch(sarl, T.PUBLIC_SERVICE_PRIVATE) is None  # a company may carry a public service
    message = type_mismatch(sarl, T.ESS_COMPANY)
    assert "Société commerciale de l'économie sociale et solidaire" in message
    assert "Société à responsabilité limitée (sans autre indication) (5499)" in message
    assert type_mismatch(facts_for(api.PUBLIC_SIRET), T.ASSOCIATION)
    assert departement_mismatch(sarl, "33") is None
    assert "33000 Bordeaux (33 – Gironde)" in departement_mismatch(sarl, "24")


def test_stored_facts_round_trip_and_junk():
    facts = facts_for(api.ESS_SAS_SIRET)
    assert RegistryFacts.from_json(facts.to_json()) == facts
    assert RegistryFacts.from_json({"name": 3, "ess": "yes", "unknown": 1}) == RegistryFacts()
    assert RegistryFacts.from_json("junk") is None
