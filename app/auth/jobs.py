"""Periodic clean-up: login attempts (only the last minutes matter for throttling) and revoked
sessions (useless once older than the longest possible session)."""

from datetime import timedelta

from flask import current_app

from app.auth.services import purge_login_attempts, purge_revoked_sessions
from app.jobs import job


@job("purge-login-attempts")
def purge_old_login_attempts() -> int:
    return purge_login_attempts(older_than=timedelta(days=1))


@job("purge-revoked-sessions")
def purge_old_revoked_sessions() -> int:
    return purge_revoked_sessions(older_than=timedelta(hours=current_app.config["SESSION_MAX_HOURS"] + 1))
