"""Eligibility rules: the table of every structure type × département × ESS answers, for both
regimes; documents per type; the Answers query contract shared with the application wizard.

The expected outcomes are written out here from domain.md §2, independently of the TOML data.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.eligibility.documents import ACCEPTED_UPLOAD_FORMATS, required_documents
from app.eligibility.engine import (
    SOCIAL_UTILITY_PURPOSES,
    Answers,
    EligibilityPath,
    UnknownRegime,
    available_regimes,
    evaluate,
    load_regime,
)
from app.eligibility.structures import StructureType as T
from app.territories import all_departements

R2020 = "experimentation-2020"
R2023 = "ouverture-ess-2023"

# Départements chosen to separate the two lists: 33 is in both, 13 only in the 2020 arrêté,
# 17 only in the 2025 sociétés-à-mission list, 01 in neither.
IN_BOTH, ONLY_2020, ONLY_2025, NEITHER = "33", "13", "17", "01"
DEPARTEMENTS = [IN_BOTH, ONLY_2020, ONLY_2025, NEITHER]
LIST_2020 = {IN_BOTH, ONLY_2020}
LIST_2025 = {IN_BOTH, ONLY_2025}

# ESS answers: all three conditions and a purpose / one condition missing / no social-utility purpose.
ESS_SCENARIOS = {
    "ess_ok": dict(
        ess_non_profit_purpose=True,
        ess_democratic_governance=True,
        ess_profits_reinvested=True,
        social_utility=("fragilite",),
    ),
    "ess_condition_missing": dict(
        ess_non_profit_purpose=True,
        ess_democratic_governance=False,
        ess_profits_reinvested=True,
        social_utility=("lien_social",),
    ),
    "no_purpose": dict(
        ess_non_profit_purpose=True, ess_democratic_governance=True, ess_profits_reinvested=True, social_utility=()
    ),
}
ESS_PRIVATE = {T.COOPERATIVE, T.MUTUELLE, T.FONDATION, T.ESS_COMPANY}


def expected(regime: str, structure_type: T, departement: str, scenario: str) -> tuple[bool, str]:
    """The answer the law gives (domain.md §2), written as plainly as possible."""
    if structure_type is T.PUBLIC_BODY:
        return True, "postes"
    if structure_type in (T.PUBLIC_SERVICE_PRIVATE, T.ASSOCIATION):
        return True, "habilitation"
    if structure_type is T.OTHER_COMPANY:
        return False, "none"
    if structure_type is T.MISSION_COMPANY:
        inside = departement in (LIST_2020 if regime == R2020 else LIST_2025)
        return (True, "experimentation_ess") if inside else (False, "none")
    # coopérative, mutuelle, fondation, société commerciale de l'ESS
    ess_ok = scenario == "ess_ok"
    if regime == R2020:
        return (True, "experimentation_ess") if ess_ok and departement in LIST_2020 else (False, "none")
    return (True, "habilitation") if ess_ok else (False, "none")


def make_answers(structure_type: T, departement: str, scenario: str = "ess_ok", minors=None) -> Answers:
    extra = ESS_SCENARIOS[scenario] if structure_type in ESS_PRIVATE else {}
    return Answers(structure_type, departement, minors=minors, **extra)


TABLE = [
    pytest.param(
        regime, structure_type, departement, scenario, id=f"{regime}-{structure_type.value}-{departement}-{scenario}"
    )
    for regime in (R2020, R2023)
    for structure_type in T
    for departement in DEPARTEMENTS
    for scenario in ESS_SCENARIOS
]


@pytest.mark.parametrize("regime_id,structure_type,departement,scenario", TABLE)
def test_rules_table(regime_id, structure_type, departement, scenario):
    result = evaluate(make_answers(structure_type, departement, scenario), load_regime(regime_id))
    eligible, path = expected(regime_id, structure_type, departement, scenario)
    assert (result.eligible, result.path.value) == (eligible, path)
    assert result.reasons, "every answer says why"
    assert all(reason.text and reason.legal_reference for reason in result.reasons)
    if eligible:
        assert result.alternatives == []
        assert all(reason.met for reason in result.reasons)
    else:
        assert result.alternatives, "a structure that cannot host is told what it can do instead"
        assert result.documents == []
        assert any(not reason.met for reason in result.reasons)


def test_table_covers_every_case():
    assert len(TABLE) == 2 * len(T) * 4 * 3


@pytest.mark.parametrize("regime_id", [R2020, R2023])
@pytest.mark.parametrize("structure_type", sorted(ESS_PRIVATE, key=lambda t: t.value))
@pytest.mark.parametrize("failing", ["ess_non_profit_purpose", "ess_democratic_governance", "ess_profits_reinvested"])
def test_each_ess_condition_is_required(regime_id, structure_type, failing):
    values = dict(ess_non_profit_purpose=True, ess_democratic_governance=True, ess_profits_reinvested=True)
    values[failing] = False
    answers = Answers(structure_type, IN_BOTH, social_utility=("citoyennete",), **values)
    result = evaluate(answers, load_regime(regime_id))
    assert not result.eligible
    failed = [r for r in result.reasons if not r.met]
    assert [r.legal_reference for r in failed] == ["Loi n° 2014-856 du 31 juillet 2014, art. 1"]


@pytest.mark.parametrize("purpose", list(SOCIAL_UTILITY_PURPOSES))
def test_any_single_social_utility_purpose_is_enough(purpose):
    answers = Answers(T.FONDATION, NEITHER, True, True, True, (purpose,))
    assert evaluate(answers, load_regime(R2023)).eligible
    assert not evaluate(answers, load_regime(R2020)).eligible  # outside the 20 départements


def test_outside_the_experimentation_cites_the_arrete_of_2020():
    result = evaluate(make_answers(T.COOPERATIVE, NEITHER), load_regime(R2020))
    failed = [r for r in result.reasons if not r.met]
    assert len(failed) == 1
    assert "Arrêté du 20 janvier 2020" in failed[0].legal_reference
    assert "01 – Ain" in failed[0].text
    assert any("association" in a for a in result.alternatives)


def test_missing_purpose_cites_article_2():
    result = evaluate(make_answers(T.MUTUELLE, IN_BOTH, "no_purpose"), load_regime(R2020))
    assert [r.legal_reference for r in result.reasons if not r.met] == ["Loi n° 2014-856 du 31 juillet 2014, art. 2"]


def test_other_company_is_told_why_and_what_to_do():
    result = evaluate(make_answers(T.OTHER_COMPANY, IN_BOTH), load_regime(R2020))
    assert not result.eligible and result.path is EligibilityPath.NONE
    assert "Code pénal, art. 131-8" in result.reasons[0].legal_reference
    joined = " ".join(result.alternatives)
    for idea in ("association", "économie sociale et solidaire", "référent", "personne publique"):
        assert idea in joined


def test_public_body_only_inscribes_posts():
    result = evaluate(make_answers(T.PUBLIC_BODY, NEITHER), load_regime(R2020))
    assert result.path is EligibilityPath.POSTES
    assert result.documents == []
    assert "131-8" in result.reasons[0].legal_reference


def test_mission_company_2023_cites_the_later_law():
    result = evaluate(make_answers(T.MISSION_COMPANY, ONLY_2025), load_regime(R2023))
    assert result.eligible
    assert "2023-1059" in result.reasons[0].legal_reference


@pytest.mark.parametrize("regime_id", [R2020, R2023])
def test_minors_note_only_when_minors_may_be_hosted(regime_id):
    regime = load_regime(regime_id)
    with_minors = evaluate(make_answers(T.ASSOCIATION, IN_BOTH, minors=True), regime)
    without = evaluate(make_answers(T.ASSOCIATION, IN_BOTH, minors=False), regime)
    assert any("PJJ" in note.text and "16 ans" in note.text for note in with_minors.notes)
    assert without.notes == []
    assert with_minors.eligible == without.eligible  # information only


@pytest.mark.parametrize("code", ["57", "67", "68"])
def test_alsace_moselle_association_note(code):
    result = evaluate(make_answers(T.ASSOCIATION, code), load_regime(R2020))
    assert any("RNA" in note.text for note in result.notes)
    assert "extrait_registre" in [d.key for d in result.documents]


def test_evaluate_is_pure():
    regime = load_regime(R2020)
    answers = make_answers(T.ESS_COMPANY, ONLY_2020)
    assert evaluate(answers, regime) == evaluate(answers, regime)


# --- regimes as data ------------------------------------------------------------------------------


def test_both_regimes_ship_with_their_names():
    assert set(available_regimes()) >= {R2020, R2023}
    assert load_regime(R2020).name == "Expérimentation ESS 2020 (arrêté du 20 janvier 2020)"
    assert load_regime(R2023).name == "Ouverture à l'ESS (loi n° 2023-1059)"
    assert load_regime(R2020).start_date.isoformat() == "2020-01-20"


def test_regime_lists_match_the_departements_data():
    csv_2020 = {d.code for d in all_departements() if d.experimentation_2020}
    csv_2025 = {d.code for d in all_departements() if d.societes_a_mission_2025}
    assert load_regime(R2020).departements("experimentation") == csv_2020
    assert len(csv_2020) == 20
    assert load_regime(R2023).departements("societes_a_mission_2025") == csv_2025
    assert len(csv_2025) == 20


@pytest.mark.parametrize("regime_id", ["nope", "../config", "", "EXPERIMENTATION-2020", None])
def test_unknown_regime(regime_id):
    with pytest.raises(UnknownRegime):
        load_regime(regime_id)


@pytest.mark.parametrize("regime_id", [R2020, R2023])
def test_every_regime_has_a_rule_per_type_with_a_reference(regime_id):
    regime = load_regime(regime_id)
    assert set(regime.rules) == set(T)
    assert all(rule.legal_reference for rule in regime.rules.values())
    assert "Code pénal, art. 131-8" in regime.legal_references


# --- documents (Code pénitentiaire R.623-2) ------------------------------------------------------------

DOCUMENTS = {
    T.PUBLIC_BODY: [],
    T.OTHER_COMPANY: [],
    T.PUBLIC_SERVICE_PRIVATE: ["statuts", "siren", "comptes"],
    T.ASSOCIATION: ["declaration_jo", "statuts", "etablissements", "bureau", "pv_assemblee_generale"],
    T.COOPERATIVE: ["statuts", "utilite_sociale", "comptes"],
    T.MUTUELLE: ["statuts", "utilite_sociale", "comptes"],
    T.FONDATION: ["statuts", "utilite_sociale", "comptes"],
    T.ESS_COMPANY: ["statuts", "utilite_sociale", "comptes", "kbis"],
    T.MISSION_COMPANY: ["statuts", "kbis", "rapport_comite_mission", "comptes"],
}


@pytest.mark.parametrize("structure_type", list(T), ids=lambda t: t.value)
def test_documents_per_type(structure_type):
    documents = required_documents(structure_type, "33")
    assert [d.key for d in documents] == DOCUMENTS[structure_type]
    assert all(d.label and d.hint and d.required for d in documents)
    assert len({d.key for d in documents}) == len(documents)


@pytest.mark.parametrize("code", ["57", "67", "68"])
def test_associations_of_alsace_moselle_give_the_register_extract(code):
    keys = [d.key for d in required_documents(T.ASSOCIATION, code)]
    assert keys == ["extrait_registre", "statuts", "etablissements", "bureau", "pv_assemblee_generale"]


def test_kbis_mentions():
    ess = {d.key: d for d in required_documents(T.ESS_COMPANY, "33")}
    mission = {d.key: d for d in required_documents(T.MISSION_COMPANY, "33")}
    assert "moins de 3 mois" in ess["kbis"].label and "ESS" in ess["kbis"].label
    assert "société à mission" in mission["kbis"].label
    assert ACCEPTED_UPLOAD_FORMATS == "PDF, JPEG ou PNG"


def test_documents_without_departement():
    assert [d.key for d in required_documents(T.ASSOCIATION, None)][0] == "declaration_jo"


# --- Answers ⇄ query (the contract with /candidature) ---------------------------------------------------


def test_to_query_of_an_ess_structure():
    answers = Answers(T.COOPERATIVE, "2A", True, False, True, ("fragilite", "citoyennete"), minors=False)
    assert answers.to_query() == {
        "structure_type": "cooperative",
        "departement": "2A",
        "ess_non_profit_purpose": "oui",
        "ess_democratic_governance": "non",
        "ess_profits_reinvested": "oui",
        "social_utility": "fragilite,citoyennete",
        "minors": "non",
    }


def test_from_query_ignores_ess_answers_of_other_types():
    answers = Answers.from_query(
        {
            "structure_type": "association",
            "departement": "33",
            "ess_non_profit_purpose": "oui",
            "social_utility": "fragilite",
        }
    )
    assert answers == Answers(T.ASSOCIATION, "33")


def test_from_query_reads_repeated_checkboxes_and_normalises():
    args = MultiDict(
        [
            ("structure_type", "mutuelle"),
            ("departement", "2a"),
            ("ess_non_profit_purpose", "oui"),
            ("ess_democratic_governance", "oui"),
            ("ess_profits_reinvested", "non"),
            ("social_utility", "lien_social"),
            ("social_utility", "fragilite"),
            ("minors", "oui"),
        ]
    )
    answers = Answers.from_query(args)
    assert answers == Answers(T.MUTUELLE, "2A", True, True, False, ("fragilite", "lien_social"), True)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"departement": "33"},
        {"structure_type": "association"},
        {"structure_type": "entreprise", "departement": "33"},
        {"structure_type": "association", "departement": "99"},
        {"structure_type": "association", "departement": "33", "minors": "peut-être"},
        {"structure_type": "cooperative", "departement": "33"},  # ESS answers missing
        {
            "structure_type": "cooperative",
            "departement": "33",
            "ess_non_profit_purpose": "oui",
            "ess_democratic_governance": "oui",
            "ess_profits_reinvested": "oui",
            "social_utility": "inconnu",
        },
    ],
)
def test_from_query_returns_none_when_incomplete_or_invalid(query):
    assert Answers.from_query(query) is None


def test_from_query_never_raises_on_strange_input():
    assert Answers.from_query(None) is None
    assert Answers.from_query({"structure_type": ["association"], "departement": 33}) == Answers(T.ASSOCIATION, "33")


answers_strategy = st.builds(
    lambda structure_type, departement, conditions, purposes, minors: Answers(
        structure_type,
        departement,
        *(conditions if structure_type in ESS_PRIVATE else (None, None, None)),
        social_utility=tuple(p for p in SOCIAL_UTILITY_PURPOSES if p in purposes)
        if structure_type in ESS_PRIVATE
        else (),
        minors=minors,
    ),
    st.sampled_from(list(T)),
    st.sampled_from([d.code for d in all_departements()]),
    st.tuples(st.booleans(), st.booleans(), st.booleans()),
    st.sets(st.sampled_from(list(SOCIAL_UTILITY_PURPOSES))),
    st.one_of(st.none(), st.booleans()),
)


@settings(max_examples=200, deadline=None)
@given(answers_strategy)
def test_query_round_trip(answers):
    query = answers.to_query()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert Answers.from_query(query) == answers


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "structure_type",
                "departement",
                "ess_non_profit_purpose",
                "ess_democratic_governance",
                "ess_profits_reinvested",
                "social_utility",
                "minors",
                "autre",
            ]
        ),
        st.one_of(st.text(max_size=20), st.sampled_from(["oui", "non", "cooperative", "33", "fragilite,x", ""])),
    )
)
def test_from_query_never_raises(query):
    result = Answers.from_query(query)
    assert result is None or isinstance(result, Answers)
