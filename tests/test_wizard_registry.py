"""Step 1 of the application wizard filled from the Annuaire des entreprises, and the back office telling
verified facts from declared ones — through the pages, against the local HTTP server playing the API
Recherche d'entreprises (tests/registry_api.py)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.applications.models import Application, ApplicationStatus
from app.companies.models import RegistryAnswer
from app.extensions import db
from tests import registry_api as api
from tests.factories import make_application, make_referent
from tests.test_application_wizard import STRUCTURE, application, field_errors, post_step, start, step_url

NEUTRAL = "Recherche momentanément indisponible"
BLANK = {
    "structure_name": "",
    "structure_type": "",
    "siret": "",
    "rna": "",
    "address": "",
    "postal_code": "",
    "commune": "",
    "departement_code": "",
}


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def value_of(html: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and 'type="radio"' not in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else ""
    return None


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


def search(client, token, identifier, **typed):
    """« Rechercher » on step 1, without JavaScript."""
    response = post_step(client, token, 1, {**BLANK, **typed, "identifiant": identifier}, action="rechercher")
    assert response.status_code == 200, response.status_code
    return text(response)


def carried(html: str) -> dict:
    """Step 1's fields as the page shows them (what « Continuer » would post)."""
    data = {name: value_of(html, name) or "" for name in BLANK if name not in ("structure_type", "departement_code")}
    data["structure_type"] = (checked(html, "structure_type") or [""])[0]
    data["departement_code"] = selected(html, "departement_code") or ""
    data["identifiant"] = value_of(html, "identifiant") or ""
    data["recherche_faite"] = value_of(html, "recherche_faite") or ""
    return data


def test_step_1_without_lookups_is_as_before(client):
    token = start(client)
    html = text(client.get(step_url(token, 1)))
    assert 'name="identifiant"' not in html and "Rechercher" not in html and "registry-lookup.js" not in html
    assert client.get(f"/candidature/{token}/annuaire?identifiant={api.SCOP_SIRET}").status_code == 404


def test_step_1_offers_the_lookup(client, registry):
    token = start(client)
    html = text(client.get(step_url(token, 1)))
    assert "Connaissez-vous le SIRET, le SIREN ou le RNA de votre structure ? (optionnel)" in html
    assert 'name="action" value="rechercher"' in html and 'aria-live="polite"' in html
    assert f'data-url="/candidature/{token}/annuaire"' in html and "js/registry-lookup.js" in html
    assert registry.requests == []  # nothing asked before the person does


# identifier typed, then: name, SIRET, RNA, postal code, commune, département, structure type filled
FILLS = [
    (api.SCOP_SIRET, api.SCOP_SIRET, "", "33", "cooperative"),
    (api.ASSOCIATION_RNA, api.ASSOCIATION_SIRET, api.ASSOCIATION_RNA, "33", "association"),
    (api.ASSOCIATION_SIRET, api.ASSOCIATION_SIRET, api.ASSOCIATION_RNA, "33", "association"),
    (api.PUBLIC_SIREN, api.PUBLIC_SIRET, "", "33", "personne_publique"),
    (api.ESS_SAS_SIREN, api.ESS_SAS_SIRET, "", "33", "societe_commerciale_ess"),
    (api.MISSION_SIRET, api.MISSION_SIRET, "", "69", "societe_a_mission"),
    (api.MUTUELLE_SIRET, api.MUTUELLE_SIRET, "", "33", "mutuelle"),
    (api.FONDATION_SIRET, api.FONDATION_SIRET, "", "33", "fondation"),
    (api.REUNION_SIRET, api.REUNION_SIRET, "W9R1234567", "974", "association"),
]


@pytest.mark.parametrize("typed, siret, rna, departement, structure_type", FILLS)
def test_search_fills_step_1_from_the_register(client, registry, typed, siret, rna, departement, structure_type):
    token = start(client)
    html = search(client, token, typed)
    assert "Trouvée dans l'Annuaire des entreprises" in html
    assert "Nous avons prérempli le nom" in html and "vérifiez-les et corrigez-les si besoin" in html
    fields = carried(html)
    assert fields["structure_name"] and fields["address"] and re.fullmatch(r"\d{5}", fields["postal_code"])
    assert fields["commune"]
    assert fields["siret"] == siret and fields["rna"] == rna and fields["departement_code"] == departement
    if structure_type:
        assert fields["structure_type"] == structure_type
    assert fields["recherche_faite"] == typed


def test_searched_then_saved_records_what_the_register_says(client, registry):
    token = start(client)
    fields = carried(search(client, token, api.SCOP_SIRET))
    response = post_step(client, token, 1, fields)
    assert response.status_code == 302, field_errors(client.get(step_url(token, 1)))
    saved = application(token)
    assert saved.siret == api.SCOP_SIRET and saved.structure_type.value == "cooperative"
    check = saved.registry_check
    assert check["source"] == "Annuaire des entreprises" and check["identifier"] == api.SCOP_SIRET
    assert check["found"] is True and check["facts"]["siret"] == api.SCOP_SIRET
    assert set(check["fields_used"]) >= {"structure_name", "siret", "address", "postal_code", "departement_code"}
    assert saved.registry_mismatch is False
    # The answer came from the cache: the save did not ask the API again.
    assert [r.query.get("q") for r in registry.requests] == [api.SCOP_SIRET]


def test_every_field_filled_can_be_corrected(client, registry):
    token = start(client)
    fields = carried(search(client, token, api.SCOP_SIRET))
    fields["structure_name"] = "SCOP Le Nom Corrigé"
    assert post_step(client, token, 1, fields).status_code == 302
    saved = application(token)
    assert saved.structure_name == "SCOP Le Nom Corrigé"
    assert "structure_name" not in saved.registry_check["fields_used"]


def test_enter_in_the_box_searches_once_then_continue_saves(client, registry):
    token = start(client)
    # Without JavaScript, Enter in the box submits the first button, « Continuer »: it searches.
    response = post_step(client, token, 1, {**BLANK, "identifiant": api.SCOP_SIRET})
    assert response.status_code == 200 and "Trouvée dans l'Annuaire des entreprises" in text(response)
    fields = carried(text(response))
    assert post_step(client, token, 1, fields).status_code == 302  # the same number: saved, not searched again


def test_a_new_number_replaces_the_answers_the_same_number_keeps_corrections(client, registry):
    token = start(client)
    fields = carried(search(client, token, api.SCOP_SIRET))
    fields["structure_name"] = "Corrigé"
    again = carried(search(client, token, api.SCOP_SIRET, **{k: v for k, v in fields.items() if k != "identifiant"}))
    assert again["structure_name"] == "Corrigé"
    other = carried(search(client, token, api.MUTUELLE_SIRET, **{k: v for k, v in again.items() if k != "identifiant"}))
    assert other["siret"] == api.MUTUELLE_SIRET and other["structure_type"] == "mutuelle"


def test_closed_establishment_is_told_in_french(client, registry):
    token = start(client)
    html = search(client, token, api.CLOSED_SIRET)
    assert "Cet établissement est fermé" in html and "indiquez celui d'un établissement en activité" in html
    fields = carried(html)
    assert fields["structure_type"] == "societe_commerciale_ess"  # an ESS company: it may host
    response = post_step(client, token, 1, fields)
    assert response.status_code == 302  # a warning, not a refusal: the person may mean another establishment
    assert "Cet établissement est fermé d'après le répertoire Sirene" in text(client.get(response.location))


def test_company_neither_ess_nor_mission_is_told_it_cannot_host_with_alternatives(client, registry):
    token = start(client)
    html = search(client, token, api.SARL_SIREN)
    assert "ne peut pas accueillir de personnes en travail d'intérêt général" in html
    assert "Ce que vous pouvez faire" in html and "referent.tig.33@justice.fr" in html
    assert "/webinaires?departement=33" in html
    fields = carried(html)
    assert fields["structure_type"] == "autre_entreprise"
    response = post_step(client, token, 1, fields)
    assert response.status_code == 200  # not saved: the wizard refuses the type, as before
    assert "Votre structure ne peut pas accueillir de personnes en TIG" in text(response)


def test_not_found_leaves_the_answers_as_typed(client, registry):
    token = start(client)
    html = search(client, token, api.NOT_FOUND_SIRET, structure_name="Ma structure", postal_code="33000")
    assert "introuvable dans l'Annuaire des entreprises" in html
    fields = carried(html)
    assert fields["structure_name"] == "Ma structure" and fields["postal_code"] == "33000"


@pytest.mark.parametrize("identifier", [api.RATE_LIMITED_SIREN, api.MALFORMED_SIREN, api.SERVER_ERROR_SIREN])
def test_lookup_failure_gives_a_neutral_notice_and_step_1_works_as_today(client, registry, identifier):
    token = start(client)
    html = search(client, token, identifier, **{**STRUCTURE, "rna": "W331234567"})
    assert NEUTRAL in html
    fields = carried(html)
    assert fields["structure_name"] == STRUCTURE["structure_name"]
    response = post_step(client, token, 1, fields)
    assert response.status_code == 302
    assert application(token).registry_check is None or application(token).registry_check["found"] is False


def test_slow_answer_is_abandoned_and_step_1_carries_on(client, registry, app):
    app.config["COMPANY_LOOKUP_TIMEOUT_SECONDS"] = 0.5
    token = start(client)
    html = search(client, token, api.SLOW_SIREN, **STRUCTURE)
    assert NEUTRAL in html and carried(html)["address"] == STRUCTURE["address"]


def test_malformed_identifier_is_told_next_to_the_box_and_nothing_is_lost(client, registry):
    token = start(client)
    html = search(client, token, "12345", structure_name="Ma structure")
    assert "Ce numéro n'a pas la forme attendue" in html
    assert carried(html)["structure_name"] == "Ma structure"
    # On « Continuer », the optional box does not hold the step.
    response = post_step(client, token, 1, {**STRUCTURE, "identifiant": "12345"})
    assert response.status_code == 302


def test_lookup_on_blur_answers_json(client, registry):
    token = start(client)
    response = client.get(f"/candidature/{token}/annuaire?identifiant={api.ESS_SAS_SIREN}")
    assert response.status_code == 200
    answer = json.loads(response.get_data(as_text=True))
    assert answer["status"] == "found" and answer["fields"]["siret"] == api.ESS_SAS_SIRET
    assert answer["fields"]["structure_type"] == "societe_commerciale_ess"
    assert "Trouvée dans l'Annuaire des entreprises" in answer["html"]
    assert client.get(f"/candidature/inconnu/annuaire?identifiant={api.ESS_SAS_SIREN}").status_code == 404
    unavailable = json.loads(client.get(f"/candidature/{token}/annuaire?identifiant={api.MALFORMED_SIREN}").data)
    assert unavailable["status"] == "unavailable" and unavailable["fields"] == {}


def test_without_a_lookup_saving_verifies_the_siret(client, registry):
    """A SIRET typed by hand (no search): the save asks the register, and the référent sees it verified."""
    token = start(client)
    fields = {**STRUCTURE, "structure_type": "cooperative", "siret": api.SCOP_SIRET, "rna": ""}
    assert post_step(client, token, 1, fields).status_code == 302
    saved = application(token)
    assert saved.registry_check["identifier"] == api.SCOP_SIRET and saved.registry_check["found"] is True
    assert db.session.scalar(sa.select(RegistryAnswer).filter_by(identifier=api.SCOP_SIRET)) is not None


# --- the back office ----------------------------------------------------------------------------------


def submitted_from_register(client, registry, **changes) -> Application:
    """An application whose step 1 came from a search of the SCOP, then submitted (status set directly)."""
    token = start(client)
    fields = {**carried(search(client, token, api.SCOP_SIRET)), **changes}
    assert post_step(client, token, 1, fields).status_code == 302
    saved = application(token)
    saved.status = ApplicationStatus.SUBMITTED
    saved.reference = f"TIG-2026-{saved.id:06d}"
    from app.formatting import utcnow

    saved.submitted_at = utcnow()
    db.session.commit()
    return saved


def test_back_office_tells_verified_from_declared(client, registry, auth):
    saved = submitted_from_register(client, registry, structure_name="Nom déclaré autrement")
    auth.login_as(make_referent(email="ref33@justice.fr", departements=("33",)))
    html = text(client.get(f"/espace-referent/candidatures/{saved.id}"))
    assert "Vérifié auprès de l'Annuaire des entreprises le" in html
    assert "Déclaré par la structure ; l'Annuaire des entreprises indique" in html  # the name differs
    assert "Écart avec l'Annuaire des entreprises" not in html


def test_back_office_flags_a_mismatch_in_the_queue_and_the_file(client, registry, auth):
    # A SCOP declared as an association: the legal form contradicts the declared type.
    saved = submitted_from_register(client, registry, structure_type="association", rna="W331234567")
    assert saved.registry_mismatch is True
    auth.login_as(make_referent(email="ref33@justice.fr", departements=("33",)))
    html = text(client.get(f"/espace-referent/candidatures/{saved.id}"))
    assert "Écart avec l'Annuaire des entreprises" in html and "Nature déclarée : « Association »" in html
    queue = text(client.get("/espace-referent/candidatures?onglet=nouvelles"))
    assert "Écart avec l'Annuaire des entreprises" in queue


def test_referent_refreshes_the_lookup(client, registry, auth):
    saved = submitted_from_register(client, registry)
    auth.login_as(make_referent(email="ref33@justice.fr", departements=("33",)))
    before = len(registry.requests)
    response = client.post(f"/espace-referent/candidatures/{saved.id}/annuaire")
    assert response.status_code == 302 and response.location.endswith(
        f"/espace-referent/candidatures/{saved.id}#structure"
    )
    assert len(registry.requests) == before + 1  # asked again, not the cached answer
    assert "L'Annuaire des entreprises a été consulté" in text(client.get(response.location))


def test_refresh_is_scoped_to_the_referents_departements(client, registry, auth):
    other = make_application(departement_code="24", siret=api.SCOP_SIRET)
    auth.login_as(make_referent(email="ref33@justice.fr", departements=("33",)))
    assert client.post(f"/espace-referent/candidatures/{other.id}/annuaire").status_code == 404
    assert other.registry_check is None
