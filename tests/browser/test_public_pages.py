"""Public pages in Chromium: DSFR applied, axe-core clean, keyboard and mobile behaviour."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_check

PUBLIC_URLS = [
    "/",
    "/agence",
    "/experimentation-ess",
    "/accueillir-un-tig",
    "/referents",
    "/referents?q=gironde",
    "/referents?q=introuvable",
    "/mentions-legales",
    "/accessibilite",
    "/donnees-personnelles",
    "/plan-du-site",
    "/page-qui-n-existe-pas",
]
SCREENSHOTS = os.environ.get("PUBLIC_SCREENSHOTS")  # a folder: full-page screenshots for review


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_is_styled_accessible_and_clean(page, live_server, url):
    response = page.goto(live_server + url)
    assert response.status == (404 if "n-existe-pas" in url else 200)
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Marianne" in font
    # DSFR layout rules are applied: the container is capped at 78rem (1248 px) on a wide screen.
    assert page.evaluate("getComputedStyle(document.querySelector('.fr-header .fr-container')).maxWidth") == "1248px"
    assert page.locator("h1").count() == 1
    if SCREENSHOTS:
        name = url.strip("/").replace("/", "_").replace("?", "_").replace("=", "_") or "accueil"
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)
    axe_check(page)
    expected = (
        ["Failed to load resource: the server responded with a status of 404 (NOT FOUND)"]
        if "n-existe-pas" in url
        else []
    )
    assert page.console_problems == expected


def test_skip_link_is_first_focusable_and_leads_to_content(page, live_server):
    page.goto(live_server + "/agence")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent.trim(), document.activeElement.getAttribute('href')]")
    assert focused == ["Contenu", "#contenu"]
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenu"
    assert page.console_problems == []


def test_mobile_menu_opens_at_375px(page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server + "/")
    navigation = page.get_by_role("navigation", name="Menu principal")
    assert not navigation.is_visible()
    page.get_by_role("button", name="Menu").click()
    referents_link = navigation.get_by_role("link", name="Référents")
    referents_link.wait_for(state="visible")
    axe_check(page)
    referents_link.click()
    page.wait_for_url("**/referents")
    assert page.get_by_role("heading", level=1).inner_text() == "Les référents TIG de chaque département"
    assert page.console_problems == []


def test_faq_accordion_opens_with_keyboard(page, live_server):
    page.goto(live_server + "/accueillir-un-tig")
    question = page.get_by_role("button", name="Puis-je accueillir des mineurs ?")
    answer = page.locator("#" + question.get_attribute("aria-controls"))
    assert question.get_attribute("aria-expanded") == "false"
    expect(answer).to_be_hidden()  # once the DSFR has set the accordions up (after the page's load event)
    question.focus()
    page.keyboard.press("Enter")
    answer.get_by_text("au moins 16 ans").wait_for(state="visible")
    # The DSFR updates aria-expanded in its next animation frame, not with the click: wait for it.
    expect(question).to_have_attribute("aria-expanded", "true")
    axe_check(page)
    assert page.console_problems == []


def test_referent_search_by_label(page, live_server):
    page.goto(live_server + "/referents")
    page.get_by_label("Rechercher un département").fill("2a")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/referents?q=2a")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Corse-du-Sud" in rows.first.inner_text()
    link = rows.first.get_by_role("link")
    assert link.get_attribute("href") == "mailto:referent.tig.2a@justice.fr"
    assert page.get_by_label("Rechercher un département").input_value() == "2a"
    axe_check(page)
    assert page.console_problems == []


def test_ess_map_highlights_the_twenty_departements(page, live_server):
    page.goto(live_server + "/experimentation-ess")
    map_image = page.get_by_role("img", name="Carte des départements de l'expérimentation", exact=False)
    assert map_image.is_visible()
    assert page.locator(".tig-map__tile").count() == 101
    assert page.locator(".tig-map__tile--on").count() == 20
    on_fill = page.evaluate("getComputedStyle(document.querySelector('.tig-map__tile--on rect')).fill")
    off_fill = page.evaluate(
        "getComputedStyle(document.querySelector('.tig-map__tile:not(.tig-map__tile--on) rect')).fill"
    )
    assert on_fill != off_fill
    assert page.console_problems == []


def test_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(live_server + "/accueillir-un-tig")
        assert page.get_by_text("au moins 16 ans au moment de la condamnation. Ils sont suivis").is_visible()
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(live_server + "/referents")
        assert page.locator(".fr-breadcrumb__list").is_visible()
        page.get_by_label("Rechercher un département").fill("Gironde")
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_url("**/referents?q=Gironde")
        assert page.locator("table tbody tr").count() == 1
    finally:
        context.close()
