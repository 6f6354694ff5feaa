"""Queue emails in the database and deliver them after commit.

- ``queue_mail`` adds a row in the transaction of the change that causes the mail (if that
  transaction rolls back, no mail exists). It renders nothing: the row holds the mail's kind, the
  rows its templates read (as references) and the values frozen at that moment (``compose.py``).
- ``deliver_pending`` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, plus a conditional
  UPDATE that makes the claim safe on SQLite too), renders each one, sends it, and records the
  result. SMTP failures are retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``.
- A row left in "sending" by a worker that died is claimed again once its lease has expired
  (``OUTBOX_LEASE_SECONDS``); the lease is renewed right before each send and the renewal checks the
  row is still this worker's, so a slow batch never overlaps with a worker that took over.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from app.database import begin_write_transaction
from app.extensions import db
from app.formatting import utcnow
from app.mail.compose import (
    AttachmentRef,
    MailRowGone,
    clean_subject,
    freeze,
    message_id_header,
    render,
    to_mime,
)
from app.mail.kinds import MailKind
from app.mail.models import MailStatus, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX = timedelta(hours=6)


def queue_mail(
    to: str,
    subject: str,
    template: str | MailKind,
    *,
    dedupe_key: str | None = None,
    attachments: Sequence[AttachmentRef] = (),
    category: str = "",
    webinar_id: int | None = None,
    application_id: int | None = None,
    reply_to: str | None = None,
    **context: Any,
) -> OutboxMessage | None:
    """Add a mail of kind ``template`` (a ``MailKind``) to the outbox (flush only).

    ``context`` is what its templates read: rows (model instances) are stored as references and
    read again by the worker, other values are frozen as they are now (JSON). ``attachments`` are
    made by the worker too (``compose.attach``). With a ``dedupe_key`` already used, nothing is added
    and ``None`` is returned.
    """
    kind = MailKind(template)
    if dedupe_key and db.session.scalar(sa.select(OutboxMessage.id).filter_by(dedupe_key=dedupe_key)):
        return None
    message = OutboxMessage(
        to_address=to.strip(),
        subject=clean_subject(subject),
        kind=kind.value,
        context=freeze(context),
        attachments=[item.to_json() for item in attachments],
        category=category or kind.value,
        dedupe_key=dedupe_key,
        webinar_id=webinar_id,
        application_id=application_id,
        reply_to=reply_to,
        status=MailStatus.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def build_message(message: OutboxMessage, *, now: datetime | None = None) -> EmailMessage:
    """The message sent for this outbox row: rendered now, dated ``now``."""
    return to_mime(
        render(message),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        message_id=message_id_header(message),
        now=now or datetime.now(UTC),
    )


def _open_smtp() -> smtplib.SMTP:
    """SMTP session with a timeout; TLS (SMTPS or STARTTLS) checks the server's certificate."""
    config = current_app.config
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    host: smtplib.SMTP
    if config["MAIL_USE_SSL"]:
        host = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context()
        )
    else:
        host = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config["MAIL_USE_TLS"]:
            host.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
        host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return host


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", int(LEASE.total_seconds())))


def _due(now):
    return sa.or_(
        sa.and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.locked_until < now),
    )


def _claim(limit: int) -> list[tuple[int, datetime]]:
    """Mark up to ``limit`` due messages as SENDING for this worker; return (id, lease end) pairs.

    The lease end is this worker's claim ticket: it renews the lease before each send only if the row
    still carries that exact value (another worker that took an expired lease over wrote its own).
    """
    begin_write_transaction()  # SQLite: claims are serialised; PostgreSQL: rows locked below
    now = utcnow()
    lease_until = now + _lease()
    candidates = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for message_id in candidates:
        # The conditional UPDATE is the claim: another worker that read the same row gets rowcount 0.
        result = cast(
            sa.CursorResult,
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == message_id, _due(now))
                .values(status=MailStatus.SENDING, locked_until=lease_until)
            ),
        )
        if result.rowcount == 1:
            claimed.append((message_id, lease_until))
    db.session.commit()
    return claimed


def _renew(message_id: int, lease_until: datetime) -> datetime | None:
    """Extend this worker's lease on one message right before sending it; None if it is no longer ours."""
    begin_write_transaction()
    renewed = utcnow() + _lease()
    result = cast(
        sa.CursorResult,
        db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == MailStatus.SENDING,
                OutboxMessage.locked_until == lease_until,
            )
            .values(locked_until=renewed)
        ),
    )
    db.session.commit()
    return renewed if result.rowcount == 1 else None


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)), BACKOFF_MAX)


class _ServerUnreachable(Exception):
    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def deliver_pending(limit: int | None = None) -> dict[str, int]:
    """One delivery pass. Returns counts {'sent', 'retry', 'failed'}.

    No database transaction is open while talking to the SMTP server; each message's result is
    written in its own short write transaction. If the server cannot be reached at all, the rest of
    the batch is given back (queued, same backoff) instead of being tried one by one.
    """
    config = current_app.config
    limit = limit or config["OUTBOX_BATCH_SIZE"]
    counts = {"sent": 0, "retry": 0, "failed": 0}
    claimed = _claim(limit)
    if not claimed:
        return counts
    envelope_from = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    use_smtp = bool(config.get("MAIL_SERVER"))
    smtp: smtplib.SMTP | None = None
    unreachable: _ServerUnreachable | None = None
    try:
        for message_id, lease_until in claimed:
            if unreachable is not None:
                _give_back(message_id, unreachable.error)
                counts["retry"] += 1
                continue
            if _renew(message_id, lease_until) is None:
                log.warning("Courriel %s repris par un autre worker : non envoyé ici", message_id)
                continue
            message = db.session.get_one(OutboxMessage, message_id)
            to_address, subject = message.to_address, message.subject
            error: Exception | None = None
            payload = b""
            try:
                if use_smtp:
                    payload = build_message(message).as_bytes()
                else:
                    render(message)  # without SMTP server too, a mail that cannot be rendered shows
            except Exception as build_error:  # a message that cannot be built must not stay "sending"
                log.exception("Courriel %s impossible à construire", message_id)
                error = build_error
            db.session.commit()  # end the read transaction before the (slow) SMTP dialogue
            try:
                if error is not None:
                    pass
                elif use_smtp:
                    if smtp is None:
                        try:
                            smtp = _open_smtp()
                        except (smtplib.SMTPException, OSError) as connect_error:
                            raise _ServerUnreachable(connect_error) from connect_error
                    smtp.sendmail(envelope_from, [to_address], payload)
                else:
                    log.info("Courriel (non envoyé, pas de serveur SMTP) à %s : %s", to_address, subject)
            except _ServerUnreachable as server_error:
                unreachable = server_error
                error = server_error.error
            except (smtplib.SMTPException, OSError) as smtp_error:
                _close_quietly(smtp)
                smtp = None
                error = smtp_error
            except Exception as unexpected:  # e.g. an address the SMTP library cannot encode
                log.exception("Erreur inattendue à l'envoi du courriel %s", message_id)
                _close_quietly(smtp)
                smtp = None
                error = unexpected
            outcome = _record(message_id, error, transport="smtp" if use_smtp else "log")
            counts[outcome] += 1
    finally:
        _close_quietly(smtp)
    return counts


def _record(message_id: int, error: Exception | None, transport: str) -> str:
    """Write the result of one delivery attempt; returns 'sent', 'retry' or 'failed'."""
    config = current_app.config
    begin_write_transaction()
    message = db.session.get_one(OutboxMessage, message_id)
    message.attempts += 1
    message.locked_until = None
    if error is None:
        message.status = MailStatus.SENT
        message.sent_at = utcnow()
        message.transport = transport
        message.last_error = None
        outcome = "sent"
    else:
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"] or _is_permanent(error):
            message.status = MailStatus.FAILED
            outcome = "failed"
            log.error("Échec définitif du courriel %s : %s", message.id, message.last_error)
        else:
            message.status = MailStatus.QUEUED
            message.next_attempt_at = utcnow() + _backoff(message.attempts)
            outcome = "retry"
            log.warning("Courriel %s reporté : %s", message.id, message.last_error)
    db.session.commit()
    return outcome


def _give_back(message_id: int, error: Exception) -> None:
    """Server unreachable: put a claimed, untried message back in the queue (no attempt counted)."""
    begin_write_transaction()
    message = db.session.get_one(OutboxMessage, message_id)
    if message.status == MailStatus.SENDING:
        message.status = MailStatus.QUEUED
        message.locked_until = None
        message.next_attempt_at = utcnow() + _backoff(max(message.attempts, 1))
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
    db.session.commit()


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer for the recipient (unknown address…), or a mail about a deleted row, will not get
    better by retrying."""
    if isinstance(error, MailRowGone):  # what the mail was about no longer exists
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return False


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
