"""A référent reviews an application in Chromium: log in by labels, open the queue, filter, open the
application, take it, ask for complements, send it for decision, decide; axe-core on every page."""

from __future__ import annotations

import time

import pytest

from app.formatting import to_paris, utcnow
from tests.browser.conftest import axe_check, backoffice_login

PASSWORD = "mot-de-passe-revue"


@pytest.fixture
def review_data(live_app):
    """A fresh référent of the Gironde and two applications of their département, one of another."""
    from app.extensions import db
    from tests.factories import make_application, make_referent

    stamp = time.time_ns()
    with live_app.app_context():
        referent = make_referent(
            email=f"revue.{stamp}@justice.fr", name="Romane Revue", departements=("33",), password=PASSWORD
        )
        target = make_application("33", structure_name=f"Recyclerie solidaire {stamp}", posts=2)
        make_application("33", structure_name=f"Jardin d'insertion {stamp}")
        make_application("59", structure_name=f"Atelier du Nord {stamp}")
        data = {"email": referent.email, "name": target.structure_name, "reference": target.reference, "stamp": stamp}
        db.session.commit()
        db.session.remove()
    return data


def test_referent_reviews_an_application(page, live_server, review_data):
    backoffice_login(page, live_server, review_data["email"], PASSWORD)
    assert page.locator("h1").inner_text() == "Tableau de bord"
    assert page.locator("svg[role=img]").count() == 1
    axe_check(page)

    page.get_by_role("link", name="Candidatures", exact=True).first.click()
    assert page.locator("h1").inner_text() == "Candidatures"
    assert page.get_by_role("link", name="Nouvelles").get_attribute("aria-current") == "page"
    assert f"Atelier du Nord {review_data['stamp']}" not in page.content()  # another département
    axe_check(page)

    # Search by name, then filter by type of structure.
    page.get_by_label("Rechercher une candidature").fill("Recyclerie solidaire")
    page.get_by_label("Type de structure").select_option(label="Association")
    page.get_by_role("button", name="Appliquer les filtres").click()
    assert page.get_by_role("link", name=review_data["name"]).count() == 1
    assert f"Jardin d'insertion {review_data['stamp']}" not in page.content()
    axe_check(page)

    page.get_by_role("link", name=review_data["name"]).click()
    assert page.locator("h1").inner_text() == review_data["name"]
    assert "Paul Durand, Jardinier" in page.content()
    axe_check(page)

    page.get_by_role("button", name="Prendre en charge").click()
    assert "« En instruction »" in page.get_by_role("status").first.inner_text()
    assert "Suivie par : Romane Revue" in page.content()

    page.get_by_role("link", name="Demander des compléments").click()
    assert page.locator("h1").inner_text().startswith("Demander des compléments")
    axe_check(page)
    page.get_by_role("button", name="Envoyer la demande").click()  # nothing chosen: error
    assert page.title().startswith("Erreur : ")
    axe_check(page)
    page.get_by_label("Statuts à jour").check(force=True)  # DSFR draws the box on the label
    page.get_by_role("textbox", name="Autres éléments demandés").fill("Horaires précis du poste de valoriste")
    page.get_by_label("Message au demandeur").fill("Bonjour, il nous manque deux éléments.")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "en attente de sa réponse" in page.get_by_role("status").first.inner_text()
    assert "Horaires précis du poste de valoriste" in page.content()

    page.get_by_label("Note interne").fill("Relancer dans une semaine.")
    page.get_by_role("button", name="Enregistrer la note").click()
    assert "La note interne est enregistrée." in page.get_by_role("status").first.inner_text()

    page.get_by_role("button", name="Reprendre l'instruction").click()
    page.get_by_role("button", name="Transmettre pour avis et décision").click()
    assert "« Transmise pour avis et décision »" in page.get_by_role("status").first.inner_text()
    axe_check(page)

    page.get_by_role("link", name="Habiliter").click()
    assert page.locator("h1").inner_text().startswith("Habiliter")
    page.get_by_role("button", name="Confirmer : Habiliter").click()  # nothing typed: errors, HTTP 200
    assert page.title().startswith("Erreur : ")
    axe_check(page)
    page.get_by_label("Date de la décision").fill(to_paris(utcnow()).date().isoformat())
    page.get_by_label("Autorité qui a pris la décision").fill("directeur du SPIP de la Gironde")
    page.get_by_label("Observations").fill(
        "Avis favorables du procureur, du JAP et du préfet ; décision du directeur du SPIP."
    )
    page.get_by_role("button", name="Confirmer : Habiliter").click()
    assert "« Habilitée »" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("link", name="Télécharger l'attestation (PDF)").count() == 1
    assert "Transmise pour avis et décision → Habilitée" in page.content()
    axe_check(page)
    assert page.console_problems == []


def test_scope_in_the_browser(page, live_server, live_app, review_data):
    """A référent of the Nord gets "page not found" on a Gironde application; the administrator sees both."""
    from app.extensions import db
    from tests.factories import make_referent

    with live_app.app_context():
        nord = make_referent(
            email=f"nord.{review_data['stamp']}@justice.fr", name="Noé Nord", departements=("59",), password=PASSWORD
        )
        admin = make_referent(
            email=f"admin.{review_data['stamp']}@justice.fr",
            name="Ada Nationale",
            departements=(),
            is_admin=True,
            password=PASSWORD,
        )
        emails = (nord.email, admin.email)
        from app.applications.models import Application

        gironde_id = db.session.query(Application.id).filter_by(reference=review_data["reference"]).scalar()
        db.session.commit()
        db.session.remove()

    backoffice_login(page, live_server, emails[0], PASSWORD)
    response = page.goto(f"{live_server}/espace-referent/candidatures/{gironde_id}")
    assert response.status == 404
    axe_check(page)
    page.goto(live_server + "/espace-referent/candidatures?onglet=toutes")
    assert f"Atelier du Nord {review_data['stamp']}" in page.content()
    assert review_data["name"] not in page.content()
    page.get_by_role("button", name="Se déconnecter").click()

    backoffice_login(page, live_server, emails[1], PASSWORD)
    page.goto(live_server + "/espace-referent/candidatures?onglet=toutes&q=" + str(review_data["stamp"]))
    assert page.get_by_role("link", name=review_data["name"]).count() == 1
    assert page.get_by_role("link", name=f"Atelier du Nord {review_data['stamp']}").count() == 1
    axe_check(page)
    page.get_by_role("link", name=review_data["name"]).click()
    assert page.locator("h1").inner_text() == review_data["name"]
    axe_check(page)


def test_empty_message_and_note_get_the_french_errors_of_the_page(page, live_server, review_data):
    """The message and note forms let the browser's own bubble stop the empty submit, so the page never
    showed its French error, its summary and the « Erreur : » title."""
    backoffice_login(page, live_server, review_data["email"], PASSWORD)
    page.get_by_role("link", name="Candidatures", exact=True).first.click()
    page.get_by_role("link", name=review_data["name"]).click()
    page.get_by_role("button", name="Enregistrer la note").click()
    page.wait_for_url("**/notes*")
    assert page.title().startswith("Erreur : ")
    assert page.get_by_text("Écrivez le texte de la note.").first.is_visible()
    axe_check(page)
    page.get_by_role("button", name="Envoyer le message").click()
    page.wait_for_url("**/messages*")
    assert page.title().startswith("Erreur : ")
    assert page.get_by_text("Écrivez le message à envoyer au demandeur.").first.is_visible()
    axe_check(page)
