"""Password hashing (argon2id) and the fingerprint that ties tokens and sessions to a password."""

from __future__ import annotations

import contextlib
import hashlib

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


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the current hash: changes whenever the password changes (or is first set).

    Put in reset/invitation tokens and in the session, it makes a used link and the other open
    sessions die as soon as the password changes.
    """
    return hashlib.sha256((password_hash or "no-password").encode()).hexdigest()[:16]


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
