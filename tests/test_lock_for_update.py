"""app.database.lock_for_update / begin_write_transaction: the one way services lock before recounting,
with the same transaction semantics on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from app.database import begin_write_transaction, lock_for_update
from app.webinars.models import Webinar
from tests.factories import make_webinar


def test_returns_the_row_fresh_from_the_database_inside_a_write_transaction(db):
    webinar = make_webinar(capacity=12)
    db.session.commit()
    with db.engine.begin() as other:  # another connection changes the row behind the session's back
        other.execute(sa.update(Webinar).where(Webinar.id == webinar.id).values(capacity=30))
    locked = lock_for_update(Webinar, webinar.id)
    assert locked is webinar and locked.capacity == 30
    assert db.session().in_transaction()
    db.session.rollback()


def test_missing_row_gives_none(db):
    assert lock_for_update(Webinar, 999_999) is None
    db.session.rollback()


# --- the same transaction semantics on SQLite and PostgreSQL ----------------------------------------


def test_taking_the_lock_commits_nothing_done_before(db):
    """What the request wrote before the lock stays in its transaction: rolled back with the rest."""
    webinar = make_webinar(capacity=12)
    db.session.commit()
    webinar.capacity = 13
    db.session.flush()  # written before the lock
    webinar.title = "Titre changé avant le verrou"  # not even flushed
    locked = lock_for_update(Webinar, webinar.id)
    assert (locked.capacity, locked.title) == (13, "Titre changé avant le verrou")
    db.session.rollback()
    assert db.session.get(Webinar, webinar.id).capacity == 12
    assert db.session.get(Webinar, webinar.id).title != "Titre changé avant le verrou"


def test_a_transaction_that_only_read_sees_the_last_commit_once_locked(db):
    webinar = make_webinar(capacity=12)
    db.session.commit()
    assert db.session.get(Webinar, webinar.id).capacity == 12  # a read transaction is open
    with db.engine.begin() as other:
        other.execute(sa.update(Webinar).where(Webinar.id == webinar.id).values(capacity=40))
    begin_write_transaction()
    assert webinar.capacity == 40  # read again: objects read before the lock are expired
    webinar.capacity = 41
    db.session.commit()
    with db.engine.connect() as other:
        assert other.scalar(sa.select(Webinar.capacity).where(Webinar.id == webinar.id)) == 41


def test_a_second_writer_waits_for_the_first_to_end_its_transaction(app, db):
    """Two sessions (two requests): the second lock is granted only after the first commits, and the
    second then reads what the first wrote."""
    webinar = make_webinar(capacity=12)
    db.session.commit()
    webinar_id = webinar.id
    lock_for_update(Webinar, webinar_id).capacity = 20
    db.session.flush()
    seen: list[int] = []
    granted = threading.Event()

    def second_request():
        with app.app_context():
            seen.append(lock_for_update(Webinar, webinar_id).capacity)
            granted.set()
            db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=second_request)
    thread.start()
    assert not granted.wait(timeout=1)  # still waiting for the first transaction
    db.session.commit()
    thread.join(timeout=30)
    assert seen == [20]
