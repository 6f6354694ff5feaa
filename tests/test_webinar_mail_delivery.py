"""Webinar mails through a real SMTP server on loopback (aiosmtpd): refused then accepted again →
retried and delivered once; the join-link job run twice and concurrently → one mail per person."""

from __future__ import annotations

import email
import socket
import threading
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app import create_app
from app.extensions import db as _db
from app.formatting import utcnow
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import deliver_pending
from app.webinars import services
from app.webinars.jobs import send_due_join_links
from config import TestingConfig
from tests.factories import make_registration_data, make_webinar


class RecordingHandler:
    def __init__(self):
        self.refuse = False
        self.received: list = []
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Service momentanément indisponible, réessayez"
        self.received.append(envelope)
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp_app(tmp_path, smtp):
    controller, _ = smtp
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'mail.sqlite3'}",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_TIMEOUT_SECONDS=5,
    )
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.engine.dispose()


def parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=policy.default)


def test_refused_then_accepted_is_retried_and_delivered_once(smtp_app, smtp):
    _, handler = smtp
    webinar = make_webinar()
    _db.session.commit()
    services.register(webinar.id, make_registration_data(email="alice@example.org"))
    _db.session.commit()

    handler.refuse = True
    assert deliver_pending() == {"sent": 0, "retry": 1, "failed": 0}
    message = _db.session.scalar(sa.select(OutboxMessage))
    assert message.status is MailStatus.QUEUED and message.attempts == 1
    assert "451" in message.last_error and message.next_attempt_at > utcnow()
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}  # backoff: not due yet

    handler.refuse = False
    message.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff has elapsed
    _db.session.commit()
    assert deliver_pending()["sent"] == 1
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}
    assert handler.refused == 1 and len(handler.received) == 1
    _db.session.refresh(message)
    assert message.status is MailStatus.SENT and message.attempts == 2 and message.transport == "smtp"

    envelope = handler.received[0]
    assert envelope.rcpt_tos == ["alice@example.org"]
    mime = parsed(envelope)
    assert mime["Subject"].startswith("Inscription confirmée")
    calendars = [part for part in mime.walk() if part.get_content_type() == "text/calendar"]
    assert calendars and all(part.get_param("method") == "REQUEST" for part in calendars)
    assert b"METHOD:REQUEST" in calendars[0].get_payload(decode=True)
    assert webinar.join_url.encode() not in envelope.content


def _run_job_in_thread(app, now, results, errors):
    try:
        with app.app_context():
            results.append(send_due_join_links(now=now))
            _db.session.commit()
            _db.session.remove()
    except Exception as error:  # pragma: no cover - reported by the assertion below
        errors.append(error)


def test_join_link_job_twice_and_concurrently_sends_one_mail_each(smtp_app, smtp):
    _, handler = smtp
    webinar = make_webinar(starts_in=timedelta(days=4))
    _db.session.commit()
    emails = [f"p{i}@example.org" for i in range(4)]
    for address in emails:
        services.register(webinar.id, make_registration_data(email=address))
        _db.session.commit()
    deliver_pending()
    handler.received.clear()
    due = services.join_link_due_at(webinar) + timedelta(minutes=1)
    _db.session.remove()

    results: list[int] = []
    errors: list[Exception] = []
    threads = [threading.Thread(target=_run_job_in_thread, args=(smtp_app, due, results, errors)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(results) == [0, 0, 4]
    assert send_due_join_links(now=due + timedelta(hours=1)) == 0  # run again later: nothing new
    _db.session.commit()

    # Two workers delivering at once: each mail is claimed by one of them.
    counts: list[dict] = []

    def deliver():
        with smtp_app.app_context():
            counts.append(deliver_pending())
            _db.session.remove()

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sum(c["sent"] for c in counts) == 4
    links = [e for e in handler.received if "Lien de connexion" in parsed(e)["Subject"]]
    assert sorted(e.rcpt_tos[0] for e in links) == emails
    assert all(webinar.join_url in parsed(e).get_body(("plain",)).get_content() for e in links)


def test_worker_dying_mid_send_does_not_duplicate_the_join_link(smtp_app, smtp):
    _, handler = smtp
    webinar = make_webinar(starts_in=timedelta(hours=6), deadline_before=timedelta(0))
    _db.session.commit()
    registration = services.register(webinar.id, make_registration_data(email="late@example.org"))
    _db.session.commit()
    link = _db.session.scalar(sa.select(OutboxMessage).filter_by(category="webinar_join_link"))
    # A worker claimed it then died: the row stays "sending" until its lease expires.
    link.status = MailStatus.SENDING
    link.locked_until = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    assert send_due_join_links() == 0  # the job does not queue it again
    assert services.send_join_link(registration) is False
    _db.session.commit()
    deliver_pending()
    deliver_pending()
    links = [e for e in handler.received if "Lien de connexion" in parsed(e)["Subject"]]
    assert len(links) == 1
