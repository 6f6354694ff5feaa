"""Two app servers and two workers serving the site together, on the parts of « Mise en production »
(README), all real and on loopback: the session's PostgreSQL (tests/database.py), a ``redis-server``
(tests/servers/redis.py), an S3-compatible bucket (``rclone serve s3``, tests/servers/s3.py) and clamd
(tests/servers/clamd.py). Each instance is ``gunicorn wsgi:app`` in the production configuration
(``APP_ENV=production``: CSRF checked, counters in Redis, files in the bucket, uploads scanned), on a port
of its own; the test plays the load balancer, sending each request to one instance or the other. The
workers are ``flask worker --once`` processes, one per "machine".

Checked: a document uploaded through one instance is served by the other, behind the same checks; the
seat race split across both confirms exactly the capacity; a limit of N per minute lets N through in total;
each mail leaves once; the bucket unreachable gives a French error and writes nothing; an instance
restarted loses nothing. PostgreSQL only: several servers on one SQLite file would be one machine.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.applications.models import ApplicationDocument, ApplicationMessage
from app.mail.models import MailStatus, OutboxMessage
from app.storage import storage_from_config
from app.webinars.models import Registration
from tests.factories import DEFAULT_PASSWORD, make_application, make_referent, make_webinar, registration_form
from tests.servers.gunicorn import GunicornServer, Request, Response, assert_no_server_error, fire, free_port, request
from tests.servers.redis import RedisServer
from tests.servers.s3 import S3Server
from tests.test_outbox_faults import RecordingHandler, start_smtp
from tests.test_uploads_antivirus import CLEAN
from tests.webinar_checks import assert_rush_outcome

pytestmark = [pytest.mark.slow, pytest.mark.postgresql_only]

ROOT = Path(__file__).resolve().parents[1]
RESET_LIMIT = 4  # RATELIMIT_PASSWORD_RESET of the instances, per minute
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Layout:
    a: GunicornServer
    b: GunicornServer
    redis: RedisServer
    s3: S3Server
    env: dict

    @property
    def storage_config(self) -> dict:
        return self.s3.app_config() | {"S3_PREFIX": self.env["S3_PREFIX"]}


def production_env(database_url: str, redis: RedisServer, s3: S3Server, clamd) -> dict:
    """The environment an operator gives every instance and worker (README, « Mise en production »)."""
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),  # the same on every instance: sessions and links hold
        "DATABASE_URL": database_url,
        "SITE_URL": "http://127.0.0.1",
        "RATELIMIT_STORAGE_URI": redis.url,
        "RATELIMIT_REGISTRATION": "1000 per minute",  # the seat race comes from one address
        "RATELIMIT_PASSWORD_RESET": f"{RESET_LIMIT} per minute",
        "RATELIMIT_LOGIN": "100 per hour",  # a window no restart outlasts, however loaded the machine
        **s3.env(),
        "S3_PREFIX": "documents/",
        "S3_TIMEOUT_SECONDS": "3",
        **clamd.env(),
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def layout(test_database, clamd_server):
    redis = RedisServer().start()
    s3 = S3Server().start()
    env = production_env(test_database.server_url, redis, s3, clamd_server)
    servers = [
        GunicornServer(test_database.server_url, ready_path="/healthz", workers=2, threads=4, app="wsgi:app", env=env)
        for _ in range(2)
    ]
    try:
        for server in servers:
            server.start()
        yield Layout(servers[0], servers[1], redis, s3, env)
    finally:
        for server in servers:
            server.stop()
        s3.stop()
        redis.close()


@pytest.fixture
def site(layout, app, db):
    """The layout over empty tables (the ``app`` fixture empties them), empty counters and an empty bucket."""
    import redis as redis_client

    client = redis_client.Redis.from_url(layout.redis.url)
    client.flushdb()
    client.close()
    if layout.s3.process is None or layout.s3.process.poll() is not None:
        layout.s3.start()
    storage = storage_from_config(layout.storage_config)
    for item in list(storage.objects()):
        storage.delete(item.key)
    return layout


@dataclass
class Visitor:
    """A browser: its cookies go with it to whichever instance serves each request."""

    cookies: dict = field(default_factory=dict)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def send(self, port: int, req: Request) -> Response:
        req.cookie = self.cookie or None
        response = request(port, req)
        self.cookies.update(response.cookies)
        return response

    def get(self, port: int, path: str) -> Response:
        return self.send(port, Request("GET", path))

    def form(self, port: int, page: str, action: str, data: dict, files: dict | None = None) -> Request:
        """The POST a browser sends after loading ``page`` from ``port``: its CSRF token and cookie."""
        shown = self.get(port, page)
        assert shown.status == 200, (page, shown.status)
        match = _CSRF.search(shown.body.decode())
        assert match, f"pas de jeton CSRF sur {page}"
        token = match.group(1) or match.group(2)
        return Request("POST", action, form={**data, "csrf_token": token}, files=files, cookie=self.cookie or None)

    def post(self, port: int, page: str, action: str, data: dict, files: dict | None = None) -> Response:
        return self.send(port, self.form(port, page, action, data, files))


def log_in(visitor: Visitor, port: int, email: str) -> None:
    page = "/espace-referent/connexion"
    response = visitor.post(port, page, page, {"email": email, "password": DEFAULT_PASSWORD})
    assert response.status == 302 and "connexion" not in response.location, response.body[:500]


def fresh(db):
    db.session.rollback()  # a fresh snapshot: the instances have committed since
    db.session.expire_all()


def documents(db) -> list[ApplicationDocument]:
    fresh(db)
    return list(db.session.scalars(sa.select(ApplicationDocument).order_by(ApplicationDocument.id)))


def messages(db) -> int:
    fresh(db)
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApplicationMessage))


def upload(visitor: Visitor, port: int, access_token: str, content: bytes = CLEAN) -> Response:
    page = f"/suivi/{access_token}"
    files = {"attachments": ("statuts signés.pdf", content, "application/pdf")}
    return visitor.post(port, page, f"{page}/message", {"body": "Voici nos statuts."}, files)


# --- documents --------------------------------------------------------------------------------------


def test_a_document_uploaded_through_one_instance_is_served_by_the_other(site, db):
    application = make_application(departement_code="33")
    other_application = make_application(departement_code="33")
    make_referent(email="referent33@example.org", departements=("33",))
    make_referent(email="referent59@example.org", departements=("59",))
    db.session.commit()
    a, b = site.a.port, site.b.port

    response = upload(Visitor(), a, application.access_token)
    assert response.status == 302, response.body[:800]
    [document] = documents(db)
    stored = storage_from_config(site.storage_config)
    assert [item.key for item in stored.objects()] == [document.stored_name]

    own = f"/suivi/{application.access_token}/documents/{document.id}"
    staff = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    for port in (b, a):
        served = request(port, Request("GET", own))
        assert served.status == 200 and served.body == CLEAN
        # Another application's link does not open it, nor does an anonymous visit of the back office.
        assert (
            request(port, Request("GET", f"/suivi/{other_application.access_token}/documents/{document.id}")).status
            == 404
        )
        anonymous = request(port, Request("GET", staff))
        assert anonymous.status == 302 and "/espace-referent/connexion" in anonymous.location

    # A référent logged in through A reads it through B (one session for every instance)…
    referent = Visitor()
    log_in(referent, a, "referent33@example.org")
    served = referent.get(b, staff)
    assert served.status == 200 and served.body == CLEAN
    # …and one of another département gets « not found » from both.
    outsider = Visitor()
    log_in(outsider, b, "referent59@example.org")
    assert outsider.get(a, staff).status == 404
    assert outsider.get(b, staff).status == 404


# --- seats ------------------------------------------------------------------------------------------

CAPACITY = 20
DISTINCT = 50
DUPLICATES = 6  # the same addresses again, in other letter cases


def test_the_seat_race_split_across_both_instances_confirms_exactly_the_capacity(site, db):
    webinar_id = make_webinar(capacity=CAPACITY).id
    db.session.commit()
    ports = (site.a.port, site.b.port)
    addresses = [f"personne{i}@example.org" for i in range(DISTINCT)]
    addresses += [address.upper() for address in addresses[:DUPLICATES]]
    page = f"/webinaires/{webinar_id}"
    requests = []
    for number, address in enumerate(addresses):
        # The form comes from one instance, the registration goes to the other (token and cookie hold).
        req = Visitor().form(ports[number % 2], page, page, registration_form(address))
        req.port, req.tag = ports[(number + 1) % 2], address
        requests.append(req)

    responses = fire(ports[0], requests)
    assert_no_server_error(responses, site.a.log_tail() + site.b.log_tail())
    assert {r.status for r in responses} == {302}
    assert Counter(r.request.port for r in responses) == {ports[0]: len(addresses) // 2, ports[1]: len(addresses) // 2}

    fresh(db)
    rows = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    assert_rush_outcome(rows, DISTINCT, CAPACITY)


# --- rate limits --------------------------------------------------------------------------------------


def test_a_limit_of_n_per_minute_lets_n_through_in_total_across_both_instances(site):
    ports = (site.a.port, site.b.port)
    page = "/espace-referent/mot-de-passe-oublie"
    requests = []
    for number in range(3 * RESET_LIMIT):
        req = Visitor().form(ports[number % 2], page, page, {"email": f"inconnu{number}@example.org"})
        req.port = ports[number % 2]
        requests.append(req)
    responses = fire(ports[0], requests)
    assert_no_server_error(responses, site.a.log_tail() + site.b.log_tail())
    statuses = Counter(r.status for r in responses)
    assert statuses[429] == 2 * RESET_LIMIT, statuses
    assert {r.request.port for r in responses if r.status != 429} <= set(ports)
    assert site.redis.stored_keys(), "les compteurs sont dans Redis"


# --- mails --------------------------------------------------------------------------------------------


def run_worker(layout: Layout, smtp_port: int) -> subprocess.Popen:
    env = {
        **layout.a.env,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "OUTBOX_BATCH_SIZE": "3",  # small batches: the two workers take turns on the queue
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_on_two_machines_send_each_mail_once(site, db):
    webinar_id = make_webinar(capacity=5).id
    db.session.commit()
    ports = (site.a.port, site.b.port)
    page = f"/webinaires/{webinar_id}"
    requests = []
    for number in range(16):
        req = Visitor().form(ports[number % 2], page, page, registration_form(f"courriel{number}@example.org"))
        req.port = ports[number % 2]
        requests.append(req)
    assert {r.status for r in fire(ports[0], requests)} == {302}
    fresh(db)
    queued = set(db.session.scalars(sa.select(OutboxMessage.id)))
    assert len(queued) >= 16

    handler = RecordingHandler(slow_rcpt=0.05)
    smtp_port = free_port()
    controller = start_smtp(handler, smtp_port)
    try:
        workers = [run_worker(site, smtp_port) for _ in range(2)]
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        controller.stop()
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    fresh(db)
    assert Counter(db.session.scalars(sa.select(OutboxMessage.status))) == {MailStatus.SENT: len(queued)}
    assert len(handler.message_ids) == len(queued)  # each mail once, none twice
    assert len(set(handler.message_ids)) == len(queued)


# --- the bucket unreachable -----------------------------------------------------------------------------


def test_the_bucket_unreachable_gives_a_french_error_and_writes_nothing(site, db):
    earlier = make_application(departement_code="33")
    application = make_application(departement_code="33")
    db.session.commit()
    assert upload(Visitor(), site.a.port, earlier.access_token).status == 302
    [kept] = [(document.id, document.stored_name) for document in documents(db)]
    page = f"/suivi/{application.access_token}"
    visitor = Visitor()
    files = {"attachments": ("statuts.pdf", CLEAN, "application/pdf")}
    post = visitor.form(site.a.port, page, f"{page}/message", {"body": "Voici nos statuts."}, files)
    messages_before = messages(db)

    site.s3.pause()
    try:
        response = visitor.send(site.b.port, post)
        assert response.status == 200, response.status  # the form again, with the message by the field
        text = response.body.decode().replace("&#39;", "'")
        assert "Le dépôt des fichiers est momentanément indisponible" in text
        assert "Voici nos statuts." in text  # nothing typed is lost
        download = request(site.a.port, Request("GET", f"/suivi/{earlier.access_token}/documents/{kept[0]}"))
        assert download.status == 503 and "Service momentanément indisponible" in download.body.decode()
        health = request(site.a.port, Request("GET", "/healthz"))
        assert health.status == 200 and json.loads(health.body)["storage"] == "indisponible"
        assert request(site.a.port, Request("GET", "/")).status == 200  # the rest of the site serves
    finally:
        site.s3.start()
    assert [(document.id, document.stored_name) for document in documents(db)] == [kept]
    assert messages(db) == messages_before
    assert [item.key for item in storage_from_config(site.storage_config).objects()] == [kept[1]]

    # Back: the same message goes through.
    assert upload(visitor, site.b.port, application.access_token).status == 302
    assert len(documents(db)) == 2


# --- a restart ----------------------------------------------------------------------------------------


def test_an_instance_restarted_loses_nothing(site, db):
    application = make_application(departement_code="33")
    make_referent(email="referent33@example.org", departements=("33",))
    webinar_id = make_webinar(capacity=5).id
    db.session.commit()
    a, b = site.a.port, site.b.port

    assert upload(Visitor(), a, application.access_token).status == 302
    [document] = documents(db)
    page = f"/webinaires/{webinar_id}"
    assert Visitor().post(a, page, page, registration_form("inscrite@example.org")).status == 302
    referent = Visitor()
    log_in(referent, a, "referent33@example.org")
    [counter] = [key for key in site.redis.stored_keys() if "login" in key]  # the login limit's count: 1
    fresh(db)
    mails_before = set(db.session.scalars(sa.select(OutboxMessage.id)))

    site.a.terminate()
    staff = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    assert referent.get(b, staff).body == CLEAN  # the other instance serves meanwhile
    site.a.start()

    assert referent.get(a, staff).body == CLEAN  # the file, and the référent's session
    assert request(a, Request("GET", f"/suivi/{application.access_token}/documents/{document.id}")).body == CLEAN
    # The limit's count goes on from where it was (in each process's memory it would start over).
    page = "/espace-referent/connexion"
    assert Visitor().post(a, page, page, {"email": "x@example.org", "password": "faux"}).status == 200
    assert site.redis.get(counter) == "2"
    fresh(db)
    assert [r.email for r in db.session.scalars(sa.select(Registration))] == ["inscrite@example.org"]
    assert mails_before <= set(db.session.scalars(sa.select(OutboxMessage.id)))
