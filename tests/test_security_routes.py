"""Generic route security, walking ``app.url_map`` so that routes added later are covered too.

- every POST route rejects a request without CSRF token (French 400 page, security headers), but the
  applicant's own forms, which check their token themselves to show the typed values back: those change
  nothing and say why in French (``tests/test_nothing_typed_lost.py`` posts them with real data);
- every back-office route (``backoffice.*`` and everything under ``/espace-referent/`` but the
  public login/reset pages) refuses an anonymous visitor, for every method, without touching data;
- the development mail viewer does not exist in production.

The GET-route headers and CSP checks live in ``tests/test_security_baseline.py`` (helpers reused).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import csrf
from config import ProductionConfig
from tests.test_security_baseline import assert_security_headers, sample_url

BACKOFFICE_PREFIX = "/espace-referent/"
# Pages of the back-office area an anonymous visitor must reach: signing in and recovering access.
PUBLIC_AUTH_ENDPOINTS = {
    "auth.login",
    "auth.login_code",  # without a pending login it sends back to the login page (checked below)
    "auth.forgot_password",
    "auth.reset_password",
    "auth.accept_invitation",
    "auth.logout",
}


# Views exempted from the blanket check because a refused token must give the typed values back (the
# draft's private link, or nothing at all, is what they trust): each checks its form's token itself.
KEEP_ON_LOST_SESSION = {"applications.start", "applications.step", "applications.reply", "webinars.detail"}


def exempted_endpoints(app) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }


def post_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def protected_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if (rule.endpoint.startswith("backoffice.") or rule.rule.startswith(BACKOFFICE_PREFIX))
        and rule.endpoint not in PUBLIC_AUTH_ENDPOINTS
    ]


def test_only_the_applicants_forms_check_their_token_themselves(app):
    assert exempted_endpoints(app) == KEEP_ON_LOST_SESSION


def assert_token_refused(response, rule, url: str, label: str) -> None:
    if rule.endpoint in KEEP_ON_LOST_SESSION:
        # The form back with a French message (or the sample address does not exist): never accepted.
        assert response.status_code in (200, 404), f"POST {url} {label} → {response.status_code}"
        if response.status_code == 200:
            assert "expiré" in response.text or "pas encore enregistrées" in response.text, url
    else:
        assert response.status_code == 400, f"POST {url} {label} → {response.status_code}"
        assert "Requête incorrecte" in response.text, url
        assert "Le formulaire a expiré" in response.text, url


def test_every_post_route_rejects_a_missing_csrf_token(csrf_app, db):
    client = csrf_app.test_client()
    rules = post_rules(csrf_app)
    assert len(rules) >= 5, [rule.rule for rule in rules]
    before = _database_snapshot(db)
    for rule in rules:
        url = sample_url(csrf_app, rule)
        response = client.post(url, data={"email": "x@example.org", "password": "x"})
        assert_token_refused(response, rule, url, "sans jeton CSRF")
        assert_security_headers(response, url)
    assert _database_snapshot(db) == before, "une requête sans jeton a modifié la base"


def test_every_post_route_rejects_a_forged_csrf_token(csrf_app, db):
    client = csrf_app.test_client()
    client.get("/")  # a session exists, the token does not match it
    before = _database_snapshot(db)
    for rule in post_rules(csrf_app):
        url = sample_url(csrf_app, rule)
        response = client.post(url, data={"csrf_token": "jeton-contrefait"})
        assert_token_refused(response, rule, url, "avec un faux jeton")
    assert _database_snapshot(db) == before, "une requête au jeton contrefait a modifié la base"


def _database_snapshot(db) -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
    db.session.rollback()
    return counts


def assert_refused(response, url: str) -> None:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        assert "/espace-referent/connexion" in location, f"{url} → redirigé vers {location}"
    else:
        assert response.status_code in (401, 403, 404), f"{url} → {response.status_code} pour un anonyme"


def test_every_backoffice_route_refuses_an_anonymous_visitor(app, client, db):
    rules = protected_rules(app)
    assert len(rules) >= 3, [rule.rule for rule in rules]
    before = _database_snapshot(db)
    checked = 0
    for rule in rules:
        url = sample_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"email": "x@example.org", "body": "essai"})
            assert_refused(response, f"{method} {url}")
            assert_security_headers(response, url)
            checked += 1
    assert checked >= len(rules)
    assert _database_snapshot(db) == before, "une requête anonyme a modifié la base"


def test_login_redirect_keeps_the_requested_page(app, client):
    rules = [rule for rule in protected_rules(app) if "GET" in rule.methods and not rule.arguments]
    assert rules
    for rule in rules:
        url = sample_url(app, rule)
        response = client.get(url)
        assert response.status_code in (302, 303), url
        assert "/espace-referent/connexion" in response.headers["Location"], url


def test_totp_step_without_pending_login_goes_back_to_login(app, client):
    if "auth.login_code" not in {rule.endpoint for rule in app.url_map.iter_rules()}:
        pytest.fail("la route auth.login_code a disparu : mettre à jour PUBLIC_AUTH_ENDPOINTS")
    response = client.get("/espace-referent/connexion/code")
    assert_refused(response, "/espace-referent/connexion/code")


def test_dev_mail_viewer_does_not_exist_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "Xq3-vN8_kR2pLw7Zt5Hy1Mb9Cd4Fg6Js0Ae")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("ANTIVIRUS_ENABLED", "false")
    monkeypatch.delenv("DEV_MAIL_VIEWER", raising=False)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/dev/"):
            url = sample_url(app, rule)
            assert client.get(url, base_url="https://localhost").status_code == 404, url
