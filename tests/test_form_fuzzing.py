"""Hypothesis over the public forms (tests/formfuzz.py): random, invalid, huge, unicode and
control-character values never give a 5xx, and what was typed is still in the page on errors.

Forms are read from the pages themselves, so fields added later are covered. Other forms join by
adding a line to FORMS (or a test calling ``fuzz_form`` after building what the page needs).
"""

from __future__ import annotations

import pytest

from tests.formfuzz import fuzz_form

pytestmark = pytest.mark.slow

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
