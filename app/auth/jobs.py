"""Account jobs of the worker: the « mot de passe oublié » links (sent from here, not from the page,
so that the page costs the same whether or not the address has an account); clean-up of login
attempts (only the last minutes matter for throttling) and of revoked sessions (useless once older
than the longest possible session)."""

from datetime import timedelta

from flask import current_app

from app.auth import services
from app.auth.services import purge_login_attempts, purge_revoked_sessions
from app.database import begin_write_transaction
from app.extensions import db
from app.jobs import job


@job("password-reset-links")
def send_password_reset_links() -> int:
    """One mail per active account asked for (several requests at once for an address: one link)."""
    from app.auth.notifications import queue_password_reset

    begin_write_transaction()
    sent = 0
    handled: set[str] = set()
    for reset in services.pending_password_resets():
        email = services.normalize_email(reset.email)
        if email not in handled:
            handled.add(email)
            referent = services.find_by_email(email)
            if referent is not None and referent.is_active and referent.password_hash:
                queue_password_reset(referent)
                sent += 1
        db.session.delete(reset)
    db.session.commit()
    return sent


@job("purge-login-attempts")
def purge_old_login_attempts() -> int:
    return purge_login_attempts(older_than=timedelta(days=1))


@job("purge-revoked-sessions")
def purge_old_revoked_sessions() -> int:
    return purge_revoked_sessions(older_than=timedelta(hours=current_app.config["SESSION_MAX_HOURS"] + 1))
