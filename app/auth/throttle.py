"""Login throttling that holds when many attempts arrive at the same instant.

Every attempt (password or second-factor code) first *reserves* its place: in a short transaction of
its own, holding a lock, it counts the recent failures of its channel and writes itself down as a
failure, then commits at once. Only then is the password checked (argon2, tens of milliseconds, with
no lock held). Twenty simultaneous wrong passwords therefore write twenty rows, and at most
``max_failures`` of them get their password checked: each reservation sees every one made before it.
A reservation refused by the lock is written too (``blocked``) but not counted, so a lock is not
extended by the attempts it refuses. A right password (or code) turns the row into a success and wipes
the failures of its channel.

The lock: on PostgreSQL, transaction-scoped advisory locks on the channel's keys (two logins for
different accounts and addresses never wait for each other); on SQLite, the database write lock
(``BEGIN IMMEDIATE``), held for two short statements.

This is the one place where a request commits outside its own transaction: the reservation must be
visible to the concurrent requests before the password is checked, like a rate limiter's counter.

Channels (README, « Connexion : blocage après des échecs »):

- an attempt from a browser that has already logged in to this account (trusted-device cookie, see
  ``app/auth/devices.py``) counts only on that device's own lock: someone typing wrong passwords
  from elsewhere cannot lock the owner out of their usual computer;
- any other attempt counts on the account (e-mail address as typed) and on the client address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa

from app.auth.models import LoginAttempt
from app.extensions import db
from app.formatting import utcnow


@dataclass(frozen=True)
class Limits:
    max_failures: int  # per account (or per trusted device)
    max_failures_ip: int  # per client address, all accounts together
    lock_minutes: int


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: its row, and the channel its outcome belongs to."""

    id: int
    email: str
    ip_address: str
    device_id: str | None


class Locked(Exception):
    """The channel had too many recent failures; the attempt was recorded as blocked."""


def _channel_failures(email: str, ip_address: str, device_id: str | None, limits: Limits, since: datetime):
    """(failures, limit) for each lock that applies to this attempt."""
    recent = sa.and_(
        LoginAttempt.succeeded.is_(False), LoginAttempt.blocked.is_(False), LoginAttempt.created_at >= since
    )

    def count(condition) -> sa.ScalarSelect:
        return sa.select(sa.func.count(LoginAttempt.id)).where(recent, condition).scalar_subquery()

    if device_id is not None:
        return [(count(sa.and_(LoginAttempt.device_id == device_id, LoginAttempt.email == email)), limits.max_failures)]
    untrusted = LoginAttempt.device_id.is_(None)
    return [
        (count(sa.and_(untrusted, LoginAttempt.email == email)), limits.max_failures),
        (count(sa.and_(untrusted, LoginAttempt.ip_address == ip_address)), limits.max_failures_ip),
    ]


def _lock_keys(email: str, ip_address: str, device_id: str | None) -> list[str]:
    if device_id is not None:
        return [f"login-device:{device_id}:{email}"]
    return sorted([f"login-email:{email}", f"login-ip:{ip_address}"])  # same order everywhere: no deadlock


def reserve(
    email: str, ip_address: str, limits: Limits, *, device_id: str | None = None, now: datetime | None = None
) -> Attempt:
    """Write this attempt down as a failure, committed, unless its channel is locked (``Locked``)."""
    now = now or utcnow()
    email, ip_address = email[:320], ip_address[:64]
    since = now - timedelta(minutes=limits.lock_minutes)
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(sqlite_begin="IMMEDIATE")  # see app/database.py
        with connection.begin():
            if connection.dialect.name == "postgresql":
                for key in _lock_keys(email, ip_address, device_id):
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
            checks = _channel_failures(email, ip_address, device_id, limits, since)
            counts = connection.execute(sa.select(*(query for query, _limit in checks))).one()
            locked = any(failures >= limit for failures, (_query, limit) in zip(counts, checks, strict=True))
            attempt_id = connection.execute(
                sa.insert(LoginAttempt)
                .values(
                    email=email,
                    ip_address=ip_address,
                    device_id=device_id,
                    succeeded=False,
                    blocked=locked,
                    created_at=now,
                )
                .returning(LoginAttempt.id)
            ).scalar_one()
    if locked:
        raise Locked()
    return Attempt(attempt_id, email, ip_address, device_id)


def succeed(attempt: Attempt) -> None:
    """The password (or code) was right: the attempt is a success and its channel's failures are wiped
    (in the request's transaction: they go with the login it opens)."""
    channel = (
        LoginAttempt.device_id == attempt.device_id
        if attempt.device_id is not None
        else LoginAttempt.device_id.is_(None)
    )
    db.session.execute(
        sa.delete(LoginAttempt).where(
            LoginAttempt.email == attempt.email,
            channel,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.id != attempt.id,
        )
    )
    db.session.execute(sa.update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(succeeded=True))
    db.session.flush()


def purge(older_than: timedelta, now: datetime | None = None) -> int:
    result = db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at < (now or utcnow()) - older_than))
    return cast(sa.CursorResult, result).rowcount or 0
