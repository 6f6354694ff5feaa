"""What an applicant is told after sending depends on what was asked: a public body, habilitated by
right, asks only for its posts to be inscribed — its confirmation page, mail and PDF summary never speak
of a habilitation request nor of the préfet's opinion."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.mails import queued_mails
from tests.test_application_wizard import CONTACT, POST, STRUCTURE, application, complete_association, post_step, start


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _submit_public_body(client) -> str:
    token = start(client)
    data = {**STRUCTURE, "structure_type": "personne_publique", "structure_name": "Mairie de Bordeaux"}
    assert post_step(client, token, 1, {**data, "siret": "21330063500017", "rna": ""}).status_code == 302
    post_step(client, token, 2, CONTACT)
    post_step(client, token, 3, POST)
    client.get(f"/candidature/{token}/etape/4")  # the review opens the declaration step
    assert client.post(f"/candidature/{token}/etape/5", data={"accept": "y"}).status_code == 302
    return token


@pytest.mark.parametrize("kind", ["personne_publique", "association"])
def test_after_sending_the_applicant_is_told_what_was_asked(client, db, kind):
    if kind == "personne_publique":
        token = _submit_public_body(client)
    else:
        token = start(client)
        complete_association(client, token)
        assert client.post(f"/candidature/{token}/etape/6", data={"accept": "y"}).status_code == 302
    page = text(client.get(f"/candidature/{token}/confirmation").get_data(as_text=True))
    [mail] = queued_mails(category="application.submitted")
    for said in (page, mail.body_text, text(mail.body_html)):
        if kind == "personne_publique":
            assert "inscription de vos postes" in said
            assert "décide de l'habilitation" not in said and "préfet" not in said
            assert "au plus tôt dix jours" in said
        else:
            assert "décide de l'habilitation de votre structure et de l'inscription de vos postes" in said
            assert "préfet" in said and "au plus tôt un mois" in said
    assert application(token).reference in mail.body_text
