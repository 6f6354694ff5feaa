"""Registration decides under the write lock and queues its mail from that decision (what happened
between the page and the lock counts); SQLite's BEGIN IMMEDIATE waits for the lock by short polls and
keeps the busy timeout for everything else."""

from __future__ import annotations

import sqlite3
import threading
import time

import sqlalchemy as sa

from app import database
from app.mail.models import OutboxMessage
from app.webinars import services
from app.webinars.models import Registration, RegistrationStatus, Webinar
from tests.factories import make_registration_data, make_webinar
from tests.mails import queued_mails


def _mails(db, to):
    return queued_mails(to)


def _someone_takes_the_last_seat_before_the_lock(monkeypatch):
    """Between the page and the lock, another request confirms a registration."""
    real_lock = services._lock_webinar

    def lock(webinar_id):
        services.db.session.add(
            Registration(
                webinar_id=webinar_id,
                last_name="Rapide",
                first_name="Rémi",
                email="rapide@example.org",
                email_normalized="rapide@example.org",
                structure_name="Asso",
                structure_type=make_registration_data().structure_type,
                departement_code="33",
                role="",
                question="",
                status=RegistrationStatus.CONFIRMED,
            )
        )
        services.db.session.flush()
        return real_lock(webinar_id)

    monkeypatch.setattr(services, "_lock_webinar", lock)


def test_mail_follows_the_decision_taken_under_the_lock(db, monkeypatch):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    _someone_takes_the_last_seat_before_the_lock(monkeypatch)
    registration = services.register(webinar.id, make_registration_data(email="lente@example.org"))
    db.session.commit()
    assert registration.status is RegistrationStatus.WAITING
    [mail] = _mails(db, "lente@example.org")
    assert mail.category == "webinar_waiting" and "position 1" in mail.body_text
    assert not mail.attachments  # no invite for a seat that was not given


def test_waiting_position_is_the_one_decided_under_the_lock(db, monkeypatch):
    """Two people join the list just before the lock is taken: the mail states the position given under
    the lock, in both bodies."""
    webinar = make_webinar(capacity=1)
    db.session.commit()
    services.register(webinar.id, make_registration_data(email="assise@example.org"))
    db.session.commit()
    real_lock = services._lock_webinar

    def lock(webinar_id):
        for name in ("premier", "second"):
            services.db.session.add(
                Registration(
                    webinar_id=webinar_id,
                    last_name=name,
                    first_name="En attente",
                    email=f"{name}@example.org",
                    email_normalized=f"{name}@example.org",
                    structure_name="Asso",
                    structure_type=make_registration_data().structure_type,
                    departement_code="33",
                    role="",
                    question="",
                    status=RegistrationStatus.WAITING,
                )
            )
        services.db.session.flush()
        return real_lock(webinar_id)

    monkeypatch.setattr(services, "_lock_webinar", lock)
    registration = services.register(webinar.id, make_registration_data(email="lente@example.org"))
    db.session.commit()
    assert registration.position_at_registration == 3 == registration.waiting_position
    [mail] = _mails(db, "lente@example.org")
    assert "liste d'attente, en position 3." in mail.body_text
    assert "en position 3</strong>" in mail.body_html


def test_the_confirmation_is_queued_as_references_and_rendered_with_its_invite(db):
    webinar = make_webinar(capacity=2)
    db.session.commit()
    registration = services.register(webinar.id, make_registration_data(email="alice@example.org"))
    db.session.commit()
    [mail] = _mails(db, "alice@example.org")
    assert mail.category == "webinar_confirmation" and mail.webinar_id == webinar.id
    assert registration.token in mail.body_text and registration.token in mail.body_html
    assert mail.attachments[0].filename == "invitation.ics"
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.context["registration"] == {"$row": ["Registration", registration.id]}
    assert message.attachments[0]["builder"] == "webinar.invite"


def test_webinar_changed_just_before_the_lock_is_in_the_mail(db, monkeypatch):
    webinar = make_webinar(capacity=5, title="Ancien titre")
    db.session.commit()
    real_lock = services._lock_webinar

    def lock(webinar_id):
        services.db.session.execute(
            sa.update(Webinar).where(Webinar.id == webinar_id).values(title="Nouveau titre", updated_at=sa.func.now())
        )
        return real_lock(webinar_id)

    monkeypatch.setattr(services, "_lock_webinar", lock)
    services.register(webinar.id, make_registration_data(email="alice@example.org"))
    db.session.commit()
    [mail] = _mails(db, "alice@example.org")
    assert "Nouveau titre" in mail.subject and "Ancien titre" not in mail.body_text


def test_begin_immediate_waits_for_the_lock_then_restores_the_busy_timeout(tmp_path):
    path = tmp_path / "lock.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    waiter = sqlite3.connect(path, isolation_level=None)
    waiter.execute("PRAGMA busy_timeout=30000")
    holder.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.1, lambda: holder.execute("COMMIT"))
    releaser.start()
    started = time.monotonic()
    database._begin_immediate(waiter)
    waited = time.monotonic() - started
    releaser.join()
    assert 0.09 <= waited < 1
    assert waiter.in_transaction
    waiter.execute("INSERT INTO t VALUES (1)")
    waiter.execute("COMMIT")
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
