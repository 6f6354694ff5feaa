"""Small things people notice, in Chromium: a département list typed by number, the message of a second
registration where the focus is, figures that never break inside a number and its unit."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import axe_check, backoffice_login, live_referent

PASSWORD = "mot-de-passe-petites-choses"


def _draft_step_one(live_app) -> str:
    from app.applications import drafts
    from app.extensions import db
    from app.formatting import utcnow

    with live_app.app_context():
        draft = drafts.create_draft("au.clavier@exemple.fr", now=utcnow(), retention_days=30, answers=None)
        db.session.commit()
        url = f"/candidature/{draft.access_token}/etape/1"
        db.session.remove()
    return url


@pytest.mark.parametrize("where", ["eligibilite", "candidature"])
def test_departement_list_typed_by_number(page, live_app, live_server, where):
    url, field_id = (
        ("/eligibilite", "departement") if where == "eligibilite" else (_draft_step_one(live_app), "departement_code")
    )
    page.goto(live_server + url)
    select = page.locator(f"select#{field_id}")
    for typed, expected in (("33", "33"), ("2A", "2A"), ("2b", "2B"), ("974", "974"), ("01", "01"), ("11", "11")):
        select.focus()
        page.keyboard.type(typed, delay=50)
        assert select.input_value() == expected, typed
        page.wait_for_timeout(1100)  # a pause starts a new number, as for the browser's own type-ahead
    assert page.console_problems == []


def test_second_registration_message_gets_the_focus(page, live_app, live_server):
    from app.extensions import db
    from tests.factories import make_webinar

    with live_app.app_context():
        webinar = make_webinar(title="Webinaire des petites choses", departements=("33",))
        db.session.commit()
        url = f"{live_server}/webinaires/{webinar.id}"
        db.session.remove()
    email = f"deux.fois.{time.time_ns()}@exemple.fr"
    for _ in range(2):
        page.goto(url)
        page.get_by_label("Nom", exact=True).fill("Deux")
        page.get_by_label("Prénom").fill("Fois")
        page.get_by_label(re.compile(r"^Adresse électronique")).fill(email)
        page.get_by_label("Confirmation de l'adresse électronique").fill(email)
        page.get_by_label("Votre fonction").fill("Bénévole")
        page.get_by_label("Nom de la structure").fill("Association des doublons")
        page.get_by_label("Type de structure").select_option(label="Association")
        page.get_by_label("Département de la structure").select_option("33")
        with page.expect_navigation():
            page.get_by_role("button", name="M'inscrire").click()
    page.locator("#message-inscription").wait_for()
    page.wait_for_function("document.readyState === 'complete'")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "message-inscription"
    # the same answer as a first registration (nobody learns who is registered)
    assert "Votre demande d'inscription est enregistrée" in page.locator("#message-inscription").inner_text()
    box = page.locator("#message-inscription").bounding_box()
    assert -1 <= box["y"] < page.viewport_size["height"], "the message is on screen, not 800 px above"
    assert page.locator(".fr-alert").count() == 1
    axe_check(page)


def test_dashboard_figures_never_break(browser, live_app, live_server):
    email = live_referent(live_app, "Chiffres Entiers", PASSWORD, departements=("33", "59"))
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 720})
    page = context.new_page()
    try:
        backoffice_login(page, live_server, email, PASSWORD)
        page.wait_for_url("**/espace-referent/")
        for path in ("/espace-referent/", "/espace-referent/webinaires"):
            page.goto(live_server + path)
            figures = page.locator(".tig-figure-nowrap")
            assert figures.count() >= 1, path
            lines = page.evaluate(
                """() => [...document.querySelectorAll('.tig-figure-nowrap')].map(
                    el => [el.innerText, el.getClientRects().length])"""
            )
            assert all(count == 1 for _text, count in lines), lines
            assert all("\u00a0" in text for text, _count in lines), "non-breaking spaces, also when copied"
    finally:
        context.close()
