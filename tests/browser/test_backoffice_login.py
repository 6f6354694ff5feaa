"""Back-office login in Chromium: fields found by their labels, wrong password, TOTP enrolment and
login with a code, logout, an administrator inviting a référent; axe-core on every page visited."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, backoffice_login, live_referent

PASSWORD = "mot-de-passe-navigateur"


@pytest.fixture
def account(live_app):
    return live_referent(live_app, "Inès Navigateur", PASSWORD, prefix="navigateur")


def test_login_wrong_password_then_success_and_logout(page, live_server, account):
    page.goto(live_server + "/espace-referent/")
    assert "/espace-referent/connexion" in page.url  # anonymous: sent to the login page
    expect(page.locator("h1")).to_have_text("Connexion à l'espace référent")
    axe_check(page)

    backoffice_login(page, live_server, account, "pas le bon mot de passe")
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    expect(page.get_by_role("alert").first).to_contain_text("Adresse électronique ou mot de passe incorrect")
    assert page.get_by_label("Adresse électronique").input_value() == account  # kept
    axe_check(page)

    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server + "/espace-referent/")
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    assert page.get_by_role("link", name="Tableau de bord", exact=True).get_attribute("aria-current") == "page"
    assert page.get_by_role("link", name="Comptes", exact=True).count() == 0  # not an administrator
    axe_check(page)
    assert page.console_problems == []

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/espace-referent/connexion$"))
    expect(page.get_by_role("status").first).to_contain_text("Déconnexion effectuée")
    axe_check(page)
    page.goto(live_server + "/espace-referent/mon-compte")
    assert "/espace-referent/connexion?next=/espace-referent/mon-compte" in page.url


def test_totp_enrolment_and_login_with_code(page, live_server, account):
    backoffice_login(page, live_server, account, PASSWORD)
    page.get_by_role("link", name="Mon compte", exact=True).click()
    expect(page.locator("h1")).to_have_text("Mon compte")
    axe_check(page)

    page.get_by_role("link", name="Activer la double authentification").click()
    expect(page.locator("h1")).to_have_text("Activer la double authentification")
    axe_check(page)
    secret = re.sub(r"\s", "", page.locator("#cle-secrete").inner_text())
    page.get_by_label("Code de vérification").fill("000000")
    page.get_by_role("button", name="Activer").click()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    axe_check(page)
    page.get_by_label("Code de vérification").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    expect(page.locator("h1")).to_have_text("Mon compte")
    expect(page.get_by_role("status").first).to_contain_text("La double authentification est activée")
    axe_check(page)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/espace-referent/connexion$"))
    backoffice_login(page, live_server, account, PASSWORD)
    expect(page.locator("h1")).to_have_text("Code de vérification")
    axe_check(page)
    page.get_by_label("Code de vérification").fill(pyotp.TOTP(secret).at(time.time() + 30))  # next step: no replay
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Tableau de bord")


def test_admin_invites_a_referent(page, live_server):
    backoffice_login(page, live_server, "admin.tig@justice.fr", "demo-admin-national")
    page.get_by_role("link", name="Comptes", exact=True).click()
    expect(page.locator("h1")).to_have_text("Comptes")
    axe_check(page)
    page.get_by_role("link", name="Inviter un référent").click()
    axe_check(page)
    page.get_by_role("button", name="Créer le compte et envoyer l'invitation").click()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    axe_check(page)
    email = f"invite.{time.time_ns()}@justice.fr"
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Nom et prénom").fill("Jules Invité")
    page.get_by_label("33 – Gironde").check(force=True)  # DSFR draws the box on the label
    page.get_by_role("button", name="Créer le compte et envoyer l'invitation").click()
    expect(page.locator("h1")).to_have_text("Comptes")
    expect(page.get_by_role("status").first).to_contain_text(email)
    assert page.get_by_role("cell", name=email).count() == 1
    page.get_by_role("link", name="Modifier le compte de Jules Invité").click()
    expect(page.locator("h1")).to_have_text("Compte de Jules Invité")
    axe_check(page)
    page.get_by_role("button", name="Désactiver le compte").click()
    expect(page.get_by_role("status").first).to_contain_text("est désactivé")
    axe_check(page)


def test_forgotten_password_journey(page, live_server, live_app, account):
    from app.extensions import db
    from tests.mails import queued_mails

    page.goto(live_server + "/espace-referent/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page.locator("h1")).to_have_text("Mot de passe oublié")
    axe_check(page)
    page.get_by_label("Adresse électronique").fill("pas-une-adresse")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    axe_check(page)
    page.get_by_label("Adresse électronique").fill(account)
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("status").first).to_contain_text("Si un compte actif correspond à cette adresse")

    with live_app.app_context():
        from app.auth.jobs import send_password_reset_links

        send_password_reset_links()  # what the worker does at its next pass
        body = queued_mails(account)[-1].body_text
        db.session.remove()
    link = re.search(r"(http\S+/nouveau-mot-de-passe/\S+)", body).group(1)
    assert link.startswith(live_server)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choisir un nouveau mot de passe")
    axe_check(page)
    page.get_by_label("Nouveau mot de passe").fill("court")
    page.get_by_label("Confirmation du mot de passe").fill("court")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    axe_check(page)
    page.get_by_label("Nouveau mot de passe").fill("nouvelle phrase de passe")
    page.get_by_label("Confirmation du mot de passe").fill("nouvelle phrase de passe")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("status").first).to_contain_text("Votre mot de passe est enregistré")
    backoffice_login(page, live_server, account, "nouvelle phrase de passe")
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    page.goto(link)  # used: dead
    expect(page.locator("h1")).to_have_text("Lien non valable")
    axe_check(page)


def test_login_and_logout_with_the_keyboard_only(page, live_server, account):
    page.goto(live_server + "/espace-referent/connexion")
    page.get_by_label("Adresse électronique").focus()
    page.keyboard.type(account)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    logout = page.get_by_role("button", name="Se déconnecter")
    for _ in range(30):  # the logout button is reachable with Tab
        page.keyboard.press("Tab")
        if logout.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("« Se déconnecter » n'est pas atteignable au clavier")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Connexion à l'espace référent")


@pytest.mark.parametrize("javascript", [True, False])
def test_logout_on_a_phone_with_and_without_javascript(browser, live_server, account, javascript):
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=javascript, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    try:
        backoffice_login(page, live_server, account, PASSWORD)
        expect(page.locator("h1")).to_have_text("Tableau de bord")
        if javascript:  # the DSFR moves the header tools into the « Menu » dialog
            page.get_by_role("button", name="Menu", exact=True).click()
            page.locator("#menu-espace-referent").get_by_role("button", name="Se déconnecter").click()
        else:  # app.css shows them in place
            page.get_by_role("button", name="Se déconnecter").click()
        expect(page.locator("h1")).to_have_text("Connexion à l'espace référent")
        if javascript:  # axe-core itself needs JavaScript
            axe_check(page)
    finally:
        context.close()
