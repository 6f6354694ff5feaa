"""What the session holds for a logged-in référent (one place for views, the guard and tests).

Keys: ``referent_id``; ``pwfp`` (fingerprint of the password hash: a password change elsewhere ends
this session); ``last_seen`` (epoch seconds, for the inactivity expiry); ``sid`` (random id, put on
the revoked list at logout) and ``auth_at`` (login time, for the absolute limit). The session is
cleared before being filled, so a session fixed before login never survives it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping

from app.auth.passwords import password_fingerprint

REFERENT_ID = "referent_id"
PASSWORD_FINGERPRINT = "pwfp"
LAST_SEEN = "last_seen"
SESSION_ID = "sid"
AUTHENTICATED_AT = "auth_at"
# Second step of the login when TOTP is on: the account waiting for its code.
MFA_REFERENT_ID = "mfa_referent_id"
MFA_STARTED = "mfa_started"
MFA_NEXT = "mfa_next"
MFA_MAX_SECONDS = 300


def start_session(session: MutableMapping, referent, now: float | None = None) -> None:
    """Log ``referent`` in: a fresh session (rotation) holding only the login keys."""
    session.clear()
    session[REFERENT_ID] = referent.id
    session[PASSWORD_FINGERPRINT] = password_fingerprint(referent.password_hash)
    now = int(now if now is not None else time.time())
    session[LAST_SEEN] = now
    session[AUTHENTICATED_AT] = now
    session[SESSION_ID] = secrets.token_urlsafe(24)
    if hasattr(session, "permanent"):
        session.permanent = True  # the cookie itself expires after PERMANENT_SESSION_LIFETIME


def end_session(session: MutableMapping) -> None:
    session.clear()


def start_mfa(session: MutableMapping, referent, next_url: str | None, now: float | None = None) -> None:
    """Password accepted, code still to give: nothing grants access yet."""
    session.clear()
    session[MFA_REFERENT_ID] = referent.id
    session[MFA_STARTED] = int(now if now is not None else time.time())
    if next_url:
        session[MFA_NEXT] = next_url


def pending_mfa_referent_id(session: MutableMapping, now: float | None = None) -> int | None:
    started = session.get(MFA_STARTED)
    now = now if now is not None else time.time()
    if session.get(MFA_REFERENT_ID) and started and now - started <= MFA_MAX_SECONDS:
        return session[MFA_REFERENT_ID]
    return None
