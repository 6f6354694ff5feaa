"""Faults: database unreachable, SMTP down then back, two workers at once, a worker killed mid-batch.

A real SMTP server (aiosmtpd on loopback) receives the mails; each mail carries a stable Message-ID
(``outbox-<id>``), so "delivered once" is checked on what the server really got. These tests run on
SQLite and, with ``TEST_DB=postgresql``, on PostgreSQL (see tests/database.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app import create_app
from app.formatting import utcnow
from app.mail import outbox
from app.mail.kinds import MailKind
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import deliver_pending, queue_mail
from config import TestingConfig
from tests.factories import make_referent

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Keeps every Message-ID received. ``slow_rcpt`` seconds of delay before accepting a recipient;
    ``hold_at``: the n-th RCPT (1-based) sets ``holding`` then waits ``hold_seconds`` (a worker to kill)."""

    def __init__(self, slow_rcpt: float = 0.0, hold_at: int | None = None, hold_seconds: float = 0.0):
        self.message_ids: list[str] = []
        self.recipients: list[str] = []
        self.slow_rcpt = slow_rcpt
        self.hold_at = hold_at
        self.hold_seconds = hold_seconds
        self.rcpt_count = 0
        self.holding = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_count += 1
        if self.hold_at is not None and self.rcpt_count == self.hold_at:
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        elif self.slow_rcpt:
            await asyncio.sleep(self.slow_rcpt)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.message_ids.append(parsed["Message-ID"])
            self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def start_smtp(handler, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def use_smtp(app, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=5)


def queue_many(db, count: int, prefix: str = "personne") -> list[int]:
    """``count`` mails of a real kind, each to its own address, rendered by the worker when it sends them."""
    referent = make_referent(email=f"{prefix}@justice.fr")
    ids = []
    for number in range(count):
        message = queue_mail(
            f"{prefix}{number}@example.org",
            f"Essai {number}",
            MailKind.ACCOUNT_SECURITY_NOTICE,
            category="test",
            dedupe_key=f"test:{prefix}:{number}",
            referent=referent,
            what="essai de la file d'envoi.",
            forgot_url="http://127.0.0.1/mot-de-passe-oublie",
        )
        ids.append(message.id)
    db.session.commit()
    return ids


def statuses(db) -> Counter:
    db.session.rollback()  # a fresh snapshot: other workers (threads, processes) have committed since
    return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


# --- database unreachable --------------------------------------------------------------------------


def test_database_unreachable_gives_the_french_503_page_and_logs_the_error(tmp_path, caplog):
    closed_port = free_port()
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://tig@127.0.0.1:{closed_port}/tig?connect_timeout=3",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        PROPAGATE_EXCEPTIONS=False,
    )
    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/")  # the home page lists the next webinars
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.text
    assert "Réessayez dans quelques minutes" in response.text
    assert (
        "Traceback" not in response.text and "psycopg" not in response.text and "OperationalError" not in response.text
    )
    assert response.headers["Content-Security-Policy"]
    assert any("Base de données indisponible" in record.getMessage() for record in caplog.records)


# --- SMTP down, then back --------------------------------------------------------------------------


def test_smtp_down_then_back_delivers_every_mail_once(app, db):
    port = free_port()  # nothing listens there yet: connection refused
    use_smtp(app, port)
    ids = queue_many(db, 5)

    counts = deliver_pending()
    assert counts == {"sent": 0, "retry": 5, "failed": 0}
    assert statuses(db) == {MailStatus.QUEUED: 5}
    # Only the first was tried; the rest of the batch was given back without counting an attempt.
    attempts = sorted(m.attempts for m in db.session.scalars(sa.select(OutboxMessage)))
    assert attempts == [0, 0, 0, 0, 1]
    assert all(m.next_attempt_at > utcnow() for m in db.session.scalars(sa.select(OutboxMessage)))
    assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}  # backoff: not due yet

    handler = RecordingHandler()
    controller = start_smtp(handler, port)
    try:
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver_pending() == {"sent": 5, "retry": 0, "failed": 0}
        assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 0}
    finally:
        controller.stop()
    assert statuses(db) == {MailStatus.SENT: 5}
    assert sorted(handler.message_ids) == sorted(set(handler.message_ids))
    assert len(handler.message_ids) == 5
    assert all(f"outbox-{message_id}" in " ".join(handler.message_ids) for message_id in ids)


def test_smtp_error_mid_batch_retries_only_that_mail(app, db):
    class RefuseOne(RecordingHandler):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("personne1@"):
                return "451 Réessayez plus tard"
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    port = free_port()
    use_smtp(app, port)
    queue_many(db, 3)
    handler = RefuseOne()
    controller = start_smtp(handler, port)
    try:
        assert deliver_pending() == {"sent": 2, "retry": 1, "failed": 0}
    finally:
        controller.stop()
    retried = db.session.scalar(sa.select(OutboxMessage).filter_by(status=MailStatus.QUEUED))
    assert retried.to_address == "personne1@example.org" and retried.attempts == 1
    assert "451" in retried.last_error


def test_a_mail_that_cannot_be_built_is_retried_then_failed_never_stuck(app, db):
    port = free_port()
    use_smtp(app, port)
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    [broken_id, good_id] = queue_many(db, 2)
    broken = db.session.get(OutboxMessage, broken_id)
    broken.attachments = [{"builder": "pas-de-telle-piece-jointe", "arguments": {}}]
    db.session.commit()
    handler = RecordingHandler()
    controller = start_smtp(handler, port)
    try:
        assert deliver_pending() == {"sent": 1, "retry": 1, "failed": 0}
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver_pending() == {"sent": 0, "retry": 0, "failed": 1}
    finally:
        controller.stop()
    db.session.rollback()
    assert db.session.get(OutboxMessage, broken_id).status is MailStatus.FAILED
    assert db.session.get(OutboxMessage, good_id).status is MailStatus.SENT
    assert len(handler.message_ids) == 1


# --- two workers at once ---------------------------------------------------------------------------


def test_two_workers_at_once_never_send_the_same_mail_twice(app, db):
    port = free_port()
    use_smtp(app, port)
    queue_many(db, 40)
    db.session.remove()
    handler = RecordingHandler(slow_rcpt=0.01)
    controller = start_smtp(handler, port)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                start.wait()
                while sum(deliver_pending(limit=4).values()):
                    pass
                db.session.remove()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        controller.stop()
    assert not errors, errors
    assert len(handler.message_ids) == 40
    assert len(set(handler.message_ids)) == 40
    assert statuses(db) == {MailStatus.SENT: 40}


def test_a_worker_whose_lease_was_taken_over_does_not_send(app, db):
    app.config["OUTBOX_LEASE_SECONDS"] = 60
    [message_id] = queue_many(db, 1)
    [(claimed_id, lease_a)] = outbox._claim(10)
    assert claimed_id == message_id
    # Worker A stalls past its lease; worker B takes the message over.
    db.session.execute(sa.update(OutboxMessage).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    [(_, lease_b)] = outbox._claim(10)
    assert lease_b != lease_a
    assert outbox._renew(message_id, lease_a) is None  # A must not send it
    assert outbox._renew(message_id, lease_b) is not None  # B may


# --- a worker killed with SIGKILL in the middle of a batch ------------------------------------------


def run_worker(app, port: int, lease_seconds: int = 600) -> subprocess.Popen:
    env = dict(
        os.environ,
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        RATELIMIT_STORAGE_URI="memory://",
        ANTIVIRUS_ENABLED="false",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        OUTBOX_LEASE_SECONDS=str(lease_seconds),
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "deliver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, db):
    port = free_port()
    ids = queue_many(db, 8, prefix="lien")
    db.session.remove()

    # The worker delivers three mails, then hangs on the fourth recipient: it is killed right there.
    handler = RecordingHandler(hold_at=4, hold_seconds=20)
    controller = start_smtp(handler, port)
    try:
        first = run_worker(app, port)
        assert handler.holding.wait(timeout=60), first.communicate(timeout=5)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        assert len(handler.message_ids) == 3
        assert statuses(db) == {MailStatus.SENT: 3, MailStatus.SENDING: 5}

        # A new worker started at once leaves the dead one's leased mails alone…
        handler.hold_at = None
        second = run_worker(app, port)
        second.communicate(timeout=60)
        assert second.returncode == 0
        assert statuses(db) == {MailStatus.SENT: 3, MailStatus.SENDING: 5}

        # …and takes them over once the lease has expired (the clock is moved rather than waited for:
        # a loaded machine must not turn a slow start into a takeover).
        db.session.rollback()
        leased = db.session.scalars(sa.select(OutboxMessage).filter_by(status=MailStatus.SENDING)).all()
        assert all(m.locked_until > utcnow() + timedelta(seconds=500) for m in leased)
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == MailStatus.SENDING)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()
        third = run_worker(app, port)
        out, err = third.communicate(timeout=60)
        assert third.returncode == 0, err
        assert "Envoyés : 5" in out
    finally:
        controller.stop()
    assert statuses(db) == {MailStatus.SENT: 8}
    assert len(handler.message_ids) == 8
    assert len(set(handler.message_ids)) == 8, Counter(handler.message_ids).most_common(2)
    assert sorted(handler.recipients) == sorted(f"lien{n}@example.org" for n in range(8))
    assert len(ids) == 8
