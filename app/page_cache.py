"""A small in-process cache of public pages for anonymous visitors.

Rendering a DSFR page costs 5 to 12 ms of CPU (Jinja, 100 départements on the ESS map, webinar
lists); a burst after a newsletter asks for the same few pages thousands of times. Each worker keeps
the HTML of the pages listed in ``PAGE_CACHE_ENDPOINTS`` ({endpoint: seconds}) for that many seconds.

Only what is the same for everybody is cached, so a page is served from the cache only if:
- the request is a GET/HEAD without the session cookie (no flash message, no login, no form state);
- the page was a 200 ``text/html`` answer that set no cookie (a page rendering a CSRF token puts it
  in the session, hence sets the cookie, hence is never stored).
The key is the full path with its query string; at most ``PAGE_CACHE_MAX_ENTRIES`` pages are kept
(least recently used dropped). Security headers are added again on every answer (after_request).
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
        self._entries: OrderedDict[str, tuple[float, int, str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[int, str, bytes] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, status, content_type, body = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return status, content_type, body

    def put(self, key: str, seconds: float, status: int, content_type: str, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, status, content_type, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _lifetime() -> int | None:
    if not current_app.config.get("PAGE_CACHE_ENABLED") or request.method not in ("GET", "HEAD"):
        return None
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return None
    endpoints = current_app.config.get("PAGE_CACHE_ENDPOINTS") or DEFAULT_ENDPOINTS
    return endpoints.get(request.endpoint or "")


def init_app(app: Flask) -> None:
    cache = PageCache(app.config.get("PAGE_CACHE_MAX_ENTRIES", 500))
    app.extensions["page_cache"] = cache

    @app.before_request
    def serve_cached_page():
        if not _lifetime():
            return None
        hit = cache.get(request.full_path)
        if hit is None:
            return None
        status, content_type, body = hit
        response = Response(body, status=status, content_type=content_type)
        response.headers["X-Cache"] = "HIT"
        return response

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
            and "X-Cache" not in response.headers
            and not response.direct_passthrough
        ):
            cache.put(request.full_path, lifetime, response.status_code, response.content_type, response.get_data())
        return response
