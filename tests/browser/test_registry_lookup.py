"""The registry lookup in Chromium: on blur with JavaScript (fields filled, notice in an aria-live region),
with the « Rechercher » button without JavaScript, and with the API down; axe-core on each state."""

from __future__ import annotations

import pytest

from tests import registry_api as api
from tests.browser.conftest import axe_check

IDENTIFIER = "Connaissez-vous le SIRET ou le RNA de votre structure ?"
DEPARTEMENT = "Dans quel département se trouveraient les postes ?"


@pytest.fixture
def lookups(live_app, registry_api):
    """Lookups on, against the local API server, for this test only (the live app is shared)."""
    before = {key: live_app.config[key] for key in ("COMPANY_LOOKUP_ENABLED", "COMPANY_LOOKUP_URL")}
    live_app.config.update(COMPANY_LOOKUP_ENABLED=True, COMPANY_LOOKUP_URL=registry_api.url)
    live_app.extensions.pop("registry_client", None)  # a fresh breaker: another test's failures do not count
    registry_api.requests.clear()
    yield registry_api
    live_app.config.update(before)


def test_lookup_on_blur_fills_and_announces(page, live_server, lookups):
    page.goto(live_server + "/eligibilite")
    zone = page.locator("#annuaire-zone")
    assert zone.get_attribute("aria-live") == "polite"
    page.get_by_label(IDENTIFIER).fill("812 345 122 00012")
    page.keyboard.press("Tab")  # leaving the field looks it up
    zone.get_by_text("Trouvée dans l'Annuaire des entreprises : RECYCLERIE DES CHARTRONS").wait_for()
    assert page.get_by_label("Société commerciale de l'économie sociale et solidaire", exact=True).is_checked()
    assert page.get_by_label(DEPARTEMENT).input_value() == "33"
    ess = page.get_by_role("group", name="Uniquement pour les coopératives")
    assert ess.is_visible()  # the filled type showed the ESS questions
    assert page.locator("#ess_non_profit_purpose-0").is_checked()
    assert page.get_by_label("Soutenir des personnes en situation de fragilité", exact=False).is_checked()
    assert "Nous avons prérempli la nature de la structure" in zone.inner_text()
    axe_check(page)

    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat?**")
    assert page.get_by_text("Vérifié auprès de l'Annuaire des entreprises le").first.is_visible()
    assert page.get_by_text("RECYCLERIE DES CHARTRONS").is_visible()
    axe_check(page)
    assert lookups.searched() == [api.ESS_SAS_SIRET]  # the result page read the cached answer
    assert page.console_problems == []


def test_search_button_without_javascript(browser, live_server, lookups):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/eligibilite")
        page.get_by_label(IDENTIFIER).fill(api.ASSOCIATION_RNA)
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_url("**/eligibilite?**rechercher=1**")
        assert page.get_by_text("Trouvée dans l'Annuaire des entreprises : RESSOURCERIE DU LIBOURNAIS").is_visible()
        assert page.get_by_label("Association", exact=True).is_checked()
        assert page.get_by_label(DEPARTEMENT).input_value() == "33"
        assert page.get_by_label(IDENTIFIER).input_value() == api.ASSOCIATION_RNA
    finally:
        context.close()


def test_api_down_leaves_the_form_usable(page, live_server, lookups):
    page.goto(live_server + "/eligibilite")
    page.get_by_label(IDENTIFIER).fill(api.MALFORMED_SIREN)
    page.get_by_role("button", name="Rechercher").click()  # with JavaScript: no reload
    page.locator("#annuaire-zone").get_by_text("Recherche momentanément indisponible").wait_for()
    axe_check(page)
    page.get_by_label("Association", exact=True).check(force=True)
    page.get_by_label(DEPARTEMENT).select_option("33")
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat?**")
    assert page.get_by_role("heading", name="Votre structure peut accueillir des personnes en TIG").is_visible()
    assert page.console_problems == []


def test_wizard_step_1_filled_on_blur_then_saved(page, live_server, live_app, lookups):
    """A structure with a SIRET fills step 1 by typing its 14 digits and confirming."""
    page.goto(live_server + "/candidature")
    page.get_by_label("Votre adresse électronique").fill("scop.navigateur@exemple.fr")
    page.get_by_role("button", name="Commencer").click()
    page.wait_for_url("**/etape/1")
    zone = page.locator("#annuaire-zone")
    assert zone.get_attribute("aria-live") == "polite"
    page.get_by_label("Connaissez-vous le SIRET, le SIREN ou le RNA de votre structure ?").fill("512 345 679 00017")
    page.keyboard.press("Tab")  # leaving the field looks it up
    zone.get_by_text("Trouvée dans l'Annuaire des entreprises : LES MENUISIERS ASSOCIES").wait_for()
    assert page.get_by_label("Nom de la structure").input_value() == "LES MENUISIERS ASSOCIES"
    assert page.get_by_label("Numéro SIRET").input_value() == api.SCOP_SIRET
    assert page.get_by_label("Code postal").input_value() == "33000"
    assert page.get_by_label("Commune").input_value() == "Bordeaux"
    assert page.get_by_label("Département", exact=False).last.input_value() == "33"
    assert page.get_by_label("Coopérative", exact=False).first.is_checked()
    axe_check(page)
    page.get_by_label("Nom de la structure").fill("Menuiserie coopérative des Faures")  # corrected by the person
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/etape/2")
    with live_app.app_context():
        from sqlalchemy import select

        from app.applications.models import Application
        from app.extensions import db

        saved = db.session.scalar(select(Application).filter_by(contact_email="scop.navigateur@exemple.fr"))
        assert saved.structure_name == "Menuiserie coopérative des Faures" and saved.siret == api.SCOP_SIRET
        assert saved.registry_check["found"] is True and "structure_name" not in saved.registry_check["fields_used"]
        db.session.remove()
    assert lookups.searched() == [api.SCOP_SIRET]  # the save read the cached answer
    assert page.console_problems == []
