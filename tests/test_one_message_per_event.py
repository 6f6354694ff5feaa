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


def register(client, webinar, address, follow=False):
    response = client.post(f"/webinaires/{webinar.id}", data=registration_form(address))
    if follow:  # as a browser does: the page after the redirect shows (and uses up) the message
        client.get(response.location)
    return response


def test_confirmed_registration_says_it_once(client, db):
    webinar = make_webinar()
    db.session.commit()
    response = register(client, webinar, "alice@example.org")
    page = client.get(response.location).get_data(as_text=True)
    (alert,) = alerts(page)
    assert alert.count("confirmée") == 1
    assert "Un courriel de confirmation avec l'invitation vient d'être envoyé à alice@example.org." in alert


def test_waiting_list_says_the_position_once(client, db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    register(client, webinar, "premiere@example.org", follow=True)
    response = register(client, webinar, "seconde@example.org")
    (alert,) = alerts(client.get(response.location).get_data(as_text=True))
    assert alert.count("liste d'attente") == 1 and "position 1" in alert


def test_registering_twice_shows_the_message_where_the_form_is_focused(client, db):
    webinar = make_webinar()
    db.session.commit()
    register(client, webinar, "alice@example.org", follow=True)
    response = register(client, webinar, "ALICE@example.org")
    assert response.status_code == 302 and response.location.endswith(f"/webinaires/{webinar.id}#message-inscription")
    page = client.get(response.location).get_data(as_text=True)
    (alert,) = alerts(page)
    assert "existe déjà" in alert
    (tag,) = alert_tags(page)
    assert "data-focus-on-load" in tag and 'tabindex="-1"' in tag  # the focus goes to it on load
    section = page.split('id="inscription"', 1)[1]
    assert "existe déjà" in section.split("<form", 1)[0], "the message sits in the form's section, above it"


def test_cancel_then_reopen_the_cancel_link(client, db):
    webinar = make_webinar()
    db.session.commit()
    manage_url = register(client, webinar, "alice@example.org", follow=True).location
    token = manage_url.rsplit("/", 1)[1]
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
