"""One event, one message, where the person looks: after registering, being put on the waiting list,
registering twice, cancelling or reopening a cancel link, and after logging in, the page shows exactly
one alert that says what happened, never the same news twice nor two greetings."""

from __future__ import annotations

import re
from html import unescape

from app.webinars.models import RegistrationStatus
from tests.factories import DEFAULT_PASSWORD, make_referent, make_webinar, registration_form


def alerts(html: str) -> list[str]:
    """The texts of the page's alerts (DSFR .fr-alert), tags removed."""
    found = []
    for match in re.finditer(r'<div class="fr-alert[^"]*"[^>]*>(.*?)</div>', html, re.S):
        found.append(re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip())
    return found


def alert_tags(html: str) -> list[str]:
    return re.findall(r'<div class="fr-alert[^"]*"[^>]*>', html)


RECEIVED = "Votre demande d'inscription est enregistrée."


def register(client, webinar, address, follow=False):
    response = client.post(f"/webinaires/{webinar.id}", data=registration_form(address))
    if follow:  # as a browser does: the page after the redirect shows (and uses up) the message
        client.get(page_path(response))
    return response


def page_path(response) -> str:
    """Where the redirect leads, without its fragment (a browser never sends it)."""
    return response.location.split("#", 1)[0]


def token_of(db, address: str) -> str:
    """The management link's token, which the page never shows: it goes by mail."""
    from app.webinars.models import Registration

    return db.session.query(Registration).filter_by(email_normalized=address).one().token


def test_confirmed_registration_says_it_once(client, db):
    webinar = make_webinar()
    db.session.commit()
    response = register(client, webinar, "alice@example.org")
    page = client.get(page_path(response)).get_data(as_text=True)
    (alert,) = alerts(page)
    assert alert.count("confirmée") == 1 and alert.count(RECEIVED) == 1
    assert "Un courriel vient d'être envoyé à alice@example.org" in alert


def test_waiting_list_says_it_once(client, db):
    """The page answers a registration on the waiting list as any other (it does not tell who is
    registered); the position goes by mail."""
    webinar = make_webinar(capacity=1)
    db.session.commit()
    register(client, webinar, "premiere@example.org", follow=True)
    response = register(client, webinar, "seconde@example.org")
    (alert,) = alerts(client.get(page_path(response)).get_data(as_text=True))
    assert alert.count("liste d'attente") == 1 and alert.count(RECEIVED) == 1


def test_registering_twice_shows_the_message_where_the_form_is_focused(client, db):
    webinar = make_webinar()
    db.session.commit()
    register(client, webinar, "alice@example.org", follow=True)
    response = register(client, webinar, "ALICE@example.org")
    assert response.status_code == 302 and response.location.endswith(f"/webinaires/{webinar.id}#message-inscription")
    page = client.get(page_path(response)).get_data(as_text=True)
    (alert,) = alerts(page)
    assert alert.count(RECEIVED) == 1  # the same answer as a new registration: nobody learns who is registered
    (tag,) = alert_tags(page)
    assert "data-focus-on-load" in tag and 'tabindex="-1"' in tag  # the focus goes to it on load
    section = page.split('id="inscription"', 1)[1]
    assert RECEIVED in unescape(section.split("<form", 1)[0]), "the message sits in the form's section, above it"


def test_cancel_then_reopen_the_cancel_link(client, db):
    webinar = make_webinar()
    db.session.commit()
    register(client, webinar, "alice@example.org", follow=True)
    token = token_of(db, "alice@example.org")
    response = client.post(f"/inscription/{token}/annuler", data={})
    (alert,) = alerts(client.get(response.location).get_data(as_text=True))
    assert alert.count("annulée") == 1 and "courriel de confirmation de l'annulation" in alert

    again = client.get(f"/inscription/{token}/annuler")
    assert again.status_code == 302 and again.location.endswith(f"/inscription/{token}")
    page = client.get(again.location).get_data(as_text=True)
    (alert,) = alerts(page)
    (tag,) = alert_tags(page)
    assert "fr-alert--info" in tag, "a neutral notice, not an error"
    assert "déjà annulée" in alert
    assert "ne peut plus être annulée" not in alert
    from app.webinars.models import Registration

    assert db.session.query(Registration).one().status is RegistrationStatus.CANCELLED


def test_login_greets_once(client, db):
    make_referent(email="greta@justice.fr", name="Greta Gironde")
    db.session.commit()
    response = client.post(
        "/espace-referent/connexion", data={"email": "greta@justice.fr", "password": DEFAULT_PASSWORD}
    )
    page = unescape(client.get(response.location).get_data(as_text=True))
    greetings = [word for word in ("Bienvenue", "Bonjour") if word in page]
    assert greetings == ["Bienvenue"] and page.count("Bienvenue") == 1
