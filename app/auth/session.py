"""What the session holds for a logged-in référent (one place for views, the guard and tests).

Keys: ``referent_id``; ``acfp`` (fingerprint of the password hash keyed by the account's secret
stamp: a password change elsewhere ends this session, and a cookie signed with a leaked SECRET_KEY
cannot name an account without knowing its stamp); ``last_seen`` (epoch seconds, for the inactivity expiry); ``sid`` (random id, put on
the revoked list at logout) and ``auth_at`` (login time, for the absolute limit). The session is
cleared before being filled, so a session fixed before login never survives it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import MutableMapping

from app.auth.passwords import account_fingerprint

REFERENT_ID = "referent_id"
ACCOUNT_FINGERPRINT = "acfp"
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
    session[ACCOUNT_FINGERPRINT] = session_fingerprint(referent)
    now = int(now if now is not None else time.time())
    session[LAST_SEEN] = now
    session[AUTHENTICATED_AT] = now
    session[SESSION_ID] = secrets.token_urlsafe(24)
    if hasattr(session, "permanent"):
        session.permanent = True  # the cookie itself expires after PERMANENT_SESSION_LIFETIME


def session_fingerprint(referent) -> str:
    return account_fingerprint(referent.password_hash, referent.security_stamp, "session")


def matches_account(session: MutableMapping, referent) -> bool:
    """Whether the session was opened for this account in its current state (same password, same stamp)."""
    return hmac.compare_digest(str(session.get(ACCOUNT_FINGERPRINT) or ""), session_fingerprint(referent))


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
