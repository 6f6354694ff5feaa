"""Account operations: authentication with throttling, tokens for reset and invitation, TOTP,
account creation and changes. Explicit arguments, domain exceptions, ``flush()`` only (but for the
throttling's reservations, committed at once: see ``app/auth/throttle.py``)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

import pyotp
import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth import devices, throttle
from app.auth.models import (
    PasswordResetRequest,
    Referent,
    ReferentDepartement,
    RevokedSession,
    new_security_stamp,
)
from app.auth.passwords import (
    account_fingerprint,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from app.database import begin_write_transaction
from app.emails import normalize_email
from app.extensions import db
from app.formatting import utcnow

TOTP_ISSUER = "TIG Partenaires"


class AuthError(Exception):
    """Base of the account errors; ``str()`` is a French message for the user."""


class InvalidCredentials(AuthError):
    def __init__(self):
        super().__init__("Adresse électronique ou mot de passe incorrect.")


class TooManyAttempts(AuthError):
    def __init__(self, minutes: int):
        self.minutes = minutes
        super().__init__(
            "Trop de tentatives de connexion infructueuses. Pour votre sécurité, la connexion est "
            f"suspendue pendant {minutes} minutes. Vous pouvez aussi réinitialiser votre mot de passe."
        )


class InvalidToken(AuthError):
    def __init__(self, message: str = "Ce lien n'est pas valide ou a déjà été utilisé. Demandez-en un nouveau."):
        super().__init__(message)


class ExpiredToken(InvalidToken):
    def __init__(self):
        super().__init__("Ce lien a expiré. Demandez-en un nouveau.")


class InvalidCode(AuthError):
    def __init__(self):
        super().__init__(
            "Code incorrect ou expiré. Saisissez le code à 6 chiffres affiché en ce moment par votre application."
        )


class EmailTaken(AuthError):
    def __init__(self):
        super().__init__("Un compte existe déjà avec cette adresse électronique.")


class WeakPassword(AuthError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


def find_by_email(email: str) -> Referent | None:
    return db.session.scalar(sa.select(Referent).where(Referent.email == normalize_email(email)))


# --- authentication with throttling (app/auth/throttle.py) -------------------------------------


def authenticate(
    email: str,
    password: str,
    ip_address: str,
    *,
    max_failures: int,
    max_failures_ip: int,
    lock_minutes: int,
    device_cookie: str | None = None,
    secret_key: str = "",
    device_max_age_seconds: int = 0,
    now: datetime | None = None,
) -> tuple[Referent, throttle.Attempt]:
    """The active account for these credentials and its attempt (to pass to ``mark_logged_in`` once the
    second factor, if any, is given), or ``InvalidCredentials``/``TooManyAttempts``.

    The attempt is reserved (written as a failure) before the password is checked; once locked,
    attempts are refused without checking the password. A browser that has already logged in to this
    account (``device_cookie``) has a lock of its own."""
    referent = find_by_email(email)
    device_id = (
        devices.trusted_device_id(device_cookie, referent, secret_key, device_max_age_seconds)
        if referent is not None and device_cookie
        else None
    )
    limits = throttle.Limits(max_failures, max_failures_ip, lock_minutes)
    try:
        attempt = throttle.reserve(normalize_email(email), ip_address, limits, device_id=device_id, now=now)
    except throttle.Locked:
        raise TooManyAttempts(lock_minutes) from None
    valid = verify_password(referent.password_hash if referent else None, password)
    if not valid or referent is None or not referent.is_active:
        raise InvalidCredentials()  # the attempt stays written as a failure
    if referent.password_hash and needs_rehash(referent.password_hash):
        begin_write_transaction()  # SQLite: the reservation was committed after this session's first read
        referent.password_hash = hash_password(password)
    return referent, attempt


def reserve_code_attempt(
    referent: Referent,
    ip_address: str,
    *,
    max_failures: int,
    max_failures_ip: int,
    lock_minutes: int,
    device_cookie: str | None = None,
    secret_key: str = "",
    device_max_age_seconds: int = 0,
    now: datetime | None = None,
) -> throttle.Attempt:
    """The second-factor step counts on the same locks as the password (``TooManyAttempts``)."""
    device_id = (
        devices.trusted_device_id(device_cookie, referent, secret_key, device_max_age_seconds)
        if device_cookie
        else None
    )
    limits = throttle.Limits(max_failures, max_failures_ip, lock_minutes)
    try:
        return throttle.reserve(referent.email, ip_address, limits, device_id=device_id, now=now)
    except throttle.Locked:
        raise TooManyAttempts(lock_minutes) from None


def mark_logged_in(referent: Referent, attempt: throttle.Attempt, now: datetime | None = None) -> None:
    begin_write_transaction()
    throttle.succeed(attempt)
    referent.last_login_at = now or utcnow()
    db.session.flush()


def purge_login_attempts(older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    return throttle.purge(older_than, now)


# --- sessions ---------------------------------------------------------------------------------


def revoke_session(session_id: str | None) -> None:
    if session_id and db.session.get(RevokedSession, session_id) is None:
        db.session.add(RevokedSession(session_id=session_id[:64]))
        db.session.flush()


def is_revoked(session_id: str | None) -> bool:
    """A session without id (older than this feature, or forged) counts as revoked."""
    if not session_id:
        return True
    return db.session.get(RevokedSession, session_id) is not None


def purge_revoked_sessions(older_than: timedelta, now: datetime | None = None) -> int:
    result = db.session.execute(
        sa.delete(RevokedSession).where(RevokedSession.revoked_at < (now or utcnow()) - older_than)
    )
    return cast(sa.CursorResult, result).rowcount or 0


# --- passwords and tokens ---------------------------------------------------------------------

RESET_SALT = "referent-password-reset"
INVITATION_SALT = "referent-invitation"


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_token(referent: Referent, secret_key: str, salt: str) -> str:
    """A signed link token naming the account with a digest of its password hash keyed by its secret
    stamp: it stops working as soon as the password is set or changed (single use), and it cannot be
    forged with SECRET_KEY alone."""
    return _serializer(secret_key, salt).dumps({"id": referent.id, "fp": _token_fingerprint(referent, salt)})


def _token_fingerprint(referent: Referent, salt: str) -> str:
    return account_fingerprint(referent.password_hash, referent.security_stamp, f"token:{salt}")


def load_token(token: str, secret_key: str, salt: str, max_age_seconds: int) -> Referent:
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise ExpiredToken() from error
    except BadSignature as error:
        raise InvalidToken() from error
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("fp"), str):
        raise InvalidToken()
    referent = db.session.get(Referent, data["id"])
    if (
        referent is None
        or not referent.is_active
        or not hmac.compare_digest(data["fp"], _token_fingerprint(referent, salt))
    ):
        raise InvalidToken()
    return referent


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Write the request down, the same way whether or not an account has this address; the worker
    sends the link (``send_password_reset_links``)."""
    db.session.add(PasswordResetRequest(email=(email or "")[:320], requested_at=now or utcnow()))
    db.session.flush()


def pending_password_resets(limit: int = 100) -> list[PasswordResetRequest]:
    """The oldest requests not yet handled, locked for this worker (``SKIP LOCKED``: another worker takes
    the next ones). Call after ``begin_write_transaction()``."""
    return list(
        db.session.scalars(
            sa.select(PasswordResetRequest)
            .order_by(PasswordResetRequest.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def set_password(referent: Referent, password: str) -> None:
    """The new password, and a new stamp: every link, session and trusted device of the old one dies."""
    problems = password_problems(password, referent.email)
    if problems:
        raise WeakPassword(problems)
    referent.password_hash = hash_password(password)
    referent.security_stamp = new_security_stamp()
    db.session.flush()


def change_password(referent: Referent, current_password: str, new_password: str) -> None:
    if not verify_password(referent.password_hash, current_password):
        raise InvalidCredentials()
    set_password(referent, new_password)


# --- TOTP -------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _matching_timecode(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step whose code equals ``code`` (current step ±1 for clock drift), else None."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now()
    for offset in (0, -1, 1):
        when = moment + timedelta(seconds=offset * totp.interval)
        if pyotp.utils.strings_equal(totp.at(when), code):
            return totp.timecode(when)
    return None


def verify_totp(referent: Referent, code: str, now: datetime | None = None) -> None:
    """Accept a code once: the same (or an older) step cannot be replayed, even by requests sent at the
    same instant. The last used step is written by a conditional UPDATE under the write lock: of
    several requests with the same code, one changes the row, the others find it already used."""
    timecode = _matching_timecode(referent.totp_secret or "", code, now)
    if timecode is None:
        raise InvalidCode()
    begin_write_transaction()
    result = db.session.execute(
        sa.update(Referent)
        .where(
            Referent.id == referent.id,
            sa.or_(Referent.totp_last_timecode.is_(None), Referent.totp_last_timecode < timecode),
        )
        .values(totp_last_timecode=timecode)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult, result).rowcount != 1:
        raise InvalidCode()
    db.session.refresh(referent)


def enable_totp(referent: Referent, secret: str, code: str, now: datetime | None = None) -> None:
    timecode = _matching_timecode(secret, code, now)
    if timecode is None:
        raise InvalidCode()
    referent.totp_secret = secret
    referent.totp_last_timecode = timecode
    db.session.flush()


def disable_totp(referent: Referent) -> None:
    referent.totp_secret = None
    referent.totp_last_timecode = None
    db.session.flush()


# --- accounts ---------------------------------------------------------------------------------


def create_referent(
    email: str, name: str, departements: Iterable[str], *, is_admin: bool = False, password: str | None = None
) -> Referent:
    email = normalize_email(email)
    if find_by_email(email) is not None:
        raise EmailTaken()
    referent = Referent(email=email, name=name.strip(), is_admin=is_admin, is_active=True)
    referent.departements = [ReferentDepartement(departement_code=code) for code in sorted(set(departements))]
    db.session.add(referent)
    if password is not None:
        problems = password_problems(password, email)
        if problems:
            raise WeakPassword(problems)
        referent.password_hash = hash_password(password)
    db.session.flush()
    return referent


def set_departements(referent: Referent, departements: Iterable[str]) -> None:
    wanted = set(departements)
    referent.departements = [d for d in referent.departements if d.departement_code in wanted] + [
        ReferentDepartement(departement_code=code) for code in sorted(wanted - set(referent.departement_codes))
    ]
    db.session.flush()


def set_active(referent: Referent, active: bool) -> None:
    referent.is_active = active
    db.session.flush()
