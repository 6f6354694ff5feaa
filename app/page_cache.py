"""A small in-process cache of public pages for anonymous visitors.

Rendering a DSFR page is the bulk of a public request's CPU (Jinja, 100 départements on the ESS map,
webinar lists); a burst after a newsletter asks for the same few pages thousands of times. Each worker keeps
the HTML of the pages listed in ``PAGE_CACHE_ENDPOINTS`` ({endpoint: seconds}) for that many seconds.

Only what is the same for everybody is cached, so a page is served from the cache only if:
- the request is a GET/HEAD without the session cookie (no flash message, no login, no form state);
- the page was a 200 ``text/html`` answer that set no cookie (a page rendering a CSRF token puts it
  in the session, hence sets the cookie, hence is never stored).
The key is the full path with its query string; at most ``PAGE_CACHE_MAX_ENTRIES`` pages are kept
(least recently used dropped). A hit is answered by a WSGI layer in front of Flask with the stored
status, headers (security headers included) and body: no request context is built.
Pages showing live figures (seats left) use a short lifetime; a registration itself always checks
the real count under a lock. ``PAGE_CACHE_ENABLED`` is off in tests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, request, session

# Pages that only change with a release: 5 minutes. Pages listing webinars and seats: 10 seconds.
DEFAULT_ENDPOINTS = {
    "public.agency": 300,
    "public.ess_experimentation": 300,
    "public.hosting": 300,
    "public.referents": 300,
    "public.legal_notice": 300,
    "public.personal_data": 300,
    "public.accessibility": 300,
    "public.sitemap": 300,
    "public.index": 10,
    "webinars.index": 10,
}


class PageCache:
    def __init__(self, max_entries: int = 500):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, str, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, list, bytes] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, status, headers, body = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return status, headers, body

    def put(self, key: str, seconds: float, status: str, headers: list, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, status, headers, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _lifetime() -> int | None:
    if not current_app.config.get("PAGE_CACHE_ENABLED") or request.method != "GET":
        return None
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return None
    endpoints = current_app.config.get("PAGE_CACHE_ENDPOINTS") or DEFAULT_ENDPOINTS
    return endpoints.get(request.endpoint or "")


ENVIRON_KEY = "tig.page_cache_seconds"


class PageCacheMiddleware:
    """WSGI layer in front of Flask: a hit is answered with the stored status, headers (security
    headers included) and body, without building a request context; a miss goes through Flask, and
    the answer is stored when Flask marked it cacheable (``store_page`` below)."""

    def __init__(self, wsgi_app, app: Flask, cache: PageCache):
        self.wsgi_app = wsgi_app
        self.app = app
        self.cache = cache

    def __call__(self, environ, start_response):
        config = self.app.config
        method = environ.get("REQUEST_METHOD")
        if not config.get("PAGE_CACHE_ENABLED") or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        if f"{config['SESSION_COOKIE_NAME']}=" in environ.get("HTTP_COOKIE", ""):
            return self.wsgi_app(environ, start_response)
        # The host is part of the key: a page built with absolute URLs from a forged Host header must
        # never be served to other visitors.
        # The accepted encodings too: the body stored is compressed for them (Vary: Accept-Encoding).
        key = (
            f"{environ.get('wsgi.url_scheme')}://{environ.get('HTTP_HOST', '')}{environ.get('SCRIPT_NAME', '')}"
            f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}|{environ.get('HTTP_ACCEPT_ENCODING', '')}"
        )
        hit = self.cache.get(key)
        if hit is not None:
            status, headers, body = hit
            start_response(status, [*headers, ("X-Cache", "HIT")])
            return [b"" if method == "HEAD" else body]

        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        seconds = environ.get(ENVIRON_KEY)
        if not seconds:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = captured.get("headers") or []
        if captured.get("status", "").startswith("200") and not any(k.lower() == "set-cookie" for k, _ in headers):
            self.cache.put(key, seconds, captured["status"], list(headers), body)
        return [body]


def init_app(app: Flask) -> None:
    cache = PageCache(app.config.get("PAGE_CACHE_MAX_ENTRIES", 500))
    app.extensions["page_cache"] = cache
    app.wsgi_app = PageCacheMiddleware(app.wsgi_app, app, cache)

    @app.after_request
    def store_page(response: Response):
        lifetime = _lifetime()
        if (
            lifetime
            and response.status_code == 200
            and response.mimetype == "text/html"
            and "Set-Cookie" not in response.headers
            and not session.modified  # the cookie itself is written after this hook
            and not session
            and not response.direct_passthrough
        ):
            request.environ[ENVIRON_KEY] = lifetime  # the middleware stores the finished answer
        return response
