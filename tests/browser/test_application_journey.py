"""The whole application journey in Chromium, as a person would do it: from the eligibility result
to the follow-up page, fields filled by their visible labels, one error corrected, the draft resumed
from the emailed link, documents uploaded, submission; axe-core on every page."""

from __future__ import annotations

import re

from app.extensions import db
from tests.browser.conftest import axe_check
from tests.mails import queued_mails

EMAIL = "parcours.navigateur@exemple.fr"


def _pdf(name: str) -> dict:
    return {
        "name": name,
        "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    }


def _resume_link(live_app) -> str:
    with live_app.app_context():
        [mail] = queued_mails(EMAIL, category="application.draft_created")
        link = re.search(r"https?://\S+/candidature/reprendre/\S+", mail.body_text).group(0)
        db.session.remove()
    return link


def test_from_eligibility_to_followup(page, live_server, live_app):
    # Eligibility result → "Déposer une candidature".
    page.goto(live_server + "/eligibilite")
    page.get_by_label("Association", exact=True).check(force=True)
    page.get_by_label("Dans quel département se trouveraient les postes ?").select_option(label="33 – Gironde")
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat?**")
    axe_check(page)
    page.get_by_role("link", name="Déposer une candidature").first.click()

    # Start page: the answers are carried, the email is asked first.
    page.wait_for_url("**/candidature?**")
    assert page.get_by_role("heading", level=1).inner_text() == "Déposer une candidature"
    assert page.get_by_text("Copie de la déclaration publiée au Journal officiel").first.is_visible()
    axe_check(page)
    page.get_by_label("Votre adresse électronique").fill(EMAIL)
    page.get_by_role("button", name="Commencer").click()

    # Step 1, with one error corrected.
    page.wait_for_url("**/etape/1")
    assert "Étape 1 sur 6" in page.locator(".fr-stepper").inner_text()
    assert page.get_by_label("Association", exact=True).is_checked()
    axe_check(page)
    page.get_by_label("Nom de la structure").fill("Les Jardins du Parcours")
    page.get_by_label("Numéro RNA (associations)").fill("W33 123 4567")
    page.get_by_label("Adresse", exact=False).first.fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("75001")
    page.get_by_label("Commune").fill("Bordeaux")
    assert page.get_by_label("Département", exact=False).last.input_value() == "33"
    page.get_by_role("button", name="Continuer").click()
    assert page.title().startswith("Erreur : Votre structure")
    assert page.get_by_role("alert").filter(has_text="ne correspond pas au département").is_visible()
    assert page.evaluate("document.activeElement.id") == "resume-erreurs"  # focus on the error summary
    assert page.get_by_label("Nom de la structure").input_value() == "Les Jardins du Parcours"
    axe_check(page)
    page.get_by_label("Code postal").fill("33000")
    page.get_by_role("button", name="Continuer").click()

    # Step 2.
    page.wait_for_url("**/etape/2")
    assert page.get_by_label("Adresse électronique").input_value() == EMAIL
    axe_check(page)
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Prénom", exact=True).fill("Jeanne")
    page.get_by_label("Fonction dans la structure").fill("Présidente")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url("**/etape/3")

    # Later, from the emailed link: the draft opens where it was left.
    page.goto(_resume_link(live_app))
    page.wait_for_url("**/etape/3")
    assert "Étape 3 sur 6" in page.locator(".fr-stepper").inner_text()
    axe_check(page)
    page.get_by_label("Intitulé du poste").fill("Entretien des espaces verts")
    page.get_by_label("Tâches confiées").fill("Tonte, désherbage, ramassage des feuilles.")
    page.get_by_label("Lieu").fill("Jardin partagé, Bordeaux")
    page.get_by_label("Jours et horaires").fill("Du lundi au vendredi, de 9 h à 12 h")
    page.get_by_label("Nombre d'heures par semaine").fill("15")
    page.get_by_label("Nombre de places").fill("2")
    page.get_by_label("Ce poste demande un effort physique").check(force=True)
    page.get_by_label("Nom du tuteur", exact=True).fill("Durand")
    page.get_by_label("Prénom du tuteur", exact=True).fill("Paul")
    page.get_by_label("Fonction du tuteur").fill("Jardinier")
    page.get_by_label("Date de naissance du tuteur").fill("1980-03-14")
    page.get_by_label("Commune de naissance du tuteur").fill("Bordeaux")
    page.get_by_role("button", name="Continuer").click()

    # Step 4: one upload per document.
    page.wait_for_url("**/etape/4")
    axe_check(page)
    labels = [
        "Copie de la déclaration publiée au Journal officiel",
        "Statuts à jour",
        "Liste des établissements et de leur siège",
        "Liste des membres du bureau",
        "Procès-verbal de la dernière assemblée générale",
    ]
    for index, label in enumerate(labels):
        page.get_by_label(f"Choisir le fichier : {label}").set_input_files(_pdf(f"piece-{index}.pdf"))
    page.get_by_role("button", name="Continuer").click()

    # Step 5: review, then the declaration.
    page.wait_for_url("**/etape/5")
    assert page.get_by_text("Les Jardins du Parcours").is_visible()
    assert page.get_by_role("link", name="piece-1.pdf").is_visible()
    assert page.get_by_text("Paul Durand, Jardinier, né(e) le 14 mars 1980 à Bordeaux").is_visible()
    axe_check(page)
    page.get_by_role("link", name="Continuer").click()
    page.wait_for_url("**/etape/6")
    axe_check(page)
    page.get_by_label("Je certifie l'exactitude des informations fournies").check(force=True)
    page.get_by_role("button", name="Envoyer ma candidature").click()

    # Confirmation, then the follow-up page.
    page.wait_for_url("**/confirmation")
    reference = re.search(r"TIG-\d{4}-\d{6}", page.locator("main").inner_text()).group(0)
    assert page.get_by_text("au plus tôt un mois").is_visible()
    axe_check(page)
    page.get_by_role("link", name="Suivre ma candidature").click()
    page.wait_for_url("**/suivi/**")
    assert page.get_by_role("heading", level=1).inner_text() == f"Suivi de la candidature {reference}"
    assert page.get_by_text("Candidature déposée").first.is_visible()
    axe_check(page)
    assert not page.console_problems, page.console_problems


def test_requested_documents_and_edit_pages(page, live_server):
    """Demo data: answering a complements request with a file, and editing a submitted application."""
    page.goto(live_server + "/suivi/demo-en-attente")
    assert page.get_by_role("heading", name="Le référent attend une réponse de votre part").is_visible()
    axe_check(page)
    page.get_by_label("Extrait Kbis de moins de 3 mois").set_input_files(_pdf("kbis.pdf"))
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url("**/suivi/demo-en-attente#messages")
    assert page.get_by_text("Votre message a été envoyé").is_visible()
    assert page.get_by_role("link", name="kbis.pdf").is_visible()
    assert page.get_by_text("Extrait Kbis de moins de 3 mois : kbis.pdf").is_visible()  # named after the item
    assert page.get_by_text("Votre candidature est de nouveau en cours d'instruction").is_visible()
    assert page.get_by_role("heading", name="Le référent attend une réponse de votre part").count() == 0
    axe_check(page)

    # A submitted application can still be edited: the posts step, with a post added then an error.
    page.goto(live_server + "/suivi/demo-deposee")
    page.get_by_role("link", name="Modifier les postes et les tuteurs").click()
    page.wait_for_url("**/etape/3")
    assert page.get_by_role("button", name="Enregistrer les modifications").is_visible()
    page.get_by_role("button", name="Ajouter un poste").click()
    page.wait_for_url("**/etape/3#poste2-title")
    assert page.get_by_role("group", name="Poste 3", exact=True).is_visible()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'poste2-title'")
    axe_check(page)
    # « Ajouter un tuteur »: the focus is in the new tutor's first field, typing goes there.
    page.get_by_role("button", name="Ajouter un tuteur au poste 1").click()
    page.wait_for_url("**/etape/3#poste0-tuteur1-last_name")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'poste0-tuteur1-last_name'")
    page.keyboard.type("Lefèvre")
    assert page.get_by_label("Nom du tuteur", exact=True).nth(1).input_value() == "Lefèvre"
    page.get_by_role("button", name="Supprimer ce tuteur (tuteur 2 du poste 1)").click()
    page.wait_for_url("**/etape/3#poste0-tuteurs")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    assert page.title().startswith("Erreur : ")
    axe_check(page)
    # « Supprimer ce poste » can be undone: the notice takes the focus, « Annuler la suppression » puts the
    # post back with what was typed in it.
    page.get_by_label("Intitulé du poste").nth(2).fill("Poste à supprimer")
    page.get_by_role("button", name="Supprimer ce poste (poste 3)").click()
    page.wait_for_url("**/etape/3#poste-supprime")
    notice = page.locator("#poste-supprime")
    assert "Le poste 3 « Poste à supprimer » a été supprimé." in notice.inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'poste-supprime'")
    assert page.get_by_role("group", name="Poste 3 : Poste à supprimer", exact=True).count() == 0
    axe_check(page)
    page.get_by_role("button", name="Annuler la suppression du poste 3").click()
    page.wait_for_url("**/etape/3#poste2-title")
    assert page.get_by_label("Intitulé du poste").nth(2).input_value() == "Poste à supprimer"
    assert page.locator("#poste-supprime").count() == 0
    page.get_by_role("button", name="Supprimer ce poste (poste 3)").click()
    page.wait_for_url("**/etape/3#poste-supprime")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url("**/suivi/demo-deposee")
    assert page.get_by_text("Vos modifications ont été enregistrées").is_visible()
