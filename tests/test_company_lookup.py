"""The registry lookup through the eligibility checker's pages, against a real local HTTP server playing
the API Recherche d'entreprises (tests/registry_api.py): proposals, provenance, cache, and every way the
API can fail (429 with Retry-After, slow answer, malformed JSON, server error, unreachable, breaker)."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from app import create_app
from app.companies.client import CircuitBreaker, retry_after_seconds
from app.companies.models import RegistryAnswer
from app.extensions import db as _db
from app.formatting import utcnow
from config import TestingConfig
from tests import registry_api as api

NEUTRAL = "Recherche momentanément indisponible"


def page(client, path: str, **params) -> str:
    response = client.get(path + ("?" + urlencode(params, doseq=True) if params else ""))
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def search(client, identifier: str, **answers) -> str:
    """The « Rechercher » button of the questionnaire, without JavaScript."""
    return page(client, "/eligibilite", identifiant=identifier, rechercher="1", **answers)


def checked(html: str, name: str) -> list[str]:
    return [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(r"<input[^>]*>", html)
        if f'name="{name}"' in tag and " checked" in tag
    ]


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select)
    return (found.group(1) or found.group(2)) if found else None


def test_without_lookups_the_questionnaire_is_as_before(client):
    html = page(client, "/eligibilite")
    assert 'name="identifiant"' not in html and "Rechercher" not in html
    assert client.get("/eligibilite/structure?identifiant=443061841").status_code == 404


def test_questionnaire_offers_the_optional_lookup(client, registry):
    html = page(client, "/eligibilite")
    assert "Connaissez-vous le SIRET ou le RNA de votre structure ? (optionnel)" in html
    assert 'formaction="/eligibilite"' in html and 'name="rechercher"' in html
    assert 'aria-live="polite"' in html and "js/registry-lookup.js" in html
    assert registry.requests == []  # nothing asked before the person does


# identifier, structure type checked, département selected, ESS answers checked « oui », purposes checked
FILLS = [
    (api.ASSOCIATION_SIRET, "association", "33", False, []),
    (api.ASSOCIATION_RNA, "association", "33", False, []),
    (api.PUBLIC_SIREN, "personne_publique", "33", False, []),
    (api.SCOP_SIRET, "cooperative", "33", True, []),
    (api.MUTUELLE_SIRET, "mutuelle", "33", True, []),
    (api.FONDATION_SIRET, "fondation", "33", True, []),
    (api.ESS_SAS_SIRET, "societe_commerciale_ess", "33", True, ["fragilite"]),
    (api.MISSION_SIRET, "societe_a_mission", "69", False, []),
    (api.SARL_SIRET, "autre_entreprise", "33", False, []),
]


@pytest.mark.parametrize("identifier, structure_type, departement, ess, purposes", FILLS)
def test_search_fills_what_the_register_establishes(
    client, registry, identifier, structure_type, departement, ess, purposes
):
    html = search(client, identifier)
    assert "Trouvée dans l'Annuaire des entreprises" in html
    assert checked(html, "structure_type") == [structure_type]
    assert selected(html, "departement") == departement
    for name in ("ess_non_profit_purpose", "ess_democratic_governance", "ess_profits_reinvested"):
        assert checked(html, name) == (["oui"] if ess else [])
    assert checked(html, "social_utility") == purposes
    assert "Nous avons prérempli la nature de la structure, le département" in html
    assert "vérifiez-les et corrigez-les si besoin" in html


def test_search_notice_says_who_and_where_from(client, registry):
    html = search(client, "443 061 841 00013")
    assert "Trouvée dans l'Annuaire des entreprises : RESSOURCERIE DU LIBOURNAIS" in html
    assert "SIRET 443 061 841 00013 (SIREN 443061841)" in html
    assert "Adresse : 15 AVENUE GALLIENI, 33500 Libourne (33 – Gironde)" in html
    assert "Forme juridique : Association déclarée (9220) ; signalée comme" in html
    assert f"association (RNA {api.ASSOCIATION_RNA})" in html
    assert 'value="443 061 841 00013"' in html  # what was typed stays in the field


def test_company_neither_ess_nor_mission_is_told_it_cannot_host(client, registry):
    html = search(client, api.SARL_SIREN)
    assert "fr-alert--warning" in html
    assert "ni entreprise de l'ESS ni société à mission" in html
    assert "ne peut pas accueillir de personnes en travail d'intérêt général" in html


def test_closed_establishment_is_warned(client, registry):
    html = search(client, api.CLOSED_SIRET)
    assert "Cet établissement est fermé depuis le 30 juin 2025" in html and "fr-alert--warning" in html
    assert "Cet établissement est fermé" not in search(client, api.CLOSED_OPEN_SIRET)


def test_individual_entrepreneur_is_not_shown_by_name(client, registry):
    html = search(client, api.INDIVIDUAL_SIRET)
    assert "un entrepreneur individuel" in html and "ENTREPRENEUR-PRIVE" not in html and "IMP DES LILAS" not in html
    assert checked(html, "structure_type") == ["autre_entreprise"]  # the result then says why it cannot host
    assert selected(html, "departement") is None  # its address is not kept


def test_not_found_leaves_the_answers_alone(client, registry):
    html = search(client, api.NOT_FOUND_SIRET, structure_type="fondation", departement="24")
    assert "introuvable dans l'Annuaire des entreprises" in html
    assert checked(html, "structure_type") == ["fondation"] and selected(html, "departement") == "24"


def test_searching_the_same_number_again_keeps_the_persons_corrections(client, registry):
    search(client, api.SCOP_SIRET)
    html = page(
        client,
        "/eligibilite",
        identifiant=api.SCOP_SIRET,
        rechercher="1",
        recherche_faite=api.SCOP_SIRET,
        structure_type="societe_commerciale_ess",
        departement="24",
    )
    assert checked(html, "structure_type") == ["societe_commerciale_ess"] and selected(html, "departement") == "24"
    html = page(client, "/eligibilite", identifiant=api.MUTUELLE_SIRET, rechercher="1", recherche_faite=api.SCOP_SIRET)
    assert checked(html, "structure_type") == ["mutuelle"]  # a new number: its answers


def test_malformed_identifier_is_a_field_error_and_nothing_is_asked(client, registry):
    html = search(client, "44306184100014")
    assert 'id="resume-erreurs"' in html and "Le numéro SIRET n'est pas valide" in html
    assert "<title>Erreur :" in html
    assert 'value="44306184100014"' in html
    assert registry.requests == []


def test_result_page_tells_verified_from_declared(client, registry):
    search(client, api.ASSOCIATION_SIRET)
    html = page(
        client,
        "/eligibilite/resultat",
        identifiant=api.ASSOCIATION_SIRET,
        structure_type="association",
        departement="33",
    )
    assert "d'après l'Annuaire des entreprises consulté le" in html
    assert html.count("Vérifié auprès de l'Annuaire des entreprises le") == 2
    html = page(
        client,
        "/eligibilite/resultat",
        identifiant=api.ASSOCIATION_SIRET,
        structure_type="fondation",
        departement="24",
        ess_non_profit_purpose="oui",
        ess_democratic_governance="oui",
        ess_profits_reinvested="oui",
        social_utility="fragilite",
    )
    assert "Déclaré par vous ; l'Annuaire des entreprises indique : Association" in html
    assert "Déclaré par vous ; l'Annuaire des entreprises indique : 33 – Gironde" in html
    assert f"identifiant={api.ASSOCIATION_SIRET}" in html  # carried to « Modifier » and the application


def test_result_page_of_an_ess_company(client, registry):
    html = page(
        client,
        "/eligibilite/resultat",
        identifiant=api.ESS_SAS_SIRET,
        structure_type="societe_commerciale_ess",
        departement="33",
        ess_non_profit_purpose="oui",
        ess_democratic_governance="oui",
        ess_profits_reinvested="oui",
        social_utility=["fragilite", "citoyennete"],
    )
    assert html.count("Vérifié auprès de l'Annuaire des entreprises le") == 6  # type, dept, 3 ESS, purposes


def test_result_page_without_identifier_is_as_before(client, registry):
    html = page(client, "/eligibilite/resultat", structure_type="association", departement="33")
    assert "Vérifié" not in html and "Déclaré par vous" not in html
    assert registry.requests == []


def test_answers_are_cached(client, registry, app):
    search(client, api.ASSOCIATION_SIRET)
    search(client, api.ASSOCIATION_SIRET)
    page(
        client,
        "/eligibilite/resultat",
        identifiant=api.ASSOCIATION_SIRET,
        structure_type="association",
        departement="33",
    )
    client.get(f"/eligibilite/structure?identifiant={api.ASSOCIATION_SIRET}")
    assert registry.searched() == [api.ASSOCIATION_SIRET]
    search(client, api.NOT_FOUND_SIRET)
    search(client, api.NOT_FOUND_SIRET)  # « not found » is an answer too
    assert registry.searched() == [api.ASSOCIATION_SIRET, api.NOT_FOUND_SIRET]
    # Older than COMPANY_LOOKUP_CACHE_HOURS: asked again.
    _db.session.execute(sa.update(RegistryAnswer).values(fetched_at=utcnow() - timedelta(hours=25)))
    _db.session.commit()
    search(client, api.ASSOCIATION_SIRET)
    assert registry.searched()[-1] == api.ASSOCIATION_SIRET and len(registry.searched()) == 3


def test_requests_name_the_site_and_ask_only_public_data_of_legal_persons(client, registry, app):
    search(client, api.ASSOCIATION_SIRET)
    [request] = registry.requests
    assert request.path == "/search"
    assert request.headers["User-Agent"].startswith("TIG-Partenaires (ATIGIP")
    assert app.config["SITE_URL"] in request.headers["User-Agent"]
    assert request.query["minimal"] == "true"
    assert set(request.query["include"].split(",")) == {"siege", "complements", "matching_etablissements"}
    stored = repr(_db.session.scalars(sa.select(RegistryAnswer.facts)).all())
    assert api.ASSOCIATION_RNA in stored and "DIRIGEANTE-PRIVEE" not in stored and "Camille" not in stored


def test_json_lookup_for_the_page_script(client, registry):
    answer = client.get(f"/eligibilite/structure?identifiant={api.ESS_SAS_SIRET}").get_json()
    assert answer["status"] == "found"
    assert answer["fields"] == {
        "structure_type": "societe_commerciale_ess",
        "departement": "33",
        "ess_non_profit_purpose": "oui",
        "ess_democratic_governance": "oui",
        "ess_profits_reinvested": "oui",
        "social_utility": ["fragilite"],
    }
    assert "RECYCLERIE DES CHARTRONS" in answer["html"] and 'id="annuaire-resultat"' in answer["html"]
    invalid = client.get("/eligibilite/structure?identifiant=123").get_json()
    assert invalid["status"] == "invalid" and "n'a pas la forme attendue" in invalid["error"]
    assert invalid["fields"] == {}
    missing = client.get(f"/eligibilite/structure?identifiant={api.NOT_FOUND_SIREN}").get_json()
    assert missing["status"] == "not_found" and missing["fields"] == {}


# --- the API failing: the page carries on, with a neutral notice -----------------------------------------


def test_rate_limited_by_the_api_then_retry_after_is_respected(client, registry):
    html = search(client, api.RATE_LIMITED_SIREN, structure_type="association")
    assert NEUTRAL in html and "rien n'est bloqué" in html
    assert checked(html, "structure_type") == ["association"]
    html = search(client, api.ASSOCIATION_SIRET)  # within Retry-After: not asked
    assert NEUTRAL in html
    assert registry.searched() == [api.RATE_LIMITED_SIREN]


@pytest.mark.parametrize("identifier", [api.SLOW_SIREN, api.MALFORMED_SIREN, api.SERVER_ERROR_SIREN])
def test_slow_malformed_or_failing_answers_give_a_neutral_notice(client, registry, identifier):
    html = search(client, identifier, structure_type="mutuelle", departement="33")
    assert NEUTRAL in html
    assert checked(html, "structure_type") == ["mutuelle"] and selected(html, "departement") == "33"
    assert client.get(f"/eligibilite/structure?identifiant={identifier}").get_json()["status"] == "unavailable"
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(RegistryAnswer)) == 0  # failures not cached


def test_breaker_opens_after_repeated_failures(client, registry, app):
    app.config["COMPANY_LOOKUP_BREAKER_FAILURES"] = 3
    for _ in range(3):
        assert NEUTRAL in search(client, api.SERVER_ERROR_SIREN)
    assert NEUTRAL in search(client, api.ASSOCIATION_SIRET)  # breaker open: not even asked
    assert registry.searched() == [api.SERVER_ERROR_SIREN] * 3


def test_unreachable_api_gives_a_neutral_notice(client, registry, app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["COMPANY_LOOKUP_URL"] = f"http://127.0.0.1:{port}"
    html = search(client, api.ASSOCIATION_SIRET, structure_type="association")
    assert NEUTRAL in html and checked(html, "structure_type") == ["association"]


def test_result_page_with_the_api_down_shows_the_answers_as_declared(client, registry):
    html = page(
        client, "/eligibilite/resultat", identifiant=api.SLOW_SIREN, structure_type="association", departement="33"
    )
    assert "Votre structure peut accueillir des personnes en TIG" in html
    assert "Vérifié" not in html


def test_lookups_are_rate_limited_per_visitor(tmp_path, test_database, registry_api):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=test_database.url_for_test(tmp_path),
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_COMPANY_LOOKUP="2 per minute",
        COMPANY_LOOKUP_ENABLED=True,
        COMPANY_LOOKUP_URL=registry_api.url,
    )
    with app.app_context():
        test_database.prepare(_db)
        client = app.test_client()
        assert client.get("/eligibilite").status_code == 200  # showing the questionnaire is free
        for _ in range(2):
            assert client.get(f"/eligibilite/structure?identifiant={api.SCOP_SIREN}").status_code == 200
        limited = client.get(f"/eligibilite?identifiant={api.SCOP_SIREN}&rechercher=1")
        assert limited.status_code == 429 and "Trop de demandes" in limited.get_data(as_text=True)
        assert client.get("/eligibilite").status_code == 200
        _db.session.remove()
        _db.engine.dispose()


def test_expired_answers_are_purged_by_the_worker(client, registry, runner):
    search(client, api.ASSOCIATION_SIRET)
    search(client, api.SCOP_SIRET)
    _db.session.execute(
        sa.update(RegistryAnswer)
        .where(RegistryAnswer.identifier == api.SCOP_SIRET)
        .values(fetched_at=utcnow() - timedelta(days=2))
    )
    _db.session.commit()
    from app.jobs import JOBS

    assert JOBS["registry_answers_purge"]() == 1
    assert _db.session.scalars(sa.select(RegistryAnswer.identifier)).all() == [api.ASSOCIATION_SIRET]


# --- the breaker and Retry-After on their own (a clock the test moves) ----------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_breaker_states():
    from app.companies.client import RegistryUnavailable

    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=2, open_seconds=60, clock=clock)
    breaker.before_request()
    breaker.failure()
    breaker.before_request()  # one failure: still closed
    breaker.failure()
    with pytest.raises(RegistryUnavailable):
        breaker.before_request()
    clock.now += 61
    breaker.before_request()  # half-open: one trial…
    with pytest.raises(RegistryUnavailable, match="essai"):
        breaker.before_request()  # … at a time
    breaker.failure()  # the trial failed: open again
    with pytest.raises(RegistryUnavailable):
        breaker.before_request()
    clock.now += 61
    breaker.before_request()
    breaker.success()  # the trial succeeded: closed
    breaker.before_request()
    breaker.before_request()
    breaker.hold_off(30)  # Retry-After
    with pytest.raises(RegistryUnavailable):
        breaker.before_request()
    clock.now += 31
    breaker.before_request()


@pytest.mark.parametrize(
    "header, seconds",
    [("120", 120), ("0", 0), ("", 5), ("demain", 5), ("999999", 3600), ("Wed, 21 Oct 2015 07:28:00 GMT", 0)],
)
def test_retry_after_values(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_personal_data_page_says_which_api_is_called_and_why(client, app):
    assert "API Recherche d'entreprises" not in client.get("/donnees-personnelles").text  # lookups off
    app.config["COMPANY_LOOKUP_ENABLED"] = True
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", unescape(client.get("/donnees-personnelles").text)))
    assert "le site interroge l'API Recherche d'entreprises de l'État" in html
    assert "Seulement des données publiques de personnes morales" in html
    assert "ni ses dirigeants ni ses données financières" in html
    assert "gardée 24 heures" in html
