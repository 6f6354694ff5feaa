"""What ``/healthz`` checks: the database, Redis (the rate-limit counters) and the file storage.

The three checks run side by side, each given ``HEALTHZ_TIMEOUT_SECONDS``: a component that does not
answer in time counts as down (« délai dépassé »), so the answer never waits longer than that, whatever
hangs. A check left running past the deadline ends on its component's own timeout (database connection,
``REDIS_TIMEOUT_SECONDS``, ``S3_TIMEOUT_SECONDS``).

What the answer means (README, « Mise en production »):

- database down: **503**, status « indisponible »: this instance can serve nothing, the load balancer
  takes it out;
- Redis or storage down: **200**, status « dégradé », the component named: the pages, the applications
  and the webinar registrations still work (limits counted per process, uploads refused with a French
  message), and Redis or the bucket are shared by every instance, so taking instances out would only
  turn a partial outage into a full one. Supervision alerts on any status other than « ok ».
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.ratelimits import is_redis
from app.storage import get_storage

log = logging.getLogger(__name__)

OK = "ok"
DOWN = "indisponible"
TIMED_OUT = "délai dépassé"
NOT_USED = "non utilisé"


@dataclass(frozen=True)
class Health:
    components: dict[str, str]  # component → OK, DOWN, TIMED_OUT or NOT_USED

    @property
    def status(self) -> str:
        if self.components["database"] != OK:
            return "indisponible"
        if any(state not in (OK, NOT_USED) for state in self.components.values()):
            return "dégradé"
        return "ok"

    @property
    def http_status(self) -> int:
        return 503 if self.status == "indisponible" else 200

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, **self.components}


def _database(app: Flask) -> None:
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT 1"))
        finally:
            db.session.remove()


def _redis(app: Flask) -> str:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if not is_redis(uri):
        return NOT_USED
    from limits.storage import storage_from_string

    storage = app.extensions.get("health_limits_storage")
    if storage is None:
        timeout = app.config["REDIS_TIMEOUT_SECONDS"]
        storage = storage_from_string(uri, socket_connect_timeout=timeout, socket_timeout=timeout)
        app.extensions["health_limits_storage"] = storage
    return OK if storage.check() else DOWN  # check() pings, and answers False on any error


def _storage(app: Flask) -> None:
    with app.app_context():
        get_storage().check()


def _outcome(check: Callable[[Flask], str | None], app: Flask) -> str:
    try:
        return check(app) or OK
    except Exception:
        log.warning("/healthz : %s en échec", check.__name__.strip("_"), exc_info=True)
        return DOWN


CHECKS: dict[str, Callable[[Flask], str | None]] = {"database": _database, "redis": _redis, "storage": _storage}


def check_health(app: Flask) -> Health:
    timeout = app.config["HEALTHZ_TIMEOUT_SECONDS"]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    try:
        futures = {name: pool.submit(_outcome, check, app) for name, check in CHECKS.items()}
        done, _ = concurrent.futures.wait(futures.values(), timeout=timeout)
        components = {name: future.result() if future in done else TIMED_OUT for name, future in futures.items()}
    finally:
        pool.shutdown(wait=False)  # a hung check must not hold the answer
    for name, state in components.items():
        if state in (DOWN, TIMED_OUT):
            log.warning("/healthz : %s %s", name, state)
    return Health(components)
