"""Eligibility checker in Chromium: filled by visible labels, by keyboard only, with and without
JavaScript, and axe-core on every page visited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app.eligibility.engine import paris_today, regime_in_force
from tests.browser.conftest import axe_check

ESS_GROUP = "Uniquement pour les coopératives, mutuelles, fondations et sociétés commerciales de l'ESS"


# DSFR draws radios and checkboxes on the label, which covers the native input: check(force=True).


def answer(page, question: str, value: str, role: str = "radiogroup") -> None:
    """Tick ``value`` in the radio group named by its question (required groups are radiogroups)."""
    page.get_by_role(role, name=question).get_by_label(value, exact=True).check(force=True)


def test_ess_journey_result_and_modify(page, live_server):
    page.goto(live_server + "/eligibilite")
    assert page.title().startswith("Tester l'éligibilité de votre structure")
    ess = page.get_by_role("group", name=ESS_GROUP)
    assert not ess.is_visible()  # no type chosen yet: the ESS questions are hidden by the script
    axe_check(page)

    page.get_by_label("Coopérative", exact=True).check(force=True)
    assert ess.is_visible()
    page.get_by_label("Dans quel département se trouveraient les postes ?").select_option(label="33 – Gironde")
    answer(page, "Votre structure poursuit-elle un but autre que le seul partage des bénéfices ?", "Oui")
    answer(page, "Sa gouvernance est-elle démocratique", "Oui")
    answer(
        page,
        "Ses bénéfices sont-ils majoritairement consacrés au maintien ou au développement de son activité ?",
        "Oui",
    )
    page.get_by_label("Préserver le lien social ou renforcer la cohésion territoriale").check(force=True)
    answer(page, "Pourriez-vous accueillir des mineurs ?", "Non", role="group")
    axe_check(page)  # with the ESS questions shown
    page.get_by_role("button", name="Voir le résultat").click()

    page.wait_for_url("**/eligibilite/resultat?**")
    assert page.get_by_role("heading", level=1).inner_text() == "Résultat du test d'éligibilité"
    assert page.get_by_role("heading", name="Votre structure peut accueillir des personnes en TIG").is_visible()
    assert page.get_by_text(regime_in_force(paris_today()).name).first.is_visible()  # the law in force today
    assert page.get_by_text("Référence : Loi n° 2014-856 du 31 juillet 2014, art. 2", exact=False).is_visible()
    apply = page.get_by_role("link", name="Déposer une candidature").get_attribute("href")
    query = parse_qs(urlsplit(apply).query)
    assert query["structure_type"] == ["cooperative"] and query["social_utility"] == ["lien_social"]
    assert page.get_by_role("link", name="referent.tig.33@justice.fr").is_visible()
    axe_check(page)

    page.get_by_role("link", name="Modifier mes réponses").first.click()
    page.wait_for_url("**/eligibilite?**")
    assert page.get_by_label("Coopérative", exact=True).is_checked()
    assert page.get_by_label("Dans quel département se trouveraient les postes ?").input_value() == "33"
    assert page.get_by_label("Préserver le lien social ou renforcer la cohésion territoriale").is_checked()
    assert ess.is_visible()
    axe_check(page)

    # Another type hides the ESS questions, and their answers no longer travel in the URL.
    page.get_by_label("Association", exact=True).check(force=True)
    assert not ess.is_visible()
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat?**")
    assert "ess_non_profit_purpose" not in page.url and "social_utility" not in page.url
    assert page.get_by_role("heading", name="Votre structure peut accueillir des personnes en TIG").is_visible()
    assert page.console_problems == []


def test_not_eligible_company(page, live_server):
    page.goto(live_server + "/eligibilite")
    page.get_by_label("Autre entreprise", exact=True).check(force=True)
    page.get_by_label("Dans quel département se trouveraient les postes ?").select_option(label="59 – Nord")
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat?**")
    assert page.get_by_role("heading", name="Votre structure ne peut pas accueillir de personnes en TIG").is_visible()
    assert page.get_by_role("heading", name="Ce que vous pouvez faire").is_visible()
    assert page.get_by_role("link", name="Déposer une candidature").count() == 0
    axe_check(page)


def test_errors_are_shown_and_answers_kept(page, live_server):
    page.goto(live_server + "/eligibilite")
    page.get_by_label("Fondation", exact=True).check(force=True)
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_url("**/eligibilite/resultat**")
    assert page.title().startswith("Erreur : Tester l'éligibilité")
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient")
    assert summary.is_visible()
    assert page.get_by_text("Choisissez le département où se trouveraient les postes.").first.is_visible()
    assert page.get_by_label("Fondation", exact=True).is_checked()
    assert page.get_by_role("group", name=ESS_GROUP).is_visible()  # the ESS errors stay in view
    axe_check(page)
    # The summary's link leads to the field.
    summary.get_by_role("link", name="Dans quel département se trouveraient les postes ?", exact=False).click()
    assert page.evaluate("location.hash") == "#departement"


def test_keyboard_only(page, live_server):
    page.goto(live_server + "/eligibilite")
    for _ in range(80):  # Tab through the header to the first structure type
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "structure_type":
            break
    assert page.evaluate("document.activeElement.value") == "personne_publique"
    page.keyboard.press("ArrowDown")  # personne privée chargée d'une mission de service public
    page.keyboard.press("ArrowDown")  # association
    assert page.get_by_label("Association", exact=True).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "departement"
    page.keyboard.type("75")
    assert page.get_by_label("Dans quel département se trouveraient les postes ?").input_value() == "75"
    for _ in range(10):  # the hidden ESS questions are skipped
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.name || document.activeElement.textContent.trim()")
        assert not name.startswith("ess_") and name != "social_utility"
        if name == "Voir le résultat":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/eligibilite/resultat?**")
    assert page.get_by_role("heading", name="Votre structure peut accueillir des personnes en TIG").is_visible()
    assert page.get_by_text("75 – Paris").first.is_visible()
    axe_check(page)


def test_without_javascript_every_question_is_on_the_page(browser, live_server):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/eligibilite")
        assert page.get_by_role("group", name=ESS_GROUP).is_visible()
        page.get_by_label("Mutuelle", exact=True).check(force=True)
        page.get_by_label("Dans quel département se trouveraient les postes ?").select_option(label="01 – Ain")
        answer(page, "Votre structure poursuit-elle un but autre que le seul partage des bénéfices ?", "Oui")
        answer(page, "Sa gouvernance est-elle démocratique", "Oui")
        answer(
            page,
            "Ses bénéfices sont-ils majoritairement consacrés au maintien ou au développement de son activité ?",
            "Oui",
        )
        purposes = page.get_by_role("group", name="Quels buts d'utilité sociale votre structure poursuit-elle ?")
        assert "(optionnel)" not in purposes.inner_text()  # decisive for the ESS types
        purposes.get_by_label("Aucun de ces buts", exact=True).check(force=True)
        page.get_by_role("button", name="Voir le résultat").click()
        page.wait_for_url("**/eligibilite/resultat?**")
        assert page.get_by_role(
            "heading", name="Votre structure ne peut pas accueillir de personnes en TIG"
        ).is_visible()
        assert page.get_by_text("ne poursuit aucun but d'utilité sociale", exact=False).first.is_visible()
        assert page.get_by_role("link", name="Déposer une candidature").count() == 0
        # axe-core needs JavaScript: the same pages are checked with it in the tests above.
    finally:
        context.close()
