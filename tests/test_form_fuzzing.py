"""Hypothesis over the public forms (tests/formfuzz.py): random, invalid, huge, unicode and
control-character values never give a 5xx, and what was typed is still in the page on errors.

Forms are read from the pages themselves, so fields added later are covered. Other forms join by
adding a line to FORMS (or a test calling ``fuzz_form`` after building what the page needs).
"""

from __future__ import annotations

import pytest

from tests.formfuzz import NASTY, FormField, fuzz_form, post_forms, visible

FORMS = [
    "/espace-referent/connexion",
    "/espace-referent/mot-de-passe-oublie",
    "/candidature",
]


@pytest.mark.parametrize("url", FORMS)
def test_public_form_survives_random_input(app, client, url):
    assert fuzz_form(client, url) >= 1


def test_webinar_registration_form_survives_random_input(app, db, client):
    from tests.factories import make_webinar

    webinar = make_webinar(capacity=3)
    db.session.commit()
    assert fuzz_form(client, f"/webinaires/{webinar.id}") >= 8


def test_form_parser_reads_fields_options_and_hidden_values():
    page = """
    <form method="get"><input name="q"></form>
    <form method="post" action="/envoi">
      <input type="hidden" name="csrf_token" value="abc">
      <input name="nom"><input type="email" name="courriel"><textarea name="message"></textarea>
      <select name="dep"><option value="">Choisir</option><option value="33">Gironde</option></select>
      <input type="checkbox" name="accord" value="y"><input type="radio" name="r" value="a"><input type="radio" name="r" value="b">
      <button type="submit">Envoyer</button>
    </form>"""
    [form] = post_forms(page)
    assert form["action"] == "/envoi"
    assert form["hidden"] == {"csrf_token": "abc"}
    assert {name: f.kind for name, f in form["fields"].items()} == {
        "nom": "text",
        "courriel": "email",
        "message": "textarea",
        "dep": "select",
        "accord": "checkbox",
        "r": "radio",
    }
    assert form["fields"]["dep"].options == ["", "33"]
    assert form["fields"]["r"].options == ["a", "b"]


def test_visible_value_ignores_what_cannot_be_checked():
    assert visible("  Dupont\x00 ") == "Dupont"
    assert visible("é" * 5000) is None
    assert visible("a\nb") is None
    assert "<script>alert(1)</script>" in NASTY
    assert FormField("x", "text").options == []


def test_fuzzing_catches_a_form_that_loses_input_or_crashes(app, client):
    page = '<form method="post"><input name="nom"><input type="email" name="courriel"></form>'

    @app.route("/essai-oubli", methods=["GET", "POST"])
    def essai_oubli():
        return page  # the POST re-renders the form empty: typed values are lost

    @app.route("/essai-plantage", methods=["GET", "POST"])
    def essai_plantage():
        from flask import request

        if request.method == "POST" and len(request.form.get("nom", "")) > 100:
            raise RuntimeError("saisie trop longue non prévue")
        return page

    with pytest.raises(AssertionError, match="a disparu de la page"):
        fuzz_form(client, "/essai-oubli", max_examples=10)
    with pytest.raises(AssertionError, match="500"):
        fuzz_form(client, "/essai-plantage", max_examples=50, check_kept=False)
