"""The law in force, said the same way everywhere: the pages that tell who can host (ESS page, hosting
guide and its FAQ, application start page, eligibility checker and result) read the regime files, the
only source of the départements lists and the dates; a structure that cannot host is never carried into
the wizard."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from app.applications.models import Application
from app.eligibility.engine import hosting_overview, load_regime
from app.extensions import db

REGIMES = ["experimentation-2020", "ouverture-ess-2025"]
PAGES = ["/experimentation-ess", "/accueillir-un-tig", "/candidature", "/eligibilite"]
APP_DIR = Path(__file__).resolve().parent.parent / "app"


def text(html: str) -> str:
    """What a person reads: tags removed, spaces collapsed (none before a comma or a full stop)."""
    return re.sub(r"\s+([,.])", r"\1", re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))))


@pytest.mark.parametrize("regime_id", REGIMES)
@pytest.mark.parametrize("url", PAGES)
def test_every_page_says_what_the_regime_says(app, client, regime_id, url):
    app.config["ELIGIBILITY_REGIME"] = regime_id
    regime = load_regime(regime_id)
    page = text(client.get(url).text)
    assert regime.name in page
    assert (
        "depuis le " + {"experimentation-2020": "20 janvier 2020", "ouverture-ess-2025": "1er janvier 2025"}[regime_id]
        in page
    )
    if url != "/eligibilite":  # the questionnaire names the rules; the others say who can host
        for row in hosting_overview(regime):
            assert f"{row.structure_type.label} : {row.sentence}." in page
    if url in ("/experimentation-ess", "/accueillir-un-tig"):
        assert text(regime.summary_text) in page
    other = load_regime(next(r for r in REGIMES if r != regime_id))
    assert other.summary_text not in page or url == "/experimentation-ess"  # the history lists every regime
    assert "liste à vérifier" not in page and "confirmera" not in page


def test_the_ess_page_history_lists_every_regime_in_order(client):
    page = text(client.get("/experimentation-ess").text)
    history = page.split("Les règles successives :", 1)[1]
    first = history.index(
        "Expérimentation ESS 2020 (arrêté du 20 janvier 2020), du 20 janvier 2020 au 31 décembre 2024"
    )
    second = history.index("Ouverture à l'ESS (décret du 30 décembre 2024), depuis le 1er janvier 2025")
    assert first < second


# Facts that belong to a regime file: a list or a date of a legal text written in a template or in
# Python would drift from the rules applied.
REGIME_FACTS = [
    r"20 départements",
    r"arrêté du 6 mars",
    r"arrêté du 20 janvier",
    r"décret du 30 décembre",
    r"liste à vérifier|\[à vérifier\]|vous le confirmera",
    r"\b(?:06|13|17)\b[^\n]{0,40}\b(?:21|29)\b[^\n]{0,40}\b(?:30|31)\b",  # a written list of codes
]


def test_regime_facts_live_only_in_the_regime_files():
    offenders = []
    for path in sorted(APP_DIR.rglob("*")):
        if path.suffix not in (".py", ".html", ".txt", ".js") or "regimes" in path.parts:
            continue
        content = path.read_text(encoding="utf-8")
        for pattern in REGIME_FACTS:
            for match in re.finditer(pattern, content, re.IGNORECASE):
                offenders.append(f"{path.relative_to(APP_DIR)}: {match.group(0)!r}")
    assert offenders == []


# A refused structure on the application start page, from a result link, a bookmark or the hidden field.
REFUSED = [
    {"structure_type": "autre_entreprise", "departement": "23"},
    {"structure_type": "societe_a_mission", "departement": "04"},
    {
        "structure_type": "cooperative",
        "departement": "23",
        "ess_non_profit_purpose": "oui",
        "ess_democratic_governance": "oui",
        "ess_profits_reinvested": "oui",
        "social_utility": "aucun",
    },
]


@pytest.mark.parametrize("query", REFUSED, ids=lambda q: q["structure_type"])
def test_a_refused_structure_is_never_carried_into_the_wizard(app, client, query):
    app.config["ELIGIBILITY_REGIME"] = "ouverture-ess-2025"
    response = client.get("/candidature", query_string=query)
    assert response.status_code == 200
    html = response.text
    page = text(html)
    assert "votre structure ne peut pas accueillir de personnes en TIG" in page
    assert "dans ce département" not in page
    assert 'name="email"' not in html  # no way into the wizard with these answers
    assert f"referent.tig.{query['departement']}@justice.fr" in html
    assert f"/webinaires?departement={query['departement']}" in html
    assert 'href="/candidature"' in html  # starting without these answers stays possible
    # The hidden field of the start form cannot carry them either.
    from urllib.parse import urlencode

    response = client.post("/candidature", data={"email": "a@exemple.fr", "reponses": urlencode(query)})
    assert response.status_code == 200
    assert "votre structure ne peut pas accueillir de personnes en TIG" in text(response.text)
    assert db.session.query(Application).count() == 0


def test_an_eligible_structure_is_carried_into_the_wizard(app, client):
    app.config["ELIGIBILITY_REGIME"] = "ouverture-ess-2025"
    html = client.get("/candidature", query_string={"structure_type": "societe_a_mission", "departement": "33"}).text
    assert 'name="email"' in html and "Vos réponses au test d'éligibilité" in html
    assert "ne peut pas accueillir" not in text(html)


def test_wizard_step_one_says_why_for_the_case(app, client):
    """Someone who starts without the test and picks a company type is told why, never « dans ce département »."""
    from app.applications import drafts
    from app.formatting import utcnow

    app.config["ELIGIBILITY_REGIME"] = "ouverture-ess-2025"
    draft = drafts.create_draft("a@exemple.fr", now=utcnow(), retention_days=30, answers=None)
    db.session.commit()
    form = {
        "structure_name": "Transports Martin",
        "structure_type": "autre_entreprise",
        "siret": "73282932000074",
        "address": "1 rue de la Gare",
        "postal_code": "23000",
        "commune": "Guéret",
        "departement_code": "23",
        "action": "continuer",
    }
    html = client.post(f"/candidature/{draft.access_token}/etape/1", data=form).text
    page = text(html)
    assert "Votre structure ne peut pas accueillir de personnes en TIG" in page
    assert "ne peut accueillir de personnes en TIG dans aucun département" in page
    assert "dans ce département" not in page
    assert "referent.tig.23@justice.fr" in html and "/webinaires?departement=23" in html


def test_a_societe_a_mission_applies_as_its_own_type(app, client, auth):
    """Its own steps (no ESS questions), its own documents (Code pénitentiaire R.623-2), its own path."""
    from app.applications.models import ApplicationStatus
    from tests.factories import make_referent
    from tests.test_application_wizard import CONTACT, PDF, POST, STRUCTURE, application, post_step, start, upload

    app.config["ELIGIBILITY_REGIME"] = "ouverture-ess-2025"
    token = start(client, reponses="structure_type=societe_a_mission&departement=33")
    structure = {**STRUCTURE, "structure_type": "societe_a_mission", "siret": "73282932000074", "rna": ""}
    assert post_step(client, token, 1, structure).status_code == 302
    assert "Étape 2 sur 6" in client.get(f"/candidature/{token}/etape/2").text  # no ESS step
    assert post_step(client, token, 2, CONTACT).status_code == 302
    assert post_step(client, token, 3, POST).status_code == 302
    documents = text(client.get(f"/candidature/{token}/etape/4").text)
    for label in (
        "Statuts à jour",
        "Extrait Kbis de moins de 3 mois portant la mention « société à mission »",
        "Dernier rapport du comité de mission",
        "Derniers comptes annuels et bilan",
    ):
        assert label in documents
    assert "utilité sociale" not in documents.split("Les pièces justificatives", 1)[-1]
    keys = ("statuts", "kbis", "rapport_comite_mission", "comptes")
    response = upload(client, token, 4, {key: (f"{key}.pdf", PDF) for key in keys})
    assert response.status_code == 302
    assert client.get(response.location).status_code == 200  # the review page opens the declaration step
    assert client.post(f"/candidature/{token}/etape/6", data={"accept": "y"}).status_code == 302
    submitted = application(token)
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert (submitted.eligibility_regime, submitted.eligibility_path) == ("ouverture-ess-2025", "experimentation_ess")

    auth.login_as(make_referent(departements=["33"]))
    detail = text(client.get(f"/espace-referent/candidatures/{submitted.id}").text)
    assert "Société à mission" in detail
    assert "Expérimentation : habilitation de la structure, puis inscription des postes" in detail
    assert "Gouvernance démocratique" not in detail  # not an ESS structure: no ESS answers to show
