"""Many simultaneous registrations through real HTTP requests to a multi-worker gunicorn server:
exactly N confirmed, the others waiting in arrival order, no duplicate, no 5xx.

A quick SQLite check; tests/test_load_invariants.py runs the larger rush on the session's database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.webinars.models import Registration
from config import TestingConfig
from tests.factories import make_webinar, registration_form
from tests.servers.gunicorn import GunicornServer, Request, assert_no_server_error, fire
from tests.webinar_checks import assert_rush_outcome

pytestmark = pytest.mark.slow

CAPACITY = 10
DISTINCT = 56
DUPLICATES = 6  # the same addresses again, in other letter cases


@pytest.fixture
def fresh(tmp_path):
    """A webinar on a brand-new SQLite file (gunicorn's processes share it, not the per-test one)."""
    database = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database)
    with app.app_context():
        db.create_all()
        webinar_id = make_webinar(capacity=CAPACITY).id
        db.session.commit()
        yield app, database, webinar_id
        db.session.remove()
        db.engine.dispose()


def test_simultaneous_registrations_never_overbook(fresh):
    app, database, webinar_id = fresh
    addresses = [f"personne{i}@example.org" for i in range(DISTINCT)]
    addresses += [a.upper() for a in addresses[:DUPLICATES]]
    requests = [Request("POST", f"/webinaires/{webinar_id}", form=registration_form(a), tag=a) for a in addresses]
    with GunicornServer(database, ready_path=f"/webinaires/{webinar_id}") as server:
        responses = fire(server.port, requests)
        server_log = server.log_tail()

    assert_no_server_error(responses, server_log)
    assert {r.status for r in responses} == {302}  # every request answered by a redirect (registered or "already")

    db.session.remove()  # a fresh transaction: an older snapshot would not see the server's writes
    rows = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    assert_rush_outcome(rows, DISTINCT, CAPACITY)
