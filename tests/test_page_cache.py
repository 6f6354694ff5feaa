"""Public pages cached for anonymous visitors only, never a page that sets a cookie."""

from __future__ import annotations

import pytest
from flask import flash, render_template_string

from app.page_cache import DEFAULT_ENDPOINTS, PageCache


@pytest.fixture
def cached_app(app):
    app.config["PAGE_CACHE_ENABLED"] = True
    app.extensions["page_cache"].clear()
    return app


def test_second_anonymous_visit_is_served_from_the_cache(cached_app):
    client = cached_app.test_client()
    first = client.get("/experimentation-ess")
    second = client.get("/experimentation-ess")
    assert first.status_code == second.status_code == 200
    assert "X-Cache" not in first.headers
    assert second.headers["X-Cache"] == "HIT"
    assert second.data == first.data
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.mimetype == "text/html"
    assert client.head("/experimentation-ess").headers["X-Cache"] == "HIT"
    assert client.head("/experimentation-ess").data == b""


def test_query_string_is_part_of_the_key(cached_app):
    client = cached_app.test_client()
    client.get("/referents?q=33")
    other = client.get("/referents?q=75")
    assert "X-Cache" not in other.headers
    assert client.get("/referents?q=33").headers["X-Cache"] == "HIT"


def test_host_header_is_part_of_the_key(cached_app):
    client = cached_app.test_client()
    client.get("/agence", headers={"Host": "pirate.example"})
    assert "X-Cache" not in client.get("/agence").headers
    assert client.get("/agence").headers["X-Cache"] == "HIT"


def test_visitor_with_a_session_is_never_served_from_the_cache(cached_app):
    client = cached_app.test_client()
    client.get("/agence")
    assert client.get("/agence").headers.get("X-Cache") == "HIT"
    client.set_cookie(cached_app.config["SESSION_COOKIE_NAME"], "quelque-chose")
    assert "X-Cache" not in client.get("/agence").headers


def test_pages_that_set_a_cookie_are_not_stored(cached_app):
    @cached_app.get("/essai-formulaire")
    def essai_formulaire():
        flash("Bonjour")  # writes the session: Set-Cookie
        return render_template_string("<p>page</p>")

    cached_app.config["PAGE_CACHE_ENDPOINTS"] = {"essai_formulaire": 60}
    client = cached_app.test_client()
    assert "Set-Cookie" in client.get("/essai-formulaire").headers
    fresh = cached_app.test_client()
    assert "X-Cache" not in fresh.get("/essai-formulaire").headers
    assert len(cached_app.extensions["page_cache"]) == 0


def test_pages_not_listed_and_posts_are_not_cached(cached_app):
    client = cached_app.test_client()
    client.get("/healthz")
    assert "X-Cache" not in client.get("/healthz").headers
    assert "public.healthz" not in DEFAULT_ENDPOINTS
    assert not any(endpoint.startswith(("backoffice.", "auth.", "applications.")) for endpoint in DEFAULT_ENDPOINTS)


def test_disabled_by_default_in_tests(app, client):
    client.get("/agence")
    assert "X-Cache" not in client.get("/agence").headers


def test_entries_expire_and_the_cache_is_bounded(monkeypatch):
    import app.page_cache as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    cache = PageCache(max_entries=2)
    cache.put("/a", 10, "200 OK", [("Content-Type", "text/html")], b"a")
    assert cache.get("/a") == ("200 OK", [("Content-Type", "text/html")], b"a")
    now[0] += 11
    assert cache.get("/a") is None
    cache.put("/a", 10, "200 OK", [], b"a")
    cache.put("/b", 10, "200 OK", [], b"b")
    cache.get("/a")  # /a recently used: /b is the one dropped
    cache.put("/c", 10, "200 OK", [], b"c")
    assert cache.get("/b") is None and cache.get("/a") and cache.get("/c")
