"""Login throttling and one-time codes attacked for real: simultaneous HTTP requests to a multi-process
gunicorn, on a fresh database of the session's kind (SQLite, or PostgreSQL in the second pass).

- the same TOTP code sent by four sessions at the same instant logs in exactly once;
- twenty simultaneous wrong passwords are all written down, and only LOGIN_MAX_FAILURES of them get
  their password checked (the others are refused as locked);
- the owner, on a browser that has already logged in, is not locked out by someone else's wrong
  passwords, while that browser's own failures still lock it.
"""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
import sqlalchemy as sa

from app import create_app
from app.auth.devices import COOKIE_NAME as DEVICE_COOKIE
from app.auth.models import LoginAttempt
from app.extensions import db
from config import TestingConfig
from tests.factories import DEFAULT_PASSWORD, make_referent
from tests.servers.gunicorn import GunicornServer, Request, assert_no_server_error, fire, request

LOGIN = "/espace-referent/connexion"
CODE = "/espace-referent/connexion/code"
DASHBOARD = "/espace-referent/"
EMAIL = "cible@justice.fr"


@pytest.fixture
def fresh(tmp_path, test_database):
    """An app on a brand-new database that gunicorn's processes share (not the per-test one)."""
    name = None
    if test_database.is_postgresql:
        name = f"tig_login_{uuid.uuid4().hex[:10]}"
        url = test_database.create_database(name)
    else:
        url = f"sqlite:///{tmp_path / 'login.sqlite3'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        yield url
        db.session.remove()
        db.engine.dispose()
    if name:
        admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def login_form(password: str) -> dict:
    return {"email": EMAIL, "password": password}


def attempts() -> list[LoginAttempt]:
    db.session.remove()  # a fresh transaction: see what the server wrote
    return list(db.session.scalars(sa.select(LoginAttempt).where(LoginAttempt.email == EMAIL)))


def test_the_same_totp_code_from_four_sessions_logs_in_once(fresh):
    secret = pyotp.random_base32()
    make_referent(email=EMAIL, totp_secret=secret)
    db.session.commit()
    totp = pyotp.TOTP(secret)
    with GunicornServer(fresh, ready_path=LOGIN, env={"LOGIN_MAX_FAILURES": "100"}, workers=2, threads=8) as server:
        # three rounds, one per time step the server accepts (previous, current, next: clock drift)
        for offset in (-30, 0, 30):
            sessions = []
            for _ in range(4):
                step1 = request(server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD)))
                assert step1.status == 302 and step1.location.endswith(CODE), step1
                sessions.append(cookie_header(step1.cookies))
            code = totp.at(time.time() + offset)
            responses = fire(
                server.port, [Request("POST", CODE, form={"code": code}, cookie=cookie) for cookie in sessions]
            )
            assert_no_server_error(responses, server.log_tail())
            logged_in = [r for r in responses if r.status == 302 and r.location.endswith(DASHBOARD)]
            refused = [r for r in responses if r.status == 200 and "Code incorrect" in r.body.decode()]
            assert len(logged_in) == 1, [(r.status, r.location) for r in responses]
            assert len(refused) == 3


def test_twenty_simultaneous_wrong_passwords_are_all_counted(fresh):
    make_referent(email=EMAIL)
    db.session.commit()
    env = {"LOGIN_MAX_FAILURES": "5", "LOGIN_MAX_FAILURES_PER_IP": "1000"}
    with GunicornServer(fresh, ready_path=LOGIN, env=env, workers=2, threads=8) as server:
        responses = fire(server.port, [Request("POST", LOGIN, form=login_form(f"mauvais-{i}")) for i in range(20)])
        assert_no_server_error(responses, server.log_tail())
        checked = [r for r in responses if r.status == 200 and "mot de passe incorrect" in r.body.decode()]
        locked = [r for r in responses if r.status == 429 and "Trop de tentatives" in r.body.decode()]
        assert (len(checked), len(locked)) == (5, 15), [r.status for r in responses]
        rows = attempts()
        assert len(rows) == 20  # every attempt written down
        assert sum(not row.blocked for row in rows) == 5 and not any(row.succeeded for row in rows)
        # the account is locked now, even for the right password from a browser never seen before
        right = request(server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD)))
        assert right.status == 429


def test_the_owner_on_a_known_browser_is_not_locked_out(fresh):
    make_referent(email=EMAIL)
    db.session.commit()
    env = {"LOGIN_MAX_FAILURES": "5", "LOGIN_MAX_FAILURES_PER_IP": "1000"}
    with GunicornServer(fresh, ready_path=LOGIN, env=env, workers=2, threads=8) as server:
        first = request(server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD)))
        assert first.status == 302 and first.location.endswith(DASHBOARD)
        device = {DEVICE_COOKIE: first.cookies[DEVICE_COOKIE]}

        # someone else hammers the account with wrong passwords
        attack = fire(server.port, [Request("POST", LOGIN, form=login_form(f"devine-{i}")) for i in range(12)])
        assert_no_server_error(attack, server.log_tail())
        assert request(server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD))).status == 429

        # the owner's browser still logs in
        owner = request(
            server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD), cookie=cookie_header(device))
        )
        assert owner.status == 302 and owner.location.endswith(DASHBOARD), owner
        page = request(server.port, Request("GET", DASHBOARD, cookie=cookie_header(owner.cookies)))
        assert page.status == 200

        # that browser has a lock of its own: a stolen cookie gives no unlimited guesses
        guesses = fire(
            server.port,
            [Request("POST", LOGIN, form=login_form(f"vol-{i}"), cookie=cookie_header(device)) for i in range(8)],
        )
        assert sorted(r.status for r in guesses) == [200] * 5 + [429] * 3
        again = request(
            server.port, Request("POST", LOGIN, form=login_form(DEFAULT_PASSWORD), cookie=cookie_header(device))
        )
        assert again.status == 429
