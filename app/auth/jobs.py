"""Periodic clean-up of the login attempts (only the last minutes matter for throttling)."""
from datetime import timedelta

from app.auth.services import purge_login_attempts
from app.jobs import job


@job("purge-login-attempts")
def purge_old_login_attempts() -> int:
    return purge_login_attempts(older_than=timedelta(days=1))
