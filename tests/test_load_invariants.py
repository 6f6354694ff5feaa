"""Invariants under load, through real HTTP requests to a multi-process gunicorn.

Each test starts gunicorn (4 workers × 4 threads) on a fresh database of the session's kind: a SQLite
file by default, a new PostgreSQL database when the suite runs with TEST_DB=postgresql (or
TEST_DATABASE_URL), so ``make test`` proves them on both.

1. A rush: 300 registrations from distinct addresses plus 50 duplicates (the same addresses in
   capitals) at a 20-seat webinar → exactly 20 confirmed, 280 waiting in arrival order, no duplicate,
   one mail per registration, no 5xx.
2. The last places: two cancellations, a manual promotion, "promote next" and a new registration at
   the same time → confirmed never above the capacity (watched while it happens), the first people
   waiting promoted once each, one mail each.
3. A double-clicked application submit: ten simultaneous POSTs of the final step → one reference, one
   confirmation mail, one mail to the référents.
"""

from __future__ import annotations

import pprint
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.applications.models import Application, ApplicationEvent, ApplicationStatus, EventKind
from app.extensions import db
from app.formatting import utcnow
from app.webinars import services
from app.webinars.models import Registration, RegistrationStatus
from config import TestingConfig
from tests.factories import make_referent, make_registration_data, make_webinar, registration_form
from tests.mails import queued_mails
from tests.servers.gunicorn import GunicornServer, Request, assert_no_server_error, fire
from tests.webinar_checks import assert_rush_outcome

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh(tmp_path, test_database):
    """An app on a brand-new database (not the per-test one: gunicorn's processes share it)."""
    name = None
    if test_database.is_postgresql:
        name = f"tig_load_{uuid.uuid4().hex[:10]}"
        url = test_database.create_database(name)
    else:
        url = f"sqlite:///{tmp_path / 'load.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()
    if name:
        admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def mails_by_category(webinar_id: int | None = None) -> Counter:
    mails = queued_mails(webinar_id=webinar_id) if webinar_id is not None else queued_mails()
    return Counter((mail.category, mail.to_address) for mail in mails)


def flashes(app, response) -> list:
    """The messages flashed by a response (read from the session cookie it sets)."""
    if not response.set_cookie:
        return []
    value = response.set_cookie.split(";", 1)[0].split("=", 1)[1]
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(value).get("_flashes", [])


# --- 1. the rush ---------------------------------------------------------------------------------------

DISTINCT = 300
DUPLICATES = 50
CAPACITY = 20


def test_rush_of_registrations_never_overbooks(fresh):
    webinar_id = make_webinar(capacity=CAPACITY).id
    db.session.commit()
    addresses = [f"personne{i:03d}@example.org" for i in range(DISTINCT)]
    duplicates = [addresses[i * 6].upper() for i in range(DUPLICATES)]  # same person, other letter case
    requests = [
        Request("POST", f"/webinaires/{webinar_id}", form=registration_form(a), tag=a) for a in addresses + duplicates
    ]
    random.Random(6).shuffle(requests)

    with GunicornServer(fresh.config["SQLALCHEMY_DATABASE_URI"], ready_path=f"/webinaires/{webinar_id}") as server:
        responses = fire(server.port, requests)
        server_log = server.log_tail()

    assert_no_server_error(responses, server_log)
    assert {r.status for r in responses} == {302}
    # New or duplicate, every registration gets the same answer (back to the webinar): who is registered
    # is never told on screen.
    assert {r.location.split("#")[0].rsplit("/", 1)[-1] for r in responses} == {str(webinar_id)}

    db.session.remove()  # a fresh transaction: an older snapshot would not see the server's writes
    rows = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    assert_rush_outcome(rows, DISTINCT, CAPACITY)

    mails = mails_by_category(webinar_id)
    per_category = Counter(category for category, _to in mails.elements())
    assert per_category == {
        "webinar_confirmation": CAPACITY,
        "webinar_waiting": DISTINCT - CAPACITY,
        "webinar_already_registered": DUPLICATES,
    }
    for registration in rows:  # each person: exactly one mail for their registration
        category = "webinar_confirmation" if registration.status is RegistrationStatus.CONFIRMED else "webinar_waiting"
        assert mails[(category, registration.email)] == 1, registration.email


# --- 2. the last places ----------------------------------------------------------------------------------

ROUNDS = 5  # webinars raced at the same time
SEATS = 3
NAMES = ("a", "b", "c", "w1", "w2", "w3", "w4")  # three confirmed, then four waiting, in this order


@dataclass
class Person:
    id: int
    token: str
    email: str


def session_cookie(app, referent) -> str:
    """The signed session cookie of a logged-in référent, to send with raw HTTP requests."""
    from app.auth.session import start_session

    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        start_session(session, referent)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}"


class ConfirmedWatcher(threading.Thread):
    """Counts the confirmed registrations of each webinar, over and over, while the race runs."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url)
        self.stop_event = threading.Event()
        self.highest: Counter = Counter()
        self.samples = 0

    def run(self) -> None:
        query = sa.text(
            "SELECT webinar_id, COUNT(*) FROM webinar_registrations WHERE status = 'confirmed' GROUP BY webinar_id"
        )
        with self.engine.connect() as connection:
            while not self.stop_event.is_set():
                for webinar_id, count in connection.execute(query).all():
                    self.highest[webinar_id] = max(self.highest[webinar_id], count)
                connection.rollback()  # a fresh snapshot each time
                self.samples += 1
                time.sleep(0.002)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)
        self.engine.dispose()


def test_last_places_race_between_cancellations_and_promotions(fresh):
    now = utcnow()
    referent = make_referent(departements=("33",))
    rounds = []
    for _ in range(ROUNDS):
        webinar = make_webinar(capacity=SEATS)
        db.session.commit()
        people = []
        for index, name in enumerate(NAMES):
            email = f"{name}.{webinar.id}@example.org"
            # Registered a minute ago, in this order: the newcomer of the race comes after all of them.
            people.append(
                services.register(webinar.id, make_registration_data(email), now=now - timedelta(seconds=60 - index))
            )
            db.session.commit()
        assert [p.status for p in people] == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITING] * 4
        rounds.append(
            (webinar.id, {name: Person(r.id, r.token, r.email) for name, r in zip(NAMES, people, strict=False)})
        )
    cookie = session_cookie(fresh, referent)
    before = mails_by_category()
    db.session.remove()

    requests = []
    for webinar_id, people in rounds:
        requests += [
            Request("POST", f"/inscription/{people['a'].token}/annuler", form={}, tag="cancel"),
            Request("POST", f"/inscription/{people['b'].token}/annuler", form={}, tag="cancel"),
            Request(
                "POST",
                f"/espace-referent/webinaires/{webinar_id}/inscriptions/{people['w3'].id}/promouvoir",
                form={},
                cookie=cookie,
                tag="promote",
            ),
            Request(
                "POST",
                f"/espace-referent/webinaires/{webinar_id}/promouvoir-suivants",
                form={},
                cookie=cookie,
                tag="promote-next",
            ),
            Request(
                "POST",
                f"/webinaires/{webinar_id}",
                form=registration_form(f"nouveau.{webinar_id}@example.org"),
                tag="register",
            ),
        ]
    random.Random(2).shuffle(requests)

    url = fresh.config["SQLALCHEMY_DATABASE_URI"]
    with GunicornServer(url, ready_path=f"/webinaires/{rounds[0][0]}") as server:
        watcher = ConfirmedWatcher(url)
        watcher.start()
        try:
            responses = fire(server.port, requests)
            server_log = server.log_tail()
        finally:
            watcher.stop()

    assert_no_server_error(responses, server_log)
    assert {r.status for r in responses} == {302}
    assert all(flashes(fresh, r) for r in responses)  # each person is told what happened (or why not)
    # The back-office requests were served to the logged-in référent, not sent to the login page.
    assert not [r for r in responses if "connexion" in r.location]
    assert watcher.samples > 0
    for webinar_id, _people in rounds:
        assert watcher.highest[webinar_id] <= SEATS, (webinar_id, watcher.highest[webinar_id])

    db.session.remove()  # a fresh transaction: an older snapshot would not see the server's writes
    after = mails_by_category()
    new_mails = after - before
    for webinar_id, people in rounds:
        state = {name: db.session.get(Registration, r.id) for name, r in people.items()}
        newcomer = db.session.scalar(
            sa.select(Registration).filter_by(email_normalized=f"nouveau.{webinar_id}@example.org")
        )
        story = {  # shown if an assertion below fails: who ended where, and what each request answered
            "statuts": {name: r.status.value for name, r in state.items()} | {"nouveau": newcomer.status.value},
            "réponses": [
                (r.request.tag, r.request.path.rsplit("/", 2)[-2:], flashes(fresh, r))
                for r in responses
                if f"/{webinar_id}" in r.request.path or any(p.token in r.request.path for p in people.values())
            ],
        }
        story = pprint.pformat(story, width=160)
        assert services.count_status(webinar_id, RegistrationStatus.CONFIRMED) == SEATS, story
        assert state["a"].status is state["b"].status is RegistrationStatus.CANCELLED, story
        # The two freed seats went to the first two people waiting, in arrival order; nobody jumped
        # the queue (neither the manual promotion of the third nor the newcomer).
        assert state["w1"].status is state["w2"].status is RegistrationStatus.CONFIRMED, story
        assert state["w3"].status is state["w4"].status is RegistrationStatus.WAITING, story
        assert newcomer.status is RegistrationStatus.WAITING and newcomer.waiting_position == 3, story
        # Mails queued once each.
        for name in ("w1", "w2"):
            assert new_mails[("webinar_promoted", state[name].email)] == 1
        for name in ("a", "b"):
            assert new_mails[("webinar_registration_cancelled", state[name].email)] == 1
        for name in ("c", "w3", "w4"):
            assert not [key for key in new_mails if key[1] == state[name].email], name
        assert new_mails[("webinar_waiting", newcomer.email)] == 1


# --- 3. the double-clicked submit --------------------------------------------------------------------

APPLICATIONS = 3
CLICKS = 10


def test_double_clicked_application_submit_numbers_once(fresh, tmp_path):
    from tests.test_application_wizard import complete_association, start, step_url

    client = fresh.test_client()
    tokens = []
    for index in range(APPLICATIONS):
        token = start(client, email=f"demandeur{index}@exemple.fr")
        complete_association(client, token)
        tokens.append(token)
    db.session.remove()
    final_step = 6  # association in Gironde: structure, contact, posts, documents, review, declaration
    requests = [
        Request("POST", step_url(token, final_step), form={"accept": "y"}, tag=token)
        for token in tokens
        for _ in range(CLICKS)
    ]
    random.Random(10).shuffle(requests)

    with GunicornServer(
        fresh.config["SQLALCHEMY_DATABASE_URI"], ready_path="/", upload_folder=fresh.config["UPLOAD_FOLDER"]
    ) as server:
        responses = fire(server.port, requests)
        server_log = server.log_tail()

    assert_no_server_error(responses, server_log)
    assert {r.status for r in responses} == {302}
    for token in tokens:
        # Every click lands on the confirmation or the follow-up page, never back on a form.
        locations = {r.location.split("?")[0] for r in responses if r.request.tag == token}
        assert locations <= {f"/candidature/{token}/confirmation", f"/suivi/{token}"}, locations

    db.session.remove()  # a fresh transaction: an older snapshot would not see the server's writes
    applications = db.session.scalars(sa.select(Application).order_by(Application.id)).all()
    assert len(applications) == APPLICATIONS
    assert all(a.status is ApplicationStatus.SUBMITTED and a.reference for a in applications)
    assert len({a.reference for a in applications}) == APPLICATIONS
    for application in applications:
        submitted_events = db.session.scalar(
            sa.select(sa.func.count(ApplicationEvent.id)).filter_by(
                application_id=application.id, kind=EventKind.SUBMITTED
            )
        )
        assert submitted_events == 1
        categories = Counter(mail.category for mail in queued_mails(application_id=application.id))
        assert categories["application.submitted"] == 1
        assert categories["application.new_referent"] == 1  # no account in 33: the département's address
