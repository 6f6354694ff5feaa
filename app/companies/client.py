"""A small client of the API Recherche d'entreprises that never holds a page up for long.

- One ``httpx.Client`` per application (connection reuse), a timeout of a few seconds for the whole
  exchange, a ``User-Agent`` naming the site, answers read up to a size cap.
- HTTP 429: the ``Retry-After`` delay is respected — no request leaves before it is over.
- A circuit breaker: after ``failures_to_open`` failures in a row (timeout, refused connection, 5xx,
  unreadable answer) the API is not called for ``open_seconds``; then one trial request decides.
  While open, a lookup fails at once, so a machine without network (or an API down) costs a page
  nothing once the breaker has opened.

The breaker is written here rather than taken from pybreaker: pybreaker holds its lock for the whole
guarded call, so the threads of a worker would queue behind one request hanging until its timeout, and
neither it nor the ``circuitbreaker`` package can stay open for a delay the server gives (Retry-After).
State is per process (each gunicorn worker learns on its own, in a few requests at most).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from flask import current_app

SEARCH_PATH = "/search"
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# A server's Retry-After is obeyed up to this (a broken header must not switch the lookup off for days).
MAX_RETRY_AFTER_SECONDS = 3600.0
DEFAULT_RETRY_AFTER_SECONDS = 5.0


class RegistryUnavailable(Exception):
    """The API could not answer now; ``str(error)`` says why (for the logs, not for the public)."""


class CircuitBreaker:
    """Closed → (N failures in a row) → open for ``open_seconds`` → one trial → closed or open again.

    ``hold_off(seconds)`` keeps it shut for a delay given by the server (Retry-After) without counting a
    failure. Thread-safe; the lock is held only to read or change the state, never during a request."""

    def __init__(self, failures_to_open: int, open_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.failures_to_open = max(1, failures_to_open)
        self.open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._closed_until = 0.0  # no request before this instant (open breaker or Retry-After)
        self._trial_running = False

    def before_request(self) -> None:
        """Raise RegistryUnavailable when no request may leave now."""
        with self._lock:
            now = self._clock()
            if now < self._closed_until:
                raise RegistryUnavailable(f"appels suspendus encore {self._closed_until - now:.0f} s")
            if self._failures >= self.failures_to_open:
                if self._trial_running:
                    raise RegistryUnavailable("une requête d'essai est en cours")
                self._trial_running = True  # half-open: this request is the trial

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial_running = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._failures >= self.failures_to_open:
                self._closed_until = self._clock() + self.open_seconds

    def hold_off(self, seconds: float) -> None:
        with self._lock:
            self._trial_running = False
            self._closed_until = max(self._closed_until, self._clock() + seconds)

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._clock() < self._closed_until


def retry_after_seconds(value: str | None, now: float | None = None) -> float:
    """Seconds to wait from a Retry-After header (delay in seconds or HTTP date), capped."""
    text = (value or "").strip()
    seconds: float | None = None
    if text.isdigit():
        seconds = float(text)
    elif text:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds is None:
        seconds = DEFAULT_RETRY_AFTER_SECONDS
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class RegistryClient:
    def __init__(
        self,
        base_url: str,
        timeout: float,
        user_agent: str,
        breaker: CircuitBreaker,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.breaker = breaker
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
            transport=transport,
        )

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        """The JSON answer of ``GET /search`` (a dict with a ``results`` list), or RegistryUnavailable."""
        self.breaker.before_request()
        try:
            status, headers, body = self._get(SEARCH_PATH, params)
        except Exception as error:  # noqa: BLE001  timeout, refused connection, bad URL…: all mean « not now »
            self.breaker.failure()
            raise RegistryUnavailable(f"{type(error).__name__}: {error}") from error
        if status == 429:
            self.breaker.hold_off(retry_after_seconds(headers.get("retry-after")))
            raise RegistryUnavailable("HTTP 429 : limite de requêtes atteinte")
        if status != 200:
            self.breaker.failure()
            raise RegistryUnavailable(f"HTTP {status}")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError) as error:
            self.breaker.failure()
            raise RegistryUnavailable(f"réponse illisible : {error}") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            self.breaker.failure()
            raise RegistryUnavailable("réponse sans liste « results »")
        self.breaker.success()
        return payload

    def _get(self, path: str, params: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        """One GET, read up to MAX_ANSWER_BYTES, within ``timeout`` seconds in all (httpx's own timeout
        applies to each phase: a server sending a byte a second would otherwise hold the page)."""
        deadline = time.monotonic() + self.timeout
        with self._http.stream("GET", self.base_url + path, params=params) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise httpx.DecodingError("réponse trop volumineuse")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("délai dépassé pendant la lecture")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    def close(self) -> None:
        self._http.close()


_clients_lock = threading.Lock()


def user_agent(site_url: str) -> str:
    """Names the site and how to reach it, as the API asks; ASCII only (an HTTP header)."""
    text = f"TIG-Partenaires (ATIGIP, Ministere de la Justice; +{site_url})"
    return text.encode("ascii", "replace").decode("ascii")


def registry_client() -> RegistryClient | None:
    """The application's client (None when lookups are switched off), built from the configuration on
    first use and rebuilt if that configuration changes."""
    config = current_app.config
    if not config.get("COMPANY_LOOKUP_ENABLED"):
        return None
    settings = (
        config["COMPANY_LOOKUP_URL"],
        float(config["COMPANY_LOOKUP_TIMEOUT_SECONDS"]),
        int(config["COMPANY_LOOKUP_BREAKER_FAILURES"]),
        float(config["COMPANY_LOOKUP_BREAKER_SECONDS"]),
    )
    with _clients_lock:
        current = current_app.extensions.get("registry_client")
        if current is not None and current[0] == settings:
            return current[1]
        url, timeout, failures, seconds = settings
        client = RegistryClient(
            url,
            timeout,
            user_agent=user_agent(config["SITE_URL"]),
            breaker=CircuitBreaker(failures, seconds),
        )
        if current is not None:
            current[1].close()
        current_app.extensions["registry_client"] = (settings, client)
        return client
