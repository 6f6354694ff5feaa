"""Trusted devices: a browser that has logged in to an account keeps a signed cookie saying so.

Its login attempts for that account then count on a lock of their own (``app/auth/throttle.py``):
wrong passwords typed from elsewhere lock the account for unknown browsers, never its owner's usual
computer. The cookie holds a random device id and, per account, a digest keyed by the account's
secret stamp (``account_fingerprint``): it cannot be made with SECRET_KEY alone, is worth nothing for
another account, and dies when the password changes. A stolen cookie still gives no password: its
attempts are throttled like any others, on the device's lock.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.auth.models import Referent
from app.auth.passwords import account_fingerprint

COOKIE_NAME = "tig_appareil"
SALT = "trusted-device"
MAX_ACCOUNTS = 5  # a shared office computer: a few accounts, the most recent kept


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _digest(referent: Referent, device_id: str) -> str:
    return account_fingerprint(referent.password_hash, referent.security_stamp, f"device:{device_id}")


def _read(cookie: str | None, secret_key: str, max_age_seconds: int) -> dict:
    if not cookie or not secret_key:
        return {}
    try:
        data = _serializer(secret_key).loads(cookie, max_age=max_age_seconds)
    except BadSignature:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("d"), str) or not isinstance(data.get("a"), dict):
        return {}
    return data


def trusted_device_id(cookie: str | None, referent: Referent, secret_key: str, max_age_seconds: int) -> str | None:
    """The device id when this browser has already logged in to ``referent`` (in its current state)."""
    data = _read(cookie, secret_key, max_age_seconds)
    digest = data.get("a", {}).get(str(referent.id)) if data else None
    if isinstance(digest, str) and hmac.compare_digest(digest, _digest(referent, data["d"])):
        return data["d"]
    return None


def remember(cookie: str | None, referent: Referent, secret_key: str, max_age_seconds: int) -> str:
    """The cookie value after a successful login of ``referent`` from this browser."""
    data = _read(cookie, secret_key, max_age_seconds) or {"d": secrets.token_urlsafe(16), "a": {}}
    accounts = {key: value for key, value in data["a"].items() if key != str(referent.id)}
    accounts[str(referent.id)] = _digest(referent, data["d"])
    data["a"] = dict(list(accounts.items())[-MAX_ACCOUNTS:])
    return _serializer(secret_key).dumps(data)
