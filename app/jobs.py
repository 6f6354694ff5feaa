"""Periodic jobs run by ``flask worker`` (and once by ``flask jobs run``).

Each feature registers its due-work functions with ``@job("name")`` at import time. A job takes no
argument, does its own transaction(s), must be safe to run twice at once (lock or dedupe key), and
returns how many things it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.extensions import db

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[[], int]] = {}


def job(name: str):
    def register(function: Callable[[], int]) -> Callable[[], int]:
        JOBS[name] = function
        return function

    return register


def run_due_jobs() -> dict[str, int]:
    results: dict[str, int] = {}
    for name, function in JOBS.items():
        try:
            results[name] = function() or 0
            db.session.commit()
        except Exception:  # one failing job must not stop the others nor the worker
            db.session.rollback()
            log.exception("La tâche %s a échoué", name)
            results[name] = -1
    return results
