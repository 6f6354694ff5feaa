"""Webinar routes: public listing, details and registration, management page; back-office screens
with their scope (another département's référent gets 404)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.mail.models import OutboxMessage
from app.webinars import services
from app.webinars.models import Registration, RegistrationStatus, Webinar, WebinarStatus
from tests.factories import make_referent, make_registration_data, make_webinar
from tests.mails import queued_mails

FORM = {
    "last_name": "Martin",
    "first_name": "Alice",
    "email": "alice@example.org",
    "email_confirmation": "alice@example.org",
    "structure_name": "Coopérative du Bassin",
    "structure_type": "cooperative",
    "departement": "33",
    "role": "Directrice",
    "question": "",
    "consent": "y",
}


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True).replace("&#39;", "'"), re.S).group(1)


def count_h1(response) -> int:
    return response.get_data(as_text=True).replace("&#39;", "'").count("<h1")


# --- public ---------------------------------------------------------------------------------------


def test_listing_upcoming_then_past_with_french_dates(client, db):
    from datetime import datetime

    from app.formatting import paris_to_utc

    past = make_webinar(
        title="Webinaire Gironde 2022",
        starts_at=paris_to_utc(datetime(2022, 2, 2, 14, 30)),
        registration_deadline=paris_to_utc(datetime(2022, 1, 28, 23, 59)),
    )
    upcoming = make_webinar(title="Prochain webinaire", capacity=1)
    db.session.commit()
    services.register(upcoming.id, make_registration_data())
    db.session.commit()
    response = client.get("/webinaires")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200 and count_h1(response) == 1
    assert html.index("Prochain webinaire") < html.index("Webinaire Gironde 2022")
    assert "mercredi 2 février 2022, de 14 h 30 à 16 h 00 (heure de Paris)" in html
    assert "Complet — liste d'attente" in html
    assert past.join_url not in html


def test_listing_filter_by_departement(client, db):
    make_webinar(title="Webinaire Nord", departements=("59",))
    make_webinar(title="Webinaire Gironde", departements=("33",))
    db.session.commit()
    html = client.get("/webinaires?departement=59").get_data(as_text=True).replace("&#39;", "'")
    assert "Webinaire Nord" in html and "Webinaire Gironde" not in html
    assert "59 – Nord" in html


def test_home_page_shows_next_webinars(client, db):
    make_webinar(title="Webinaire en vedette")
    db.session.commit()
    html = client.get("/").get_data(as_text=True).replace("&#39;", "'")
    assert "Webinaire en vedette" in html and "places restantes" in html


def test_detail_never_shows_join_url(client, db):
    webinar = make_webinar()
    db.session.commit()
    response = client.get(f"/webinaires/{webinar.id}")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200 and count_h1(response) == 1
    assert webinar.join_url not in html
    assert 'href="/donnees-personnelles"' in html
    assert title_of(response).startswith(webinar.title)


RECEIVED = "Votre demande d'inscription est enregistrée. Un courriel vient d'être envoyé à"


def test_register_confirmed_answers_on_the_page_and_mails_the_management_link(client, db):
    webinar = make_webinar()
    db.session.commit()
    response = client.post(f"/webinaires/{webinar.id}", data=FORM)
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert response.headers["Location"].endswith(f"/webinaires/{webinar.id}#message-inscription")
    assert registration.status is RegistrationStatus.CONFIRMED
    html = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert RECEIVED in html and "alice@example.org" in html
    assert registration.token not in html  # the management link goes by mail only
    mail = queued_mails(category="webinar_confirmation")[0]
    assert mail.to_address == "alice@example.org"
    assert f"/inscription/{registration.token}" in mail.body_text
    assert "(heure de Paris)" in mail.body_text and "(heure de Paris)" in mail.body_html
    assert mail.body_text.count("http://") >= 1
    page = client.get(f"/inscription/{registration.token}").get_data(as_text=True).replace("&#39;", "'")
    assert "Votre inscription est confirmée" in page and "Télécharger l'invitation" in page


def test_register_invalid_rerenders_with_errors_and_keeps_input(client, db):
    webinar = make_webinar()
    db.session.commit()
    data = FORM | {"email_confirmation": "autre@example.org", "consent": "", "structure_type": ""}
    response = client.post(f"/webinaires/{webinar.id}", data=data)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert title_of(response).startswith("Erreur : ")
    assert "Les deux adresses électroniques ne sont pas identiques." in html
    assert "Cochez cette case" not in html and "J'accepte" not in html  # no consent asked: public-interest basis
    assert "Sélectionnez le type de votre structure." in html
    assert 'value="Coopérative du Bassin"' in html
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_registering_again_looks_the_same_as_a_new_registration(client, db):
    """Nobody learns from the page whether an address is registered: the same redirect and the same
    message for a new registration, an existing one (any letter case) and one on the waiting list; the
    owner of the address gets the management link by mail."""
    webinar = make_webinar(capacity=1)
    db.session.commit()

    def answer(data):
        response = client.post(f"/webinaires/{webinar.id}", data=data)
        page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
        shown = page[page.index(RECEIVED) : page.index(RECEIVED) + 400]
        return response.status_code, response.headers["Location"], shown.split("</")[0]

    bob = FORM | {"email": "bob@example.org", "email_confirmation": "bob@example.org"}
    first = answer(FORM)  # new, confirmed
    waiting = answer(bob)  # new, waiting list
    again = answer(FORM | {"email": "alice@example.org", "email_confirmation": "alice@example.org"})
    bob_again = answer(bob)
    assert first == again
    assert waiting == bob_again
    assert first[2].replace("alice@example.org", "X") == waiting[2].replace("bob@example.org", "X")
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2
    resent = queued_mails(category="webinar_already_registered")
    assert sorted(m.to_address for m in resent) == ["alice@example.org", "bob@example.org"]
    [waiting_mail] = queued_mails(category="webinar_waiting")
    assert "liste d'attente, en position 1" in waiting_mail.body_text.replace("\n", " ")


def test_management_page_shows_the_live_position(client, db):
    """The position is read with the registration: it follows the people ahead who leave the list."""
    webinar = make_webinar(capacity=1)
    db.session.commit()
    people = [services.register(webinar.id, make_registration_data(email=f"p{i}@example.org")) for i in range(4)]
    db.session.commit()
    tokens = [person.token for person in people]

    def page(token):
        return client.get(f"/inscription/{token}").get_data(as_text=True).replace("&#39;", "'")

    assert "en position" not in page(tokens[0])  # the seat
    assert "en position 1" in page(tokens[1]) and "en position 3" in page(tokens[3])
    services.cancel_registration(people[2].id)
    db.session.commit()
    assert "en position 2" in page(tokens[3])


def test_closed_after_deadline(client, db):
    webinar = make_webinar(starts_in=timedelta(hours=10), deadline_before=timedelta(days=1))
    db.session.commit()
    html = client.get(f"/webinaires/{webinar.id}").get_data(as_text=True).replace("&#39;", "'")
    assert "Les inscriptions sont closes" in html and 'name="email"' not in html
    response = client.post(f"/webinaires/{webinar.id}", data=FORM)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_cancel_via_management_link_promotes_next(client, db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    first = services.register(webinar.id, make_registration_data(email="a@example.org"))
    second = services.register(webinar.id, make_registration_data(email="b@example.org"))
    db.session.commit()
    page = client.get(f"/inscription/{second.token}")
    assert "en position 1" in page.get_data(as_text=True).replace("&#39;", "'")
    confirm = client.get(f"/inscription/{first.token}/annuler")
    assert confirm.status_code == 200 and "Confirmer l'annulation" in confirm.get_data(as_text=True).replace(
        "&#39;", "'"
    )
    response = client.post(f"/inscription/{first.token}/annuler")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, first.id).status is RegistrationStatus.CANCELLED
    assert db.session.get(Registration, second.id).status is RegistrationStatus.CONFIRMED
    html = client.get(f"/inscription/{first.token}").get_data(as_text=True).replace("&#39;", "'")
    assert "Votre inscription est annulée" in html


def test_cancel_requires_csrf(csrf_app, db):
    webinar = make_webinar()
    db.session.commit()
    registration = services.register(webinar.id, make_registration_data())
    db.session.commit()
    response = csrf_app.test_client().post(f"/inscription/{registration.token}/annuler")
    assert response.status_code == 400
    assert db.session.get(Registration, registration.id).status is RegistrationStatus.CONFIRMED


def test_invitation_download_and_unknown_token(client, db):
    webinar = make_webinar()
    db.session.commit()
    registration = services.register(webinar.id, make_registration_data())
    db.session.commit()
    response = client.get(f"/inscription/{registration.token}/invitation.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; method=REQUEST; charset=UTF-8"
    assert b"ATTENDEE" in response.data and webinar.join_url.encode() not in response.data
    assert client.get("/inscription/inconnu").status_code == 404


def test_registration_posts_are_rate_limited(tmp_path):
    from app import create_app
    from app.extensions import db as database
    from config import TestingConfig

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'rl.sqlite3'}",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_REGISTRATION="2 per minute",
    )
    with app.app_context():
        database.create_all()
        webinar = make_webinar()
        database.session.commit()
        client = app.test_client()
        assert client.get(f"/webinaires/{webinar.id}").status_code == 200
        statuses = [
            client.post(
                f"/webinaires/{webinar.id}",
                data=FORM | {"email": f"r{i}@example.org", "email_confirmation": f"r{i}@example.org"},
            ).status_code
            for i in range(3)
        ]
        assert statuses == [302, 302, 429]
        assert client.get(f"/webinaires/{webinar.id}").status_code == 200  # reading stays free
        database.session.remove()
        database.engine.dispose()


# --- back office ----------------------------------------------------------------------------------


@pytest.fixture
def two_referents(db):
    gironde = make_referent(email="ref33@justice.fr", departements=("33",))
    nord = make_referent(email="ref59@justice.fr", departements=("59",))
    admin = make_referent(email="admin@justice.fr", departements=(), is_admin=True)
    webinar = make_webinar(title="Webinaire Gironde", capacity=1, departements=("33",))
    db.session.commit()
    services.register(webinar.id, make_registration_data(email="a@example.org"))
    services.register(webinar.id, make_registration_data(email="b@example.org", last_name="=HYPERLINK(1)"))
    db.session.commit()
    return gironde, nord, admin, webinar


def _routes(webinar, registration_id):
    w = webinar.id
    gets = [
        f"/espace-referent/webinaires/{w}",
        f"/espace-referent/webinaires/{w}/modifier",
        f"/espace-referent/webinaires/{w}/annuler",
        f"/espace-referent/webinaires/{w}/inscrits.csv",
        f"/espace-referent/webinaires/{w}/courriels",
    ]
    posts = [
        f"/espace-referent/webinaires/{w}/modifier",
        f"/espace-referent/webinaires/{w}/annuler",
        f"/espace-referent/webinaires/{w}/envoyer-lien",
        f"/espace-referent/webinaires/{w}/promouvoir-suivants",
        f"/espace-referent/webinaires/{w}/inscriptions/{registration_id}/promouvoir",
        f"/espace-referent/webinaires/{w}/inscriptions/{registration_id}/renvoyer-invitation",
    ]
    return gets, posts


def test_backoffice_requires_login(client, two_referents):
    response = client.get("/espace-referent/webinaires")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_scope_other_departement_gets_404_everywhere(client, auth, db, two_referents):
    gironde, nord, admin, webinar = two_referents
    registration_id = db.session.scalar(sa.select(Registration.id))
    gets, posts = _routes(webinar, registration_id)
    auth.login_as(nord)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url).status_code == 404, url
    assert "Webinaire Gironde" not in client.get("/espace-referent/webinaires").get_data(as_text=True).replace(
        "&#39;", "'"
    )
    db.session.expire_all()
    assert db.session.get(Webinar, webinar.id).status is WebinarStatus.SCHEDULED


@pytest.mark.parametrize("who", ["gironde", "admin"])
def test_owner_and_admin_see_everything(client, auth, db, two_referents, who):
    gironde, nord, admin, webinar = two_referents
    auth.login_as(gironde if who == "gironde" else admin)
    registration_id = db.session.scalar(sa.select(Registration.id))
    gets, _ = _routes(webinar, registration_id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 200, url
        if not url.endswith(".csv"):
            assert count_h1(response) == 1, url
    listing = client.get("/espace-referent/webinaires").get_data(as_text=True).replace("&#39;", "'")
    assert "Webinaire Gironde" in listing and "1&nbsp;sur&nbsp;1" in listing


def test_csv_export_is_formula_safe(client, auth, two_referents):
    gironde, _, _, webinar = two_referents
    auth.login_as(gironde)
    response = client.get(f"/espace-referent/webinaires/{webinar.id}/inscrits.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).replace("&#39;", "'").lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][0] == "Statut"
    assert rows[2][2] == "'=HYPERLINK(1)"
    assert rows[2][0] == "En attente" and rows[2][1] == "1"


def test_create_webinar_and_validation(client, auth, db, two_referents):
    gironde, *_ = two_referents
    auth.login_as(gironde)
    page = client.get("/espace-referent/webinaires/nouveau")
    assert page.status_code == 200 and 'value="33"' in page.get_data(as_text=True).replace("&#39;", "'")
    data = {
        "title": "Nouveau webinaire",
        "description": "Programme",
        "date": "2031-03-04",
        "start_time": "14:30",
        "duration_minutes": "90",
        "capacity": "15",
        "deadline_date": "2031-03-01",
        "deadline_time": "23:59",
        "waitlist_enabled": "y",
        "organiser_name": "Référent TIG Gironde",
        "organiser_email": "referent.tig.33@justice.fr",
        "hosts": "",
        "audience": "",
        "departements": "59",
        "region": "",
        "join_url": "https://visio.example.org/x",
    }
    bad = client.post("/espace-referent/webinaires/nouveau", data=data)
    assert bad.status_code == 200 and title_of(bad).startswith("Erreur : ")
    assert "au moins un de vos départements" in bad.get_data(as_text=True).replace("&#39;", "'")
    late = client.post(
        "/espace-referent/webinaires/nouveau", data=data | {"departements": "33", "deadline_date": "2031-03-05"}
    )
    assert "doit précéder le webinaire" in late.get_data(as_text=True).replace("&#39;", "'")
    ok = client.post("/espace-referent/webinaires/nouveau", data=data | {"departements": "33, 24"})
    assert ok.status_code == 302
    webinar = db.session.scalar(sa.select(Webinar).filter_by(title="Nouveau webinaire"))
    assert webinar.departement_codes == ["24", "33"]
    from app.formatting import to_paris

    assert to_paris(webinar.starts_at).strftime("%H:%M") == "14:30"
    assert webinar.capacity == 15 and webinar.waitlist_enabled


def test_create_regional_webinar(client, auth, db, two_referents):
    gironde, *_ = two_referents
    auth.login_as(gironde)
    data = {
        "title": "Régional",
        "date": "2031-03-04",
        "start_time": "10:00",
        "duration_minutes": "60",
        "capacity": "30",
        "deadline_date": "2031-03-01",
        "deadline_time": "12:00",
        "organiser_name": "CRESS",
        "organiser_email": "contact@cress.example.org",
        "departements": "",
        "region": "Nouvelle-Aquitaine",
    }
    assert client.post("/espace-referent/webinaires/nouveau", data=data).status_code == 302
    webinar = db.session.scalar(sa.select(Webinar).filter_by(title="Régional"))
    assert webinar.region == "Nouvelle-Aquitaine" and "33" in webinar.departement_codes
    assert webinar.place_label == "Région Nouvelle-Aquitaine"


def test_edit_reschedule_sends_updates(client, auth, db, two_referents):
    gironde, _, _, webinar = two_referents
    auth.login_as(gironde)
    form = client.get(f"/espace-referent/webinaires/{webinar.id}/modifier").get_data(as_text=True).replace("&#39;", "'")
    assert f'value="{webinar.title}"' in form
    from app.formatting import to_paris

    start = to_paris(webinar.starts_at)
    deadline = to_paris(webinar.registration_deadline)
    data = {
        "title": webinar.title,
        "description": webinar.description,
        "date": start.strftime("%Y-%m-%d"),
        "start_time": (start + timedelta(hours=1)).strftime("%H:%M"),
        "duration_minutes": "90",
        "capacity": "1",
        "deadline_date": deadline.strftime("%Y-%m-%d"),
        "deadline_time": deadline.strftime("%H:%M"),
        "waitlist_enabled": "y",
        "organiser_name": webinar.organiser_name,
        "organiser_email": webinar.organiser_email,
        "departements": "33",
        "region": "",
        "join_url": webinar.join_url,
    }
    if (start + timedelta(hours=1)).date() != start.date():
        data["start_time"] = (start - timedelta(hours=1)).strftime("%H:%M")
    response = client.post(f"/espace-referent/webinaires/{webinar.id}/modifier", data=data)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="webinar_changed")) == 2
    too_small = client.post(f"/espace-referent/webinaires/{webinar.id}/modifier", data=data | {"capacity": "0"})
    assert too_small.status_code == 200


def test_promote_resend_join_link_and_cancel(client, auth, db, two_referents):
    gironde, _, _, webinar = two_referents
    auth.login_as(gironde)
    first, second = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    # Full: manual promotion refused with a message.
    response = client.post(
        f"/espace-referent/webinaires/{webinar.id}/inscriptions/{second.id}/promouvoir", follow_redirects=True
    )
    assert "Toutes les places sont prises" in response.get_data(as_text=True).replace("&#39;", "'")
    client.post(f"/espace-referent/webinaires/{webinar.id}/inscriptions/{first.id}/renvoyer-invitation")
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="webinar_invite")) == 1
    client.post(f"/espace-referent/webinaires/{webinar.id}/envoyer-lien")
    client.post(f"/espace-referent/webinaires/{webinar.id}/envoyer-lien")
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="webinar_join_link")) == 1
    log = client.get(f"/espace-referent/webinaires/{webinar.id}/courriels").get_data(as_text=True).replace("&#39;", "'")
    assert "Lien de connexion" in log and "En file d'attente" in log
    page = client.get(f"/espace-referent/webinaires/{webinar.id}/annuler")
    assert "2 personnes inscrites" in page.get_data(as_text=True).replace("&#39;", "'")
    response = client.post(f"/espace-referent/webinaires/{webinar.id}/annuler", data={"reason": "Intervenant malade"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Webinar, webinar.id).status is WebinarStatus.CANCELLED
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="webinar_cancelled")) == 2


def test_backoffice_actions_require_csrf(csrf_app, db, two_referents):
    from tests.conftest import AuthActions

    gironde, _, _, webinar = two_referents
    client = csrf_app.test_client()
    AuthActions(client).login_as(gironde)
    for url in (
        f"/espace-referent/webinaires/{webinar.id}/annuler",
        f"/espace-referent/webinaires/{webinar.id}/envoyer-lien",
    ):
        assert client.post(url).status_code == 400, url
    db.session.expire_all()
    assert db.session.get(Webinar, webinar.id).status is WebinarStatus.SCHEDULED
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).filter_by(category="webinar_join_link")) == 0


def test_detail_counts_agree_in_number(client, auth, db, two_referents):
    """A one-place webinar read « 1 confirmées sur 1 »."""
    gironde, _, _, webinar = two_referents
    auth.login_as(gironde)
    page = client.get(f"/espace-referent/webinaires/{webinar.id}").get_data(as_text=True).replace("&#39;", "'")
    assert "1&nbsp;confirmée&nbsp;sur&nbsp;1</span> ; 1 en liste d'attente" in page


def test_public_detail_capacity_agrees_in_number(client, db):
    """A one-place webinar read « 1 participants au plus »."""
    one = make_webinar(capacity=1)
    many = make_webinar(capacity=20)
    db.session.commit()
    assert "1 participant au plus" in client.get(f"/webinaires/{one.id}").get_data(as_text=True)
    assert "20 participants au plus" in client.get(f"/webinaires/{many.id}").get_data(as_text=True)
