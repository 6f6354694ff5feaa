"""Rate limits: named limits from the configuration, POST only, per client, French 429 page."""

from __future__ import annotations

import pytest
from flask import Blueprint

from app.ratelimits import LIMITS, limit
from config import Config

# Decorated once at import, as real blueprints are: Flask-Limiter keys its route limits by view name.
bp = Blueprint("essai_limites", __name__)


@bp.route("/essai-connexion", methods=["GET", "POST"])
@limit("login")
def essai_connexion():
    return "ok"


@bp.post("/essai-inscription")
@limit("registration")
def essai_inscription():
    return "inscrit"


@bp.post("/essai-mot-de-passe")
@limit("password_reset")
def essai_mot_de_passe():
    return "ok"


@pytest.fixture
def make_limited_app(make_app):
    """An app of the session's database with the limits on (they are off in tests) and the routes above."""

    def make(**overrides):
        settings = dict(
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_LOGIN="3 per minute",
            RATELIMIT_REGISTRATION="2 per minute",
        )
        settings.update(overrides)
        app = make_app(**settings)
        app.register_blueprint(bp)
        return app

    return make


@pytest.fixture
def limited_app(make_limited_app):
    return make_limited_app()


def test_every_named_limit_has_a_valid_default():
    from limits import parse_many

    for config_key in LIMITS.values():
        value = getattr(Config, config_key)
        assert parse_many(value), config_key
    assert Config.RATELIMIT_STORAGE_URI == "memory://" or Config.RATELIMIT_STORAGE_URI.startswith("redis")


def test_unknown_limit_name_is_refused():
    with pytest.raises(ValueError, match="Limite inconnue"):
        limit("inconnue")


def test_posts_beyond_the_limit_get_the_french_429_page(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.post("/essai-connexion").status_code == 200
    response = client.post("/essai-connexion")
    assert response.status_code == 429
    assert "Trop de demandes" in response.text
    assert "Patientez quelques minutes" in response.text
    assert response.headers["Content-Security-Policy"]


def test_get_is_not_counted(limited_app):
    client = limited_app.test_client()
    for _ in range(10):
        assert client.get("/essai-connexion").status_code == 200
    assert client.post("/essai-connexion").status_code == 200


def test_limits_are_per_client_address_and_per_name(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/essai-connexion", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert client.post("/essai-connexion", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    # Another visitor is not affected, nor another limited form of the same visitor.
    assert client.post("/essai-connexion", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200
    assert client.post("/essai-inscription", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


def test_behind_a_proxy_the_visitor_address_is_used(make_limited_app):
    client = make_limited_app(RATELIMIT_LOGIN="1 per minute", PROXY_FIX_X_FOR=1).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert (
        client.post("/essai-connexion", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"}).status_code
        == 200
    )
    assert (
        client.post("/essai-connexion", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"}).status_code
        == 429
    )
    assert (
        client.post("/essai-connexion", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.6"}).status_code
        == 200
    )


def test_the_429_page_says_when_to_retry(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/essai-connexion")
    response = client.post("/essai-connexion")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_redis_storage_down_falls_back_to_memory_without_failing_requests(make_limited_app):
    """Several instances share counters in Redis (RATELIMIT_STORAGE_URI); if Redis is unreachable, the
    site keeps answering and limits still apply, per instance, in memory."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app = make_limited_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port}/0", RATELIMIT_LOGIN="2 per minute")
    from app.extensions import limiter

    assert type(limiter.storage).__name__ == "RedisStorage"
    client = app.test_client()
    statuses = [client.post("/essai-connexion").status_code for _ in range(4)]
    assert 500 not in statuses
    assert statuses[:2] == [200, 200]
    assert 429 in statuses[2:]
