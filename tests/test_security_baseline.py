"""Security baseline: headers on every GET route, cookies, production configuration, CSRF."""

from __future__ import annotations

import re

import pytest
from flask import session

from app import create_app
from config import ProductionConfig

# Placeholder values for URL converters, so that every GET rule of the map can be requested.
CONVERTER_SAMPLES = {
    "IntegerConverter": 1,
    "FloatConverter": 1.0,
    "UUIDConverter": "00000000-0000-0000-0000-000000000000",
}


def sample_url(app, rule) -> str:
    values = {}
    for argument in rule.arguments:
        converter = rule._converters.get(argument)
        names = [cls.__name__ for cls in type(converter).__mro__]  # the site's converters extend Werkzeug's
        values[argument] = next((CONVERTER_SAMPLES[name] for name in names if name in CONVERTER_SAMPLES), "exemple")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def get_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]


def assert_security_headers(response, url):
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"pas de CSP sur {url}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    assert not re.search(r"https?://|\*", csp), f"origine tierce dans la CSP de {url} : {csp}"
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["frame-ancestors"] == "'none'", url
    assert directives["default-src"] == "'self'", url
    assert directives["script-src"] == "'self'", url
    assert directives["object-src"] == "'none'", url
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url


def test_every_get_route_sends_security_headers(app, client):
    rules = get_rules(app)
    assert len(rules) >= 10
    checked = []
    for rule in rules:
        url = sample_url(app, rule)
        response = client.get(url)
        assert response.status_code < 500, f"{url} → {response.status_code}"
        assert_security_headers(response, url)
        checked.append(url)
    assert "/" in checked and "/referents" in checked and "/healthz" in checked


def test_error_pages_and_assets_send_security_headers(app, client):
    for url in ["/introuvable", "/dsfr/1.15.3/dsfr.min.css", "/static/css/app.css"]:
        assert_security_headers(client.get(url), url)


def test_pages_have_no_inline_script_or_style(app, client):
    for rule in get_rules(app):
        if rule.arguments or rule.endpoint in ("static",):
            continue
        response = client.get(sample_url(app, rule))
        if response.mimetype != "text/html":
            continue
        html = response.text
        assert " style=" not in html, rule.rule
        assert "<style" not in html, rule.rule
        for script in re.findall(r"<script[^>]*>", html):
            assert "src=" in script, f"script en ligne sur {rule.rule}"
        assert not re.search(r"\son[a-z]+=\"", html), f"gestionnaire d'événement en ligne sur {rule.rule}"


def _session_app(app):
    @app.get("/test-session")
    def set_session():
        session["vu"] = True
        return "ok"

    return app


def test_session_cookie_is_httponly_and_lax(app):
    response = _session_app(app).test_client().get("/test-session")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development and tests


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "Xq3-vN8_kR2pLw7Zt5Hy1Mb9Cd4Fg6Js0Ae")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("ANTIVIRUS_ENABLED", "false")
    monkeypatch.delenv("DEV_MAIL_VIEWER", raising=False)
    return tmp_path


def test_production_session_cookie_is_secure(production_env):
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{production_env / 'prod.sqlite3'}")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug and not app.testing
    response = _session_app(app).test_client().get("/test-session", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_secrets(production_env, monkeypatch, missing):
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app(ProductionConfig)


def test_production_refuses_empty_secret(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def _csrf_test_app(app):
    from app.forms import BaseForm

    @app.route("/test-formulaire", methods=["GET", "POST"])
    def form_view():
        form = BaseForm()
        if form.validate_on_submit():
            return "accepté"
        return f'<form method="post"><input name="csrf_token" value="{form.csrf_token.current_token}"></form>'

    return app


def test_post_without_csrf_token_is_rejected_with_french_400(csrf_app):
    client = _csrf_test_app(csrf_app).test_client()
    response = client.post("/test-formulaire", data={"nom": "Dupont"})
    assert response.status_code == 400
    assert "Requête incorrecte" in response.text
    assert "Le formulaire a expiré ou n&#39;a pas pu être vérifié" in response.text
    assert_security_headers(response, "/test-formulaire")


def test_post_with_wrong_csrf_token_is_rejected(csrf_app):
    client = _csrf_test_app(csrf_app).test_client()
    client.get("/test-formulaire")
    response = client.post("/test-formulaire", data={"csrf_token": "faux"})
    assert response.status_code == 400


def test_post_with_valid_csrf_token_is_accepted(csrf_app):
    client = _csrf_test_app(csrf_app).test_client()
    page = client.get("/test-formulaire").text
    token = re.search(r'value="([^"]+)"', page).group(1)
    response = client.post("/test-formulaire", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.text == "accepté"
