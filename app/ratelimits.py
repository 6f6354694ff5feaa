"""Named rate limits for the endpoints that attackers and bursts hit first.

Usage in a blueprint::

    from app.ratelimits import limit

    @bp.route("/webinaires/<int:webinar_id>", methods=["GET", "POST"])
    @limit("registration")
    def register(webinar_id): ...

Only POST requests count (showing the form is free). The limit itself lives in the configuration
(``RATELIMIT_REGISTRATION`` …, "10 per minute" syntax of the ``limits`` package), so operations can
tune it without a release. Counters are kept in ``RATELIMIT_STORAGE_URI``: ``memory://`` for a single
instance, ``redis://host:6379/0`` when several instances serve the site. A breach answers with the
French 429 page (``app/errors.py``).

Redis unreachable (stopped, or silent past ``REDIS_TIMEOUT_SECONDS``): the site keeps serving and the
limits keep applying, counted in each process's memory until Redis answers again (Flask-Limiter's
in-memory fallback, which retries Redis at growing intervals of up to about a minute). The limits then
hold per process instead of in total: degraded, never open wide, never a 500. ``/healthz`` says so.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from app.extensions import limiter


def is_redis(uri: str) -> bool:
    """redis://, rediss://, redis+unix://, redis+sentinel://, redis+cluster:// (the ``limits`` schemes)."""
    return uri.split("://", 1)[0].startswith("redis")


def init_app(app: Flask) -> None:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if is_redis(uri):
        # Without a timeout a Redis that stops answering (network cut, frozen host) would hold every
        # limited request; with it, the request goes on with the in-memory fallback.
        timeout = app.config["REDIS_TIMEOUT_SECONDS"]
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options | app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
    limiter.init_app(app)


# Name used in ``@limit(name)`` → configuration key holding the limit string.
LIMITS = {
    "registration": "RATELIMIT_REGISTRATION",
    "application_submit": "RATELIMIT_APPLICATION_SUBMIT",
    "application_step": "RATELIMIT_APPLICATION_STEP",
    "application_step_per_draft": "RATELIMIT_APPLICATION_STEP_PER_DRAFT",
    "application_upload": "RATELIMIT_APPLICATION_UPLOAD",
    "application_upload_per_draft": "RATELIMIT_APPLICATION_UPLOAD_PER_DRAFT",
    "login": "RATELIMIT_LOGIN",
    "password_reset": "RATELIMIT_PASSWORD_RESET",
    "company_lookup": "RATELIMIT_COMPANY_LOOKUP",
}


def limit(
    name: str,
    methods: tuple[str, ...] = ("POST",),
    *,
    only_when: Callable[[], bool] | None = None,
    key: Callable[[], str] | None = None,
    shared: bool = False,
):
    """Decorator applying the named limit to the POSTs of one view, per client address or per what
    ``key`` returns (e.g. the draft of the URL); with ``only_when``, only the requests for which it
    returns True count (a view serving several forms). Each name counts apart from the others;
    ``shared``: one budget for every view carrying the same name (e.g. all the pages that call the
    registry) rather than one per view."""
    try:
        config_key = LIMITS[name]
    except KeyError:
        raise ValueError(f"Limite inconnue : {name!r} (connues : {', '.join(LIMITS)})") from None
    exempt_when = (lambda: not only_when()) if only_when else None
    value = lambda: current_app.config[config_key]  # noqa: E731  read per request: tests and ops change it
    if shared:
        return limiter.shared_limit(value, scope=name, methods=list(methods), exempt_when=exempt_when, key_func=key)
    return limiter.limit(value, methods=list(methods), exempt_when=exempt_when, key_func=key, scope=name)
