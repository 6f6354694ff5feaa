"""Back-office accounts: référents territoriaux (one or more départements) and national admins."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.formatting import utcnow


def new_security_stamp() -> str:
    return secrets.token_urlsafe(32)


class Referent(db.Model):
    __tablename__ = "referents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(300))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    notify_new_applications: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_timecode: Mapped[int | None]  # last accepted TOTP step: a code works only once
    # Random, never shown, replaced when the password changes. Links, sessions and trusted-device cookies
    # carry a digest of it: signed with SECRET_KEY alone (a leaked key), they open nothing.
    security_stamp: Mapped[str] = mapped_column(sa.String(64), default=new_security_stamp)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    departements: Mapped[list[ReferentDepartement]] = relationship(
        back_populates="referent", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def departement_codes(self) -> list[str]:
        return sorted(d.departement_code for d in self.departements)

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Referent {self.email}>"


class ReferentDepartement(db.Model):
    __tablename__ = "referent_departements"

    referent_id: Mapped[int] = mapped_column(sa.ForeignKey("referents.id", ondelete="CASCADE"), primary_key=True)
    departement_code: Mapped[str] = mapped_column(sa.String(3), primary_key=True, index=True)

    referent: Mapped[Referent] = relationship(back_populates="departements")


def referents_to_notify(departement_code: str) -> list[Referent]:
    """Active référents of a département who want the new-application and message emails."""
    return list(
        db.session.scalars(
            sa.select(Referent)
            .join(ReferentDepartement)
            .where(
                ReferentDepartement.departement_code == departement_code,
                Referent.is_active.is_(True),
                Referent.notify_new_applications.is_(True),
            )
            .order_by(Referent.id)
        )
    )


class LoginAttempt(db.Model):
    """One login attempt (password or second-factor code). Kept in the database so that the
    throttling holds across several workers; old rows are purged by the ``purge-login-attempts`` job.

    A row is written, as a failure, before the password is checked (``app/auth/throttle.py``); it
    becomes a success when the password (or code) was right. ``blocked``: refused by a lock without
    checking anything (recorded, but not counted towards the lock: it does not extend itself).
    ``device_id``: made from a trusted device of the account, counted on that device's own lock."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), index=True)  # lower-cased, as typed
    ip_address: Mapped[str] = mapped_column(sa.String(64), index=True)
    device_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    blocked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RevokedSession(db.Model):
    """A back-office session ended by « Se déconnecter ». Sessions live in a signed cookie: without
    this list a copy of the cookie would keep working after logout. Rows older than
    ``SESSION_MAX_HOURS`` are useless (the session would have expired anyway) and are purged."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PasswordResetRequest(db.Model):
    """A « mot de passe oublié » form sent, with the address as typed. The page only writes this row,
    whatever the address: its answer time says nothing about which addresses have an account. The
    worker then sends the link if an active account has that address (``app/auth/jobs.py``)."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
