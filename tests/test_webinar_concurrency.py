"""Many simultaneous registrations through real HTTP requests to a multi-worker gunicorn server:
exactly N confirmed, the others waiting in arrival order, no duplicate, no 5xx."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.webinars.models import Registration, RegistrationStatus
from config import TestingConfig
from tests.factories import make_webinar

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CAPACITY = 10
DISTINCT = 56
DUPLICATES = 6  # the same addresses again, in other letter cases


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    database = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database)
    with app.app_context():
        db.create_all()
        webinar_id = make_webinar(capacity=CAPACITY).id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    env = dict(os.environ, TEST_SERVER_DATABASE_URI=database, APP_ENV="testing")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "4", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "tests.servers.app_factory:create()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", f"/webinaires/{webinar_id}")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "gunicorn ne répond pas"
            time.sleep(0.3)
        yield port, webinar_id, app
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()


def post_registration(port: int, webinar_id: int, address: str) -> int:
    body = urllib.parse.urlencode(
        {
            "last_name": "Test", "first_name": "Charge", "email": address, "email_confirmation": address,
            "structure_name": "Structure", "structure_type": "association", "departement": "33",
            "role": "Bénévole", "consent": "y",
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "POST", f"/webinaires/{webinar_id}", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    return connection.getresponse().status


def test_simultaneous_registrations_never_overbook(server):
    port, webinar_id, app = server
    addresses = [f"personne{i}@example.org" for i in range(DISTINCT)]
    addresses += [a.upper() for a in addresses[:DUPLICATES]]
    barrier = threading.Barrier(len(addresses))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def fire(address):
        try:
            barrier.wait(30)
            statuses.append(post_registration(port, webinar_id, address))
        except BaseException as error:  # pragma: no cover - shown below
            errors.append(error)

    threads = [threading.Thread(target=fire, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors, errors[:3]
    assert len(statuses) == len(addresses)
    assert all(status < 500 for status in statuses), sorted(statuses)
    assert set(statuses) == {302}  # every request answered by a redirect (registered or "already")

    with app.app_context():
        rows = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
        active = [r for r in rows if r.status is not RegistrationStatus.CANCELLED]
        assert len(active) == DISTINCT  # duplicates refused
        assert len({r.email_normalized for r in active}) == DISTINCT
        confirmed = [r for r in active if r.status is RegistrationStatus.CONFIRMED]
        waiting = [r for r in active if r.status is RegistrationStatus.WAITING]
        assert len(confirmed) == CAPACITY
        assert len(waiting) == DISTINCT - CAPACITY
        # Arrival order: every confirmed registration came before every waiting one, and the
        # waiting positions follow the order in which the server took them.
        assert max(r.id for r in confirmed) < min(r.id for r in waiting)
        assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
        assert [r.waiting_position for r in waiting] == list(range(1, len(waiting) + 1))
        db.session.remove()
        db.engine.dispose()
