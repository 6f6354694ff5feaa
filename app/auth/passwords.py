"""Password hashing (argon2id) and the fingerprint that ties tokens and sessions to an account's state."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

_hasher = PasswordHasher()
# Verified when the e-mail address is unknown, so that the answer takes the same time.
_DUMMY_HASH = _hasher.hash("compte-inexistant-pour-egaliser-le-temps")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always costs one argon2 verification."""
    if not password_hash:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def account_fingerprint(password_hash: str | None, security_stamp: str, purpose: str) -> str:
    """A digest of the account's current password hash, keyed by its secret random stamp.

    Put in reset/invitation tokens, in the session and in the trusted-device cookie, it makes a used
    link and the other open sessions die as soon as the password changes (new hash, new stamp). The
    stamp lives only in the database: someone holding SECRET_KEY can sign any payload, but cannot
    compute this digest, so cannot forge a link or a session. ``purpose`` keeps the digests of a
    session, a link and a device apart (one cannot stand for another)."""
    message = f"{purpose}:{password_hash or 'no-password'}".encode()
    return hmac.new(security_stamp.encode(), message, hashlib.sha256).hexdigest()[:32]


def password_problems(password: str, email: str = "") -> list[str]:
    """French messages for a password that does not meet the rules (empty list: acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Le mot de passe doit contenir au plus {MAX_PASSWORD_LENGTH} caractères.")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Le mot de passe ne doit pas être votre adresse électronique.")
    if password and len(set(password)) < 4:
        problems.append("Le mot de passe est trop simple : variez les caractères.")
    return problems
