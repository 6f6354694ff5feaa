"""Eligibility rules: the table of every regime × structure type × département × ESS answers, which
regime is in force on which date, what a structure that cannot host is told; documents per type; the
Answers query contract shared with the application wizard.

The expected outcomes are written out here from the legal texts, independently of the TOML data.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.eligibility.documents import ACCEPTED_UPLOAD_FORMATS, required_documents
from app.eligibility.engine import (
    NO_PURPOSE,
    SOCIAL_UTILITY_PURPOSES,
    Answers,
    EligibilityPath,
    UnknownRegime,
    all_regimes,
    available_regimes,
    evaluate,
    hosting_overview,
    is_outdated,
    load_regime,
    regime_in_force,
)
from app.eligibility.structures import StructureType as T
from app.territories import all_departements, get_departement

R2020 = "experimentation-2020"
R2025 = "ouverture-ess-2025"

# Départements chosen to separate the two lists: 33 is in both, 13 only in the arrêté of 20 January
# 2020, 17 only in the arrêté of 6 March 2025 (sociétés à mission), 01 and 23 (Creuse) in neither,
# 974 overseas in both, 2A (Corse-du-Sud) in neither.
IN_BOTH, ONLY_2020, ONLY_2025, NEITHER = "33", "13", "17", "01"
DEPARTEMENTS = [IN_BOTH, ONLY_2020, ONLY_2025, NEITHER, "23", "974", "2A"]
LIST_2020 = {IN_BOTH, ONLY_2020, "974"}
LIST_2025 = {IN_BOTH, ONLY_2025, "974"}
# The lists as the arrêtés publish them.
ARRETE_2020 = {"06", "13", "21", "31", "33", "34", "35", "37", "38", "44"}
ARRETE_2020 |= {"57", "59", "62", "67", "69", "72", "75", "92", "93", "974"}
ARRETE_2025 = {"06", "17", "29", "30", "33", "34", "35", "37", "38", "45"}
ARRETE_2025 |= {"51", "56", "63", "67", "69", "75", "80", "83", "94", "974"}

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
    "nothing_but_purposes": dict(
        ess_non_profit_purpose=False,
        ess_democratic_governance=False,
        ess_profits_reinvested=False,
        social_utility=("citoyennete", "developpement_durable"),
    ),
}
ESS_PRIVATE = {T.COOPERATIVE, T.MUTUELLE, T.FONDATION, T.ESS_COMPANY}


def expected(regime: str, structure_type: T, departement: str, scenario: str) -> tuple[bool, str]:
    """The answer the law gives, written as plainly as possible."""
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
    return (True, "habilitation") if ess_ok else (False, "none")  # every département since 2025


def make_answers(structure_type: T, departement: str, scenario: str = "ess_ok", minors=None) -> Answers:
    extra = ESS_SCENARIOS[scenario] if structure_type in ESS_PRIVATE else {}
    return Answers(structure_type, departement, minors=minors, **extra)


TABLE = [
    pytest.param(
        regime, structure_type, departement, scenario, id=f"{regime}-{structure_type.value}-{departement}-{scenario}"
    )
    for regime in (R2020, R2025)
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
    texts = [r.text for r in result.reasons] + result.alternatives + [result.verdict]
    assert not any("{" in t or "}" in t for t in texts), "every placeholder is filled in"
    if eligible:
        assert result.alternatives == []
        assert all(reason.met for reason in result.reasons)
        assert result.verdict == ""
    else:
        assert result.alternatives, "a structure that cannot host is told what it can do instead"
        assert result.documents == []
        assert any(not reason.met for reason in result.reasons)
        assert result.verdict, "a structure that cannot host is told why, in one sentence for its case"
        assert "dans ce département" not in result.verdict
        departement_named = get_departement(departement).name in result.verdict
        # Only a refusal because of the département names it (the département condition is checked first).
        listed = LIST_2020 if regime_id == R2020 else LIST_2025
        by_list = structure_type is T.MISSION_COMPANY or (regime_id == R2020 and structure_type in ESS_PRIVATE)
        assert departement_named == (by_list and departement not in listed)
        assert any("référent" in a for a in result.alternatives) and any("webinaire" in a for a in result.alternatives)


def test_table_covers_every_case():
    assert len(TABLE) == 2 * len(T) * len(DEPARTEMENTS) * len(ESS_SCENARIOS)


@pytest.mark.parametrize("regime_id", [R2020, R2025])
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
    assert evaluate(answers, load_regime(R2025)).eligible
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


def test_mission_company_2025_cites_the_decret_and_the_arrete():
    result = evaluate(make_answers(T.MISSION_COMPANY, ONLY_2025), load_regime(R2025))
    assert result.eligible
    assert "2023-1059" in result.reasons[0].legal_reference
    assert "décret du 30 décembre 2024" in result.reasons[0].legal_reference
    assert "arrêté du 6 mars 2025" in result.reasons[0].legal_reference
    assert "1er janvier 2025" in result.reasons[0].text


def test_mission_company_outside_the_list_is_told_the_list():
    result = evaluate(make_answers(T.MISSION_COMPANY, "23"), load_regime(R2025))
    assert not result.eligible
    assert result.verdict == (
        "Une société à mission ne peut accueillir de personnes en TIG que dans les 20 départements de "
        "l'expérimentation des sociétés à mission, et le département 23 – Creuse n'en fait pas partie."
    )
    failed = next(r for r in result.reasons if not r.met)
    assert "Alpes-Maritimes (06)" in failed.text and "La Réunion (974)" in failed.text
    assert "à vérifier" not in failed.text and "confirmera" not in failed.text


@pytest.mark.parametrize("regime_id", [R2020, R2025])
@pytest.mark.parametrize("departement", DEPARTEMENTS)
def test_other_company_cannot_host_in_any_departement(regime_id, departement):
    result = evaluate(make_answers(T.OTHER_COMPANY, departement), load_regime(regime_id))
    assert not result.eligible
    assert "dans aucun département" in result.verdict
    assert get_departement(departement).name not in result.verdict
    assert all(get_departement(departement).name not in r.text for r in result.reasons)


def test_a_cooperative_in_creuse_can_host_since_2025():
    answers = make_answers(T.COOPERATIVE, "23")
    assert evaluate(answers, regime_in_force(date(2026, 12, 2))).eligible
    assert not evaluate(answers, regime_in_force(date(2024, 12, 31))).eligible


@pytest.mark.parametrize("regime_id", [R2020, R2025])
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


def test_both_regimes_ship_with_their_names_and_dates():
    assert set(available_regimes()) == {R2020, R2025}
    assert load_regime(R2020).name == "Expérimentation ESS 2020 (arrêté du 20 janvier 2020)"
    assert load_regime(R2025).name == "Ouverture à l'ESS (décret du 30 décembre 2024)"
    assert (load_regime(R2020).start_date, load_regime(R2020).end_date) == (date(2020, 1, 20), date(2024, 12, 31))
    assert (load_regime(R2025).start_date, load_regime(R2025).end_date) == (date(2025, 1, 1), date(2027, 12, 31))


def test_regime_lists_are_the_arretes():
    assert load_regime(R2020).departements("experimentation") == ARRETE_2020
    assert load_regime(R2025).departements("societes_a_mission") == ARRETE_2025


# Which regime applies on which date (Europe/Paris): the dates of the texts, and after the last end date
# the last regime still applies (the pages then say until when its rules were known).
DATES = [
    (date(2019, 6, 1), R2020),  # before the first regime: the first
    (date(2020, 1, 20), R2020),
    (date(2022, 6, 15), R2020),
    (date(2024, 12, 31), R2020),
    (date(2025, 1, 1), R2025),
    (date(2025, 3, 6), R2025),
    (date(2026, 12, 2), R2025),
    (date(2027, 12, 31), R2025),
    (date(2028, 1, 1), R2025),
    (date(2031, 7, 14), R2025),
]


@pytest.mark.parametrize("day,regime_id", DATES, ids=[d.isoformat() for d, _ in DATES])
def test_regime_in_force_on_each_date(day, regime_id):
    regime = regime_in_force(day)
    assert regime.id == regime_id
    assert is_outdated(regime, day) == (day > date(2027, 12, 31))


def test_regimes_follow_each_other_without_gap_or_overlap():
    regimes = all_regimes()
    assert [r.id for r in regimes] == [R2020, R2025]
    for earlier, later in zip(regimes, regimes[1:], strict=False):
        assert earlier.end_date is not None
        assert (later.start_date - earlier.end_date).days == 1


# Regimes × types × départements × dates: what the site answers on a given day, written from the texts.
DAY_TABLE = [
    pytest.param(day, structure_type, departement, id=f"{day.isoformat()}-{structure_type.value}-{departement}")
    for day in (date(2022, 6, 15), date(2025, 2, 1), date(2026, 12, 2), date(2029, 1, 1))
    for structure_type in T
    for departement in DEPARTEMENTS
]


@pytest.mark.parametrize("day,structure_type,departement", DAY_TABLE)
def test_answer_on_each_date(day, structure_type, departement):
    result = evaluate(make_answers(structure_type, departement), regime_in_force(day))
    regime_id = R2020 if day < date(2025, 1, 1) else R2025
    assert (result.eligible, result.path.value) == expected(regime_id, structure_type, departement, "ess_ok")


def test_a_wrong_placeholder_stops_the_regime_from_loading(tmp_path, monkeypatch):
    from app.eligibility import engine

    source = (engine.REGIMES_DIR / f"{R2025}.toml").read_text(encoding="utf-8")
    (tmp_path / "cassé.toml").write_text(source, encoding="utf-8")
    for broken in ("{nombre:inconnue}", "{liste}", "{departemnt}"):
        text = source.replace('id = "ouverture-ess-2025"', 'id = "casse"').replace("{debut}", broken, 1)
        (tmp_path / "casse.toml").write_text(text, encoding="utf-8")
        monkeypatch.setattr(engine, "REGIMES_DIR", tmp_path)
        engine.load_regime.cache_clear()
        try:
            with pytest.raises(ValueError, match="texte à trou inconnu"):
                engine.load_regime("casse")
        finally:
            monkeypatch.undo()
            engine.load_regime.cache_clear()


@pytest.mark.parametrize("regime_id", [R2020, R2025])
def test_hosting_overview_says_what_the_rules_say(regime_id):
    regime = load_regime(regime_id)
    rows = {row.structure_type: row for row in hosting_overview(regime)}
    assert list(rows) == list(T)
    for structure_type, row in rows.items():
        eligible_somewhere = any(expected(regime_id, structure_type, d, "ess_ok")[0] for d in DEPARTEMENTS)
        assert row.eligible == eligible_somewhere
        listed = LIST_2020 if regime_id == R2020 else LIST_2025
        everywhere = all(expected(regime_id, structure_type, d, "ess_ok")[0] for d in DEPARTEMENTS)
        if everywhere:
            assert row.sentence.startswith("dans tous les départements")
        elif row.eligible:
            assert row.sentence.startswith("seulement dans les 20 départements de l'expérimentation")
            assert row.departement_list is not None and listed <= row.departement_list.codes
        else:
            assert row.sentence == "dans aucun département"
        if structure_type in ESS_PRIVATE:
            assert "trois conditions de l'économie sociale et solidaire" in row.sentence
            assert "but d'utilité sociale" in row.sentence
    assert rows[T.PUBLIC_BODY].sentence == "dans tous les départements, de plein droit : seuls les postes sont inscrits"


@pytest.mark.parametrize("regime_id", ["nope", "../config", "", "EXPERIMENTATION-2020", None])
def test_unknown_regime(regime_id):
    with pytest.raises(UnknownRegime):
        load_regime(regime_id)


@pytest.mark.parametrize("regime_id", [R2020, R2025])
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


def test_no_purpose_is_an_explicit_answer_in_the_query():
    base = {
        "structure_type": "fondation",
        "departement": "23",
        "ess_non_profit_purpose": "oui",
        "ess_democratic_governance": "oui",
        "ess_profits_reinvested": "oui",
    }
    answers = Answers(T.FONDATION, "23", True, True, True, ())
    assert answers.to_query() == {**base, "social_utility": NO_PURPOSE}
    assert Answers.from_query({**base, "social_utility": NO_PURPOSE}) == answers
    assert Answers.from_query(base) is None  # no answer is not "none of these"
    assert Answers.from_query({**base, "social_utility": f"{NO_PURPOSE},fragilite"}) is None
    assert not evaluate(answers, load_regime(R2025)).eligible


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
