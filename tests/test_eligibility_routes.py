"""Routes of the eligibility checker: questionnaire, result, errors, prefill, regime by config."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app.eligibility.engine import Answers, paris_today, regime_in_force
from app.eligibility.structures import StructureType as T

R2020, R2025 = "experimentation-2020", "ouverture-ess-2025"

ESS_OK = {
    "ess_non_profit_purpose": "oui",
    "ess_democratic_governance": "oui",
    "ess_profits_reinvested": "oui",
    "social_utility": ["fragilite", "citoyennete"],
}


def get(client, path, **params):
    response = client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))
    assert response.status_code == 200, response.status_code
    return response, unescape(response.get_data(as_text=True))


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def link(html: str, label: str) -> str:
    match = re.search(r'<a[^>]*href="([^"]+)"[^>]*>\s*' + re.escape(label), html)
    assert match, f"lien « {label} » introuvable"
    return match.group(1)


def checked_values(html: str, name: str) -> list[str]:
    inputs = re.findall(r"<input[^>]*>", html)
    return [re.search(r'value="([^"]*)"', i).group(1) for i in inputs if f'name="{name}"' in i and "checked" in i]


def test_questionnaire(client):
    response, html = get(client, "/eligibilite")
    assert title(html).startswith("Tester l'éligibilité de votre structure")
    assert html.count("<h1") == 1
    assert 'method="get"' in html and 'action="/eligibilite/resultat"' in html
    assert "coming_soon" not in html and "Ce service ouvre prochainement" not in html
    for structure_type in T:
        assert structure_type.label in html
    assert '<option value="33">33 – Gironde</option>' in html
    assert "Uniquement pour les coopératives, mutuelles, fondations et sociétés commerciales de l'ESS" in html
    assert "Pourriez-vous accueillir des mineurs ?" in html
    assert regime_in_force(paris_today()).name in html  # the regime in force today, by default
    assert "js/eligibility.js" in html
    assert 'id="resume-erreurs"' not in html
    assert "Erreur" not in title(html)


def test_eligible_ess_structure(app, client):
    app.config["ELIGIBILITY_REGIME"] = R2020
    response, html = get(
        client, "/eligibilite/resultat", structure_type="cooperative", departement="33", minors="oui", **ESS_OK
    )
    assert title(html).startswith("Résultat du test d'éligibilité")
    assert html.count("<h1") == 1
    page = text(html)
    assert "Votre structure peut accueillir des personnes en TIG" in page
    assert "Expérimentation : habilitation de la structure, puis inscription des postes" in page
    for reference in (
        "Loi n° 2019-222 du 23 mars 2019, art. 71",
        "Arrêté du 20 janvier 2020",
        "Loi n° 2014-856 du 31 juillet 2014, art. 1",
        "Loi n° 2014-856 du 31 juillet 2014, art. 2",
    ):
        assert reference in page
    assert "Statuts à jour" in page and "Derniers comptes annuels et bilan" in page
    assert "PDF, JPEG ou PNG" in page and "10 Mo" in page
    assert "protection judiciaire de la jeunesse" in page  # minors: information only
    assert "referent.tig.33@justice.fr" in html
    assert link(html, "Voir les webinaires") == "/webinaires?departement=33"
    apply = link(html, "Déposer une candidature")
    assert urlsplit(apply).path == "/candidature"
    assert Answers.from_query(parse_qs(urlsplit(apply).query)) == Answers(
        T.COOPERATIVE, "33", True, True, True, ("fragilite", "citoyennete"), True
    )


def test_not_eligible_company(client):
    response, html = get(client, "/eligibilite/resultat", structure_type="autre_entreprise", departement="59")
    page = text(html)
    assert "Votre structure ne peut pas accueillir de personnes en TIG" in page
    assert "Code pénal, art. 131-8" in page
    assert "Ce que vous pouvez faire" in page and "partenariat avec une association" in page
    assert "Déposer une candidature" not in page
    assert "referent.tig.59@justice.fr" in html
    assert "Les pièces à préparer" not in page


def test_cooperative_outside_the_experimentation(app, client):
    app.config["ELIGIBILITY_REGIME"] = R2020
    _, html = get(client, "/eligibilite/resultat", structure_type="cooperative", departement="01", **ESS_OK)
    page = text(html)
    assert "ne peut pas accueillir" in page
    assert "Le département 01 – Ain ne fait pas partie des 20 départements de l'expérimentation" in page
    assert "Condition non remplie" in page and "Condition remplie" in page


def test_public_body_has_no_documents(client):
    _, html = get(client, "/eligibilite/resultat", structure_type="personne_publique", departement="75")
    page = text(html)
    assert "Inscription des postes : votre structure est habilitée de plein droit" in page
    assert "Aucune pièce d'habilitation" in page


def test_association_in_moselle(client):
    _, html = get(client, "/eligibilite/resultat", structure_type="association", departement="57")
    page = text(html)
    assert "Extrait du registre des associations du tribunal judiciaire" in page
    assert "Journal officiel" in page and "RNA" in page


def test_ess_answers_ignored_for_other_types(client):
    _, html = get(
        client,
        "/eligibilite/resultat",
        structure_type="association",
        departement="33",
        ess_non_profit_purpose="n'importe quoi",
        social_utility="inconnu",
    )
    assert "Votre structure peut accueillir des personnes en TIG" in text(html)
    assert "ess_non_profit_purpose" not in link(html, "Déposer une candidature")


def test_missing_answers_show_french_errors(client):
    _, html = get(client, "/eligibilite/resultat")
    assert title(html).startswith("Erreur : Tester l'éligibilité")
    assert 'id="resume-erreurs"' in html
    assert "Le formulaire contient 2 erreurs" in html
    assert "Choisissez la nature de votre structure." in html
    assert "Choisissez le département où se trouveraient les postes." in html
    assert 'href="#structure_type"' in html and 'href="#departement"' in html
    assert "fr-fieldset--error" in html and "fr-select-group--error" in html


def test_unknown_departement_keeps_the_other_answers(client):
    _, html = get(client, "/eligibilite/resultat", structure_type="mutuelle", departement="99", **ESS_OK)
    assert title(html).startswith("Erreur : ")
    assert "Ce département est inconnu : choisissez-le dans la liste, par exemple « 33 – Gironde »." in html
    assert checked_values(html, "structure_type") == ["mutuelle"]
    assert checked_values(html, "ess_democratic_governance") == ["oui"]
    assert checked_values(html, "social_utility") == ["fragilite", "citoyennete"]


def test_ess_questions_required_for_ess_types(client):
    _, html = get(
        client, "/eligibilite/resultat", structure_type="fondation", departement="33", ess_non_profit_purpose="oui"
    )
    assert "Le formulaire contient 3 erreurs" in html
    assert (
        html.count("Répondez à cette question : elle est obligatoire pour les coopératives") == 2 * 2
    )  # field + summary
    assert html.count("ou « Aucun de ces buts » : cette réponse est obligatoire pour les coopératives") == 2
    assert checked_values(html, "ess_non_profit_purpose") == ["oui"]


@pytest.mark.parametrize(
    "params",
    [
        {"structure_type": "<script>alert(1)</script>", "departement": "33"},
        {
            "structure_type": "cooperative",
            "departement": "33",
            "ess_non_profit_purpose": "peut-être",
            "ess_democratic_governance": "oui",
            "ess_profits_reinvested": "oui",
        },
        {
            "structure_type": "cooperative",
            "departement": "33",
            "ess_non_profit_purpose": "oui",
            "ess_democratic_governance": "oui",
            "ess_profits_reinvested": "oui",
            "social_utility": "profit",
        },
        {"structure_type": "association", "departement": "33", "minors": "42"},
        {"structure_type": "association", "departement": "../../etc/passwd"},
        {"structure_type": "", "departement": "", "social_utility": ["", ","]},
    ],
)
def test_junk_values_give_french_errors_not_500(client, params):
    response, html = get(client, "/eligibilite/resultat", **params)
    assert title(html).startswith("Erreur : ")
    assert 'id="resume-erreurs"' in html
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_modify_prefills_everything(client):
    _, result = get(
        client,
        "/eligibilite/resultat",
        structure_type="societe_commerciale_ess",
        departement="2A",
        minors="non",
        **{**ESS_OK, "ess_profits_reinvested": "non"},
    )
    edit = link(result, "Modifier mes réponses")
    assert urlsplit(edit).path == "/eligibilite"
    response = client.get(edit)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert checked_values(html, "structure_type") == ["societe_commerciale_ess"]
    assert '<option selected value="2A">' in html
    assert checked_values(html, "ess_non_profit_purpose") == ["oui"]
    assert checked_values(html, "ess_profits_reinvested") == ["non"]
    assert checked_values(html, "social_utility") == ["fragilite", "citoyennete"]
    assert checked_values(html, "minors") == ["non"]
    assert 'id="resume-erreurs"' not in html  # prefill shows no error


def test_regime_named_on_result(client):
    _, html = get(client, "/eligibilite/resultat", structure_type="association", departement="33")
    assert "Règles appliquées" in html
    regime = regime_in_force(paris_today())
    assert regime.name in html and regime.summary_text in html


def test_a_cooperative_in_creuse_is_told_the_law_in_force_today(client):
    # The regime follows the date: no configuration says which law applies.
    _, html = get(client, "/eligibilite/resultat", structure_type="cooperative", departement="23", **ESS_OK)
    page = text(html)
    assert "Votre structure peut accueillir des personnes en TIG" in page
    assert "Ouverture à l'ESS (décret du 30 décembre 2024)" in page
    assert "depuis le 1er janvier 2025" in page
    assert "à vérifier" not in page


def test_regime_switched_by_config(app, client):
    params = dict(structure_type="cooperative", departement="01", **ESS_OK)
    app.config["ELIGIBILITY_REGIME"] = R2020
    _, before = get(client, "/eligibilite/resultat", **params)
    assert "ne peut pas accueillir" in text(before)

    app.config["ELIGIBILITY_REGIME"] = R2025
    _, after = get(client, "/eligibilite/resultat", **params)
    page = text(after)
    assert "Votre structure peut accueillir des personnes en TIG" in page
    assert "Ouverture à l'ESS (décret du 30 décembre 2024)" in page
    assert "Loi n° 2023-1059 du 20 novembre 2023, art. 24" in page
    _, questionnaire = get(client, "/eligibilite")
    assert "Ouverture à l'ESS (décret du 30 décembre 2024)" in questionnaire


def test_an_unknown_regime_stops_the_start(tmp_path):
    from app import create_app
    from app.eligibility.engine import UnknownRegime
    from config import TestingConfig

    with pytest.raises(UnknownRegime):
        create_app(TestingConfig, ELIGIBILITY_REGIME="ouverture-ess-2023", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_mission_company_under_each_regime(app, client):
    params = dict(structure_type="societe_a_mission", departement="17")  # only in the 2025 list
    app.config["ELIGIBILITY_REGIME"] = R2020
    assert "ne peut pas accueillir" in text(get(client, "/eligibilite/resultat", **params)[1])
    app.config["ELIGIBILITY_REGIME"] = R2025
    assert "peut accueillir des personnes en TIG" in text(get(client, "/eligibilite/resultat", **params)[1])


def test_social_utility_is_decisive_and_none_is_an_answer(client):
    _, html = get(client, "/eligibilite")
    legend = html.split('id="social_utility-legend"', 1)[1].split("</legend>", 1)[0]
    assert "(optionnel)" not in legend
    assert "Aucun de ces buts" in html
    conditions = {k: v for k, v in ESS_OK.items() if k != "social_utility"}
    _, result = get(
        client,
        "/eligibilite/resultat",
        structure_type="mutuelle",
        departement="23",
        social_utility="aucun",
        **conditions,
    )
    page = text(result)
    assert "Votre structure ne peut pas accueillir de personnes en TIG" in page
    assert "Buts d'utilité sociale : aucun de ces buts" in page
    assert "ne poursuit aucun but d'utilité sociale" in page
    assert "Déposer une candidature" not in page
    _, mixed = get(
        client,
        "/eligibilite/resultat",
        structure_type="mutuelle",
        departement="23",
        social_utility=["aucun", "fragilite"],
        **conditions,
    )
    assert title(mixed).startswith("Erreur : ")
    assert "gardez les buts poursuivis, ou seulement « Aucun de ces buts »" in mixed
    assert checked_values(mixed, "social_utility") == ["fragilite", "aucun"]


# Every case a structure cannot host in, with the sentence that says why for that case.
REFUSALS = [
    (R2025, dict(structure_type="autre_entreprise", departement="23"), "dans aucun département"),
    (R2025, dict(structure_type="autre_entreprise", departement="04"), "dans aucun département"),
    (R2020, dict(structure_type="autre_entreprise", departement="33"), "dans aucun département"),
    (R2025, dict(structure_type="societe_a_mission", departement="04"), "04 – Alpes-de-Haute-Provence n'en fait pas"),
    (R2020, dict(structure_type="cooperative", departement="23", **ESS_OK), "23 – Creuse n'en fait pas partie"),
    (
        R2025,
        dict(structure_type="fondation", departement="23", **{**ESS_OK, "ess_democratic_governance": "non"}),
        "ne remplit pas les trois conditions",
    ),
    (
        R2025,
        dict(structure_type="societe_commerciale_ess", departement="33", **{**ESS_OK, "social_utility": "aucun"}),
        "ne poursuit aucun but d'utilité sociale",
    ),
]


@pytest.mark.parametrize("regime_id,params,why", REFUSALS)
def test_a_structure_that_cannot_host_is_told_why_for_its_case(app, client, regime_id, params, why):
    app.config["ELIGIBILITY_REGIME"] = regime_id
    _, html = get(client, "/eligibilite/resultat", **params)
    verdict = text(html.split('id="verdict"', 1)[1].split("</div>", 1)[0])
    assert why in verdict
    assert "dans ce département" not in text(html)
    assert "Déposer une candidature" not in text(html)  # never sent into the wizard
    departement = params["departement"]
    assert f"referent.tig.{departement}@justice.fr" in html
    assert link(html, "Voir les webinaires") == f"/webinaires?departement={departement}"


def test_page_has_no_inline_script_or_style(client):
    for url in (
        "/eligibilite",
        "/eligibilite/resultat?structure_type=association&departement=33",
        "/eligibilite/resultat",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert not re.search(r"\son[a-z]+=", html)


FIELDS = [
    "structure_type",
    "departement",
    "ess_non_profit_purpose",
    "ess_democratic_governance",
    "ess_profits_reinvested",
    "social_utility",
    "minors",
]


@pytest.mark.slow
def test_any_query_gives_a_page_never_a_500(app):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client = app.test_client()
    values = st.one_of(
        st.text(max_size=12), st.sampled_from(["oui", "non", "cooperative", "association", "33", "2A", "fragilite"])
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=10))
    def check(pairs):
        for path in ("/eligibilite", "/eligibilite/resultat"):
            response = client.get(path, query_string=pairs)
            assert response.status_code == 200
            html = response.get_data(as_text=True)
            assert html.count("<h1") == 1
            if path.endswith("resultat"):
                assert ("Erreur : " in title(html)) != ("Résultat du test" in title(html))

    check()
