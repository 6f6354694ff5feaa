"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus a database per test.

Back office: ``auth`` (see ``AuthActions`` below) logs a référent in: ``auth.login_as(make_referent(...))``
for speed, ``auth.login(email, password)`` through the real form, ``auth.logout()``.
"""

from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from tests.database import DatabaseProvider, DatabaseUnavailable, requested_backend


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql_only`` are deselected (not skipped) in the SQLite pass of ``make test``:
    the PostgreSQL pass runs them."""
    if requested_backend() == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgresql_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def test_database():
    """SQLite by default; PostgreSQL with TEST_DB=postgresql or TEST_DATABASE_URL (tests/database.py)."""
    provider = DatabaseProvider()
    try:
        provider.start()
    except DatabaseUnavailable as error:
        pytest.fail(f"PostgreSQL demandé mais indisponible : {error}", pytrace=False)
    yield provider
    provider.stop()


@pytest.fixture
def make_app(tmp_path, test_database):
    """Factory of apps on the session's database (SQLite, or PostgreSQL with TEST_DB=postgresql), with
    settings on top of TestingConfig: ``make_app(RATELIMIT_ENABLED=True, ...)``. Each app's context stays
    pushed, over empty tables, until the end of the test."""
    contexts = []

    def make(**overrides):
        settings = dict(
            SQLALCHEMY_DATABASE_URI=test_database.url_for_test(tmp_path),
            UPLOAD_FOLDER=str(tmp_path / "uploads"),
        )
        settings.update(overrides)
        app = create_app(TestingConfig, **settings)
        context = app.app_context()
        context.push()
        contexts.append(context)
        test_database.prepare(_db)  # tests only (create_all / truncate); real databases use the migrations
        return app

    yield make
    for context in reversed(contexts):
        _db.session.remove()
        _db.engine.dispose()
        context.pop()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


class AuthActions:
    """Back-office login helper (flaskr style), from the ``auth`` fixture:

    - ``auth.login(email, password)``: POST the real login form (returns the response);
    - ``auth.login_as(referent)``: put a logged-in session in the client's cookie directly (fast,
      skips the password and TOTP steps; the referent must be committed or flushed);
    - ``auth.logout()``: POST the logout form.
    """

    def __init__(self, client):
        self._client = client

    def login(self, email, password=None, follow_redirects=False, next=None):
        from tests.factories import DEFAULT_PASSWORD

        url = "/espace-referent/connexion" + (f"?next={next}" if next else "")
        return self._client.post(
            url,
            data={"email": email, "password": password if password is not None else DEFAULT_PASSWORD},
            follow_redirects=follow_redirects,
        )

    def login_as(self, referent):
        from app.auth.session import start_session
        from app.extensions import db as database

        database.session.commit()  # the request runs in its own session: it must see the account
        with self._client.session_transaction() as session:
            start_session(session, referent)

    def logout(self, follow_redirects=False):
        return self._client.post("/espace-referent/deconnexion", follow_redirects=follow_redirects)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(scope="session")
def clamd_server():
    """A real clamd for the session (tests/servers/clamd.py); missing or failing: the test fails, never skips."""
    from tests.servers.clamd import ClamdServer, ClamdUnavailable

    server = ClamdServer()
    try:
        server.start()
    except ClamdUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server for the session (``rclone serve s3``, tests/servers/s3.py)."""
    from tests.servers.s3 import S3Server, S3Unavailable

    server = S3Server()
    try:
        server.start()
    except S3Unavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def registry_api():
    """The API Recherche d'entreprises played by a local HTTP server (tests/registry_api.py)."""
    from tests.registry_api import RegistryApiServer

    with RegistryApiServer(slow_seconds=30) as server:
        yield server


@pytest.fixture
def registry(app, registry_api):
    """Lookups switched on against the local server (a fresh client, breaker and cache per test)."""
    registry_api.requests.clear()
    app.config.update(
        COMPANY_LOOKUP_ENABLED=True,
        COMPANY_LOOKUP_URL=registry_api.url,
        COMPANY_LOOKUP_TIMEOUT_SECONDS=2.0,
    )
    return registry_api


@pytest.fixture
def redis_server():
    """A real redis-server of its own for the test (tests/servers/redis.py), which the test may stop and
    start again; missing or failing: the test fails, never skips."""
    from tests.servers.redis import RedisServer, RedisUnavailable

    server = RedisServer()
    try:
        server.start()
    except RedisUnavailable as error:
        server.close()
        pytest.fail(str(error), pytrace=False)
    yield server
    server.close()
