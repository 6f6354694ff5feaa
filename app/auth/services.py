"""Account operations: authentication with throttling, tokens for reset and invitation, TOTP,
account creation and changes. Explicit arguments, domain exceptions, ``flush()`` only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth.models import LoginAttempt, Referent, ReferentDepartement, RevokedSession
from app.auth.passwords import (
    hash_password,
    needs_rehash,
    password_fingerprint,
    password_problems,
    verify_password,
)
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


# --- throttling -------------------------------------------------------------------------------


def _recent_failures(condition, since: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            condition, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= since
        )
    )


def is_locked(
    email: str,
    ip_address: str,
    *,
    max_failures: int,
    max_failures_ip: int,
    lock_minutes: int,
    now: datetime | None = None,
) -> bool:
    """Locked when the account (by e-mail) or the address had too many failures in the last
    ``lock_minutes``. A success on the account wipes its failures (not the address's)."""
    since = (now or utcnow()) - timedelta(minutes=lock_minutes)
    return (
        _recent_failures(LoginAttempt.email == normalize_email(email), since) >= max_failures
        or _recent_failures(LoginAttempt.ip_address == ip_address, since) >= max_failures_ip
    )


def record_attempt(email: str, ip_address: str, succeeded: bool, now: datetime | None = None) -> None:
    email = normalize_email(email)
    if succeeded:
        db.session.execute(
            sa.delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
        )
    db.session.add(
        LoginAttempt(email=email[:320], ip_address=ip_address[:64], succeeded=succeeded, created_at=now or utcnow())
    )
    db.session.flush()


def purge_login_attempts(older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    result = db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < (now or utcnow()) - older_than))
    return result.rowcount or 0


def authenticate(
    email: str,
    password: str,
    ip_address: str,
    *,
    max_failures: int,
    max_failures_ip: int,
    lock_minutes: int,
    now: datetime | None = None,
) -> Referent:
    """The active account for these credentials, or ``InvalidCredentials``/``TooManyAttempts``.

    Every failure is recorded (account and address); once locked, attempts are refused without even
    checking the password and are not recorded (the lock does not extend itself)."""
    if is_locked(
        email,
        ip_address,
        max_failures=max_failures,
        max_failures_ip=max_failures_ip,
        lock_minutes=lock_minutes,
        now=now,
    ):
        raise TooManyAttempts(lock_minutes)
    referent = find_by_email(email)
    valid = verify_password(referent.password_hash if referent else None, password)
    if not valid or referent is None or not referent.is_active:
        record_attempt(email, ip_address, False, now)
        raise InvalidCredentials()
    if needs_rehash(referent.password_hash):
        referent.password_hash = hash_password(password)
    return referent


def mark_logged_in(referent: Referent, ip_address: str, now: datetime | None = None) -> None:
    record_attempt(referent.email, ip_address, True, now)
    referent.last_login_at = now or utcnow()
    db.session.flush()


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
    return result.rowcount or 0


# --- passwords and tokens ---------------------------------------------------------------------

RESET_SALT = "referent-password-reset"
INVITATION_SALT = "referent-invitation"


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_token(referent: Referent, secret_key: str, salt: str) -> str:
    """A signed link token carrying the account and its current password fingerprint: it stops
    working as soon as the password is set or changed (single use)."""
    return _serializer(secret_key, salt).dumps({"id": referent.id, "fp": password_fingerprint(referent.password_hash)})


def load_token(token: str, secret_key: str, salt: str, max_age_seconds: int) -> Referent:
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise ExpiredToken() from error
    except BadSignature as error:
        raise InvalidToken() from error
    referent = db.session.get(Referent, data.get("id")) if isinstance(data, dict) else None
    if referent is None or not referent.is_active or data.get("fp") != password_fingerprint(referent.password_hash):
        raise InvalidToken()
    return referent


def set_password(referent: Referent, password: str) -> None:
    problems = password_problems(password, referent.email)
    if problems:
        raise WeakPassword(problems)
    referent.password_hash = hash_password(password)
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
    """Accept a code once: the same (or an older) step cannot be replayed."""
    timecode = _matching_timecode(referent.totp_secret or "", code, now)
    if timecode is None or (referent.totp_last_timecode is not None and timecode <= referent.totp_last_timecode):
        raise InvalidCode()
    referent.totp_last_timecode = timecode
    db.session.flush()


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
