"""Webinars in Chromium: list → details → registration by labels (an error corrected) → management
page → cancellation; the back-office screens of a référent. axe-core on every page visited."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.browser.conftest import axe_check, backoffice_login, live_referent

PASSWORD = "mot-de-passe-webinaires"


def test_register_correct_an_error_manage_and_cancel(page, live_app, live_server):
    page.goto(live_server + "/webinaires")
    assert page.locator("h1").inner_text() == "Webinaires d'information"
    assert page.get_by_text("Complet — liste d'attente").count() >= 1
    assert page.get_by_text("(heure de Paris)").count() >= 4
    axe_check(page)

    page.get_by_role("link", name="Le TIG dans les entreprises de l'économie sociale et solidaire du Nord").click()
    assert page.locator("h1").inner_text().startswith("Le TIG dans les entreprises")
    axe_check(page)

    email = f"camille.{time.time_ns()}@exemple.fr"
    page.get_by_label("Nom", exact=True).fill("Durand")
    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label(re.compile(r"^Adresse électronique")).fill(email)
    page.get_by_label("Confirmation de l'adresse électronique").fill("faute." + email)
    page.get_by_label("Votre fonction").fill("Directrice")
    page.get_by_label("Nom de la structure").fill("Coopérative du Hainaut")
    page.get_by_label("Type de structure").select_option(label="Coopérative")
    page.get_by_label("Département de la structure").select_option("59")
    page.get_by_label("Une question pour les intervenants").fill("Quel encadrement faut-il prévoir ?")
    page.get_by_role("button", name="M'inscrire").click()

    assert page.title().startswith("Erreur : ")
    summary = page.locator("#resume-erreurs")
    assert "Les deux adresses électroniques ne sont pas identiques." in summary.inner_text()
    assert page.get_by_label("Nom de la structure").input_value() == "Coopérative du Hainaut"  # nothing lost
    assert page.get_by_label("Type de structure").input_value() == "cooperative"
    axe_check(page)

    page.get_by_label("Confirmation de l'adresse électronique").fill(email)
    page.get_by_role("button", name="M'inscrire").click()

    # The page says the request is recorded, the same for anyone; the link comes by mail.
    assert page.get_by_text("Votre demande d'inscription est enregistrée").first.is_visible()
    assert "/inscription/" not in page.content()
    with live_app.app_context():
        from app.webinars.models import Registration

        token = db.session.scalar(sa.select(Registration.token).where(Registration.email == email))
        db.session.remove()
    page.goto(f"{live_server}/inscription/{token}")  # the link of the mail
    assert page.locator("h1").inner_text() == "Mon inscription au webinaire"
    assert page.get_by_text("Votre inscription est confirmée").first.is_visible()
    download = page.get_by_role("link", name="Télécharger l'invitation (.ics)")
    assert download.bounding_box()["width"] > 150  # the label is shown, not only the icon
    axe_check(page)

    page.get_by_role("link", name="Annuler mon inscription").click()
    assert page.locator("h1").inner_text() == "Annuler mon inscription"
    axe_check(page)
    page.get_by_role("button", name="Confirmer l'annulation").click()
    assert page.get_by_text("Votre inscription est annulée").first.is_visible()
    axe_check(page)


def test_full_webinar_offers_the_waiting_list(page, live_server):
    page.goto(live_server + "/webinaires")
    page.get_by_role("link", name=re.compile("Devenir structure d'accueil TIG")).first.click()
    assert page.get_by_role("button", name="M'inscrire sur la liste d'attente").is_visible()
    axe_check(page)


@pytest.fixture
def referent(live_app):
    return live_referent(live_app, "Référente Webinaires", PASSWORD, prefix="webinaires")


def test_backoffice_webinar_screens(page, live_server, referent):
    backoffice_login(page, live_server, referent, PASSWORD)

    page.goto(live_server + "/espace-referent/webinaires")
    assert page.locator("h1").inner_text() == "Webinaires"
    assert page.get_by_text("Le TIG dans les entreprises de l'économie sociale et solidaire du Nord").count() == 0
    axe_check(page)

    page.get_by_role("link", name=re.compile("Devenir structure d'accueil TIG")).click()
    assert page.get_by_role("link", name=re.compile("Liste d'attente")).is_visible()
    axe_check(page)
    page.get_by_role("link", name=re.compile("Liste d'attente")).click()
    assert page.locator("tbody tr").count() == 2
    axe_check(page)

    page.get_by_role("link", name="Historique des courriels").click()
    assert page.locator("h1").inner_text() == "Courriels du webinaire"
    axe_check(page)
    page.go_back()

    page.get_by_role("link", name="Modifier").click()
    assert page.locator("h1").inner_text() == "Modifier le webinaire"
    axe_check(page)
    page.get_by_label("Nombre de places").fill("0")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    assert page.title().startswith("Erreur : ")
    axe_check(page)
    page.get_by_label("Nombre de places").fill("13")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    assert page.get_by_text("Les modifications sont enregistrées.").is_visible()
    assert page.get_by_text("1 place libre et 2 personnes en attente").is_visible()

    page.get_by_role("button", name="Attribuer la place libre à la liste d'attente").click()
    assert page.get_by_text("a reçu une place").is_visible()
    axe_check(page)

    page.get_by_role("link", name="Annuler le webinaire").click()
    assert page.locator("h1").inner_text() == "Annuler le webinaire"
    axe_check(page)

    page.goto(live_server + "/espace-referent/webinaires/nouveau")
    assert page.get_by_label("Départements concernés").input_value() == "24, 33"
    axe_check(page)


@pytest.mark.parametrize("path", ["/espace-referent/webinaires/2", "/espace-referent/comptes"])
def test_backoffice_tables_do_not_widen_the_page_on_a_phone(browser, live_server, path):
    """The hidden labels of the row buttons (fr-sr-only, absolutely positioned) stayed outside the table's
    scrolling container: at 375 px the whole page scrolled sideways (686 px on a webinar, 850 px on accounts)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        backoffice_login(page, live_server, "admin.tig@justice.fr", "demo-admin-national")
        page.goto(live_server + path)
        assert page.locator("main table").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        axe_check(page)
    finally:
        context.close()
