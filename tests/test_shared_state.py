"""What several app servers share outside the database: rate-limit counters in a real Redis
(``redis-server``, tests/servers/redis.py) — kept across a restart, still applied when Redis stops or
stops answering, never a 500 — and ``/healthz`` over the database, Redis and the file storage.

The two-instance proof (two gunicorn servers on one Redis) is tests/test_two_instances.py."""

from __future__ import annotations

import socket
import threading

import pytest
from flask import Blueprint

from app import create_app
from app.ratelimits import limit
from config import TestingConfig
from tests.test_security_baseline import sample_url

bp = Blueprint("essai_redis", __name__)


@bp.post("/essai-redis")
@limit("login")
def essai_redis():
    return "ok"


@pytest.fixture
def make_redis_app(make_app):
    """An app of the session's database with the limits on, counted in ``uri``, and the route above."""

    def make(uri: str, **overrides):
        settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=uri, RATELIMIT_LOGIN="3 per minute")
        settings.update(overrides)
        app = make_app(**settings)
        app.register_blueprint(bp)
        return app

    return make


def silent_port():
    """A port that accepts TCP connections (kernel backlog) and never answers: a frozen Redis host."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def answered_within(call, seconds: float = 60):
    """``call()``'s result; fails instead of hanging the suite when it does not return at all."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, "la requête ne répond pas : elle attend Redis sans délai maximal"
    return result[0]


# --- counters in Redis --------------------------------------------------------------------------------


def test_counters_live_in_redis_and_outlast_the_instance(make_redis_app, redis_server):
    client = make_redis_app(redis_server.url).test_client()
    assert [client.post("/essai-redis").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert any("essai_redis" in key or "login" in key for key in redis_server.stored_keys())
    # A new instance (a restart, or the other server) on the same Redis: the count goes on.
    other = make_redis_app(redis_server.url).test_client()
    assert other.post("/essai-redis").status_code == 429


def test_limit_storage_options_give_redis_a_timeout_only_when_redis_is_used(make_app, redis_server):
    app = make_app(RATELIMIT_STORAGE_URI=redis_server.url, REDIS_TIMEOUT_SECONDS=0.5)
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    assert "RATELIMIT_STORAGE_OPTIONS" not in make_app(RATELIMIT_STORAGE_URI="memory://").config


# --- Redis down ---------------------------------------------------------------------------------------


def post_everywhere(app) -> dict[str, int]:
    """POST an empty form to every URL of the URL map that takes POST: {endpoint: status}."""
    client = app.test_client()
    return {
        rule.endpoint: client.post(sample_url(app, rule)).status_code
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.endpoint.startswith(f"{bp.name}.")
    }


def test_redis_stopped_the_site_keeps_serving_and_the_limits_hold(make_redis_app, redis_server):
    app = make_redis_app(redis_server.url, RATELIMIT_LOGIN="2 per minute", PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    assert client.post("/essai-redis").status_code == 200
    redis_server.stop()

    # Limits counted in this process's memory from now on: never a 500, never open wide.
    statuses = [client.post("/essai-redis").status_code for _ in range(4)]
    assert 500 not in statuses and 429 in statuses, statuses
    assert client.get("/").status_code == 200
    # Every form of the site, the limited ones among them, answers without a server error.
    every_post = post_everywhere(app)
    assert {"auth.login", "auth.forgot_password", "webinars.detail"} <= set(every_post)
    assert not {endpoint: status for endpoint, status in every_post.items() if status >= 500}

    down = client.get("/healthz")
    assert down.status_code == 200  # the instance still serves: the load balancer keeps it
    assert down.get_json() == {"status": "dégradé", "database": "ok", "redis": "indisponible", "storage": "ok"}

    redis_server.start()  # back, on the same address
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_redis_that_stops_answering_does_not_hold_the_requests(make_redis_app):
    with silent_port() as frozen:
        port = frozen.getsockname()[1]
        app = make_redis_app(f"redis://127.0.0.1:{port}/0", REDIS_TIMEOUT_SECONDS=1, PROPAGATE_EXCEPTIONS=False)
        client = app.test_client()
        statuses = answered_within(lambda: [client.post("/essai-redis").status_code for _ in range(5)])
        assert 500 not in statuses and 429 in statuses, statuses


def test_healthz_gives_up_on_a_component_after_its_timeout(make_redis_app):
    with silent_port() as frozen:
        port = frozen.getsockname()[1]
        # Redis's own timeout longer than the health check's: the health check's deadline decides. Limits
        # off: Flask-Limiter (one object per process) may still hold "storage down" from an earlier test,
        # and would then try Redis again inside this request, waiting for Redis's own timeout.
        app = make_redis_app(
            f"redis://127.0.0.1:{port}/0", REDIS_TIMEOUT_SECONDS=30, HEALTHZ_TIMEOUT_SECONDS=2, RATELIMIT_ENABLED=False
        )
        response = answered_within(lambda: app.test_client().get("/healthz"), 25)
        assert response.get_json()["redis"] == "délai dépassé"
        assert response.get_json()["status"] in ("dégradé", "indisponible")


# --- /healthz -----------------------------------------------------------------------------------------


def test_healthz_checks_database_redis_and_bucket(make_redis_app, redis_server, s3_server):
    app = make_redis_app(redis_server.url, **s3_server.app_config())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok", "storage": "ok"}


def test_healthz_with_the_bucket_unreachable_is_degraded(make_redis_app, redis_server, s3_server):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    config = s3_server.app_config() | {"S3_ENDPOINT_URL": f"http://127.0.0.1:{closed.getsockname()[1]}"}
    closed.close()
    response = make_redis_app(redis_server.url, **config).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "dégradé", "database": "ok", "redis": "ok", "storage": "indisponible"}


def test_healthz_with_the_database_unreachable_is_503(tmp_path, redis_server):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://tig@127.0.0.1:{port}/tig?connect_timeout=3",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        RATELIMIT_STORAGE_URI=redis_server.url,
        HEALTHZ_TIMEOUT_SECONDS=10,
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503  # this instance can serve nothing: out of the load balancer
    assert response.get_json() == {"status": "indisponible", "database": "indisponible", "redis": "ok", "storage": "ok"}
