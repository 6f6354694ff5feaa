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


def test_a_mail_says_reply_only_when_a_reply_reaches_someone(client, db):
    """Every mail of an applicant's and a registrant's journey: one that carries a Reply-To (webinar
    mails: the organiser; the référents' notifications: the applicant) says where a reply goes and never
    « ne pas répondre »; one without says not to reply."""
    from app.webinars import services
    from tests.factories import make_referent, make_registration_data, make_webinar

    make_referent(email="ref33@justice.fr", departements=("33",))
    token = start(client)
    complete_association(client, token)
    assert client.post(f"/candidature/{token}/etape/6", data={"accept": "y"}).status_code == 302
    client.post(f"/suivi/{token}/message", data={"body": "Une précision."})
    webinar = make_webinar()
    db.session.commit()
    services.register(webinar.id, make_registration_data())
    db.session.commit()
    mails = queued_mails()
    assert {m.reply_to is None for m in mails} == {True, False}, [(m.category, m.reply_to) for m in mails]
    for mail in mails:
        for body in (mail.body_text, text(mail.body_html)):
            if mail.reply_to:
                assert "ne pas répondre" not in body, mail.category
                assert f"Vous pouvez répondre à ce courriel : votre réponse ira à {mail.reply_to}." in body, (
                    mail.category
                )
            else:
                assert "Merci de ne pas répondre directement à ce courriel" in body, mail.category
