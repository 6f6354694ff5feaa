"""Queue emails in the database and deliver them after commit.

- ``queue_mail`` renders the templates and adds a row: call it inside the transaction of the change
  that causes the mail; if that transaction rolls back, no mail exists.
- ``deliver_pending`` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, plus a conditional
  UPDATE that makes the claim safe on SQLite too), sends them, and records the result. SMTP failures
  are retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``.
- A row left in "sending" by a worker that died is claimed again once its lease has expired
  (``OUTBOX_LEASE_SECONDS``); the lease is renewed right before each send and the renewal checks the
  row is still this worker's, so a slow batch never overlaps with a worker that took over.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app, render_template

from app.database import begin_write_transaction
from app.extensions import db
from app.formatting import utcnow
from app.mail.models import MailStatus, OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX = timedelta(hours=6)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # may carry parameters: 'text/calendar; method=REQUEST; charset=UTF-8'
    data: bytes
    # Calendar invites are also added as an alternative part so Outlook shows Accept/Decline.
    calendar_alternative: bool = False

    def to_json(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
            "calendar_alternative": self.calendar_alternative,
        }


def queue_mail(
    to: str, subject: str, template: str, *, dedupe_key: str | None = None, **options
) -> OutboxMessage | None:
    """Render ``emails/<template>.txt`` and ``.html`` and add the mail to the outbox (flush only).
    ``options`` are those of ``prepare_mail`` (attachments, category, webinar_id, application_id,
    reply_to, and the templates' context).

    With a ``dedupe_key`` already used, nothing is added and ``None`` is returned.
    """
    if dedupe_key and db.session.scalar(sa.select(OutboxMessage.id).filter_by(dedupe_key=dedupe_key)):
        return None
    message = prepare_mail(to, subject, template, dedupe_key=dedupe_key, **options)
    db.session.add(message)
    db.session.flush()
    return message


def prepare_mail(
    to: str,
    subject: str,
    template: str,
    *,
    attachments: list[Attachment] | tuple = (),
    category: str = "",
    dedupe_key: str | None = None,
    webinar_id: int | None = None,
    application_id: int | None = None,
    reply_to: str | None = None,
    **context,
) -> OutboxMessage:
    """The mail ``queue_mail`` would add, rendered but not added to the session: a service holding a
    lock renders before taking it, then adds the message in the same transaction as its change."""
    context.setdefault("subject", subject)
    context.setdefault("site_url", current_app.config["SITE_URL"])
    context.setdefault("reply_to", reply_to)  # the footer says where a reply goes, or not to reply
    return OutboxMessage(
        to_address=to.strip(),
        subject=subject,
        body_text=render_template(f"emails/{template}.txt", **context),
        body_html=render_template(f"emails/{template}.html", **context),
        attachments=[a.to_json() for a in attachments],
        category=category or template,
        dedupe_key=dedupe_key,
        webinar_id=webinar_id,
        application_id=application_id,
        reply_to=reply_to,
        status=MailStatus.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
    )


def build_mime(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME structure Outlook, Gmail and Thunderbird all understand:
    multipart/mixed[ multipart/alternative[text/plain, text/html, (text/calendar)], attachments ]."""
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = sender
    mime["To"] = message.to_address
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    # Stable Message-ID: a retried delivery is recognisable as the same mail.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tig-partenaires.local"
    mime["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    mime.set_content(message.body_text, subtype="plain", charset="utf-8")
    mime.add_alternative(message.body_html, subtype="html", charset="utf-8")
    items = message.attachments or []
    for item in items:
        if item.get("calendar_alternative"):
            maintype, subtype, params = _split_content_type(item["content_type"])
            mime.add_alternative(
                base64.b64decode(item["data"]).decode("utf-8"), subtype=subtype, charset="utf-8", params=params
            )
    for item in items:
        maintype, subtype, params = _split_content_type(item["content_type"])
        if maintype == "text":  # the attached invite too says its charset (Outlook reads this part)
            params = {**params, "charset": "UTF-8"}
        mime.add_attachment(
            base64.b64decode(item["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
            params=params,
        )
    return mime


def _split_content_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar; method=REQUEST; charset=UTF-8' → ('text', 'calendar', {'method': 'REQUEST'})."""
    maintype, _, rest = content_type.partition("/")
    subtype, *params = [p.strip() for p in rest.split(";")]
    param_dict = dict(p.split("=", 1) for p in params if "=" in p)
    param_dict.pop("charset", None)  # set by the email package itself
    return maintype, subtype, param_dict


def _open_smtp() -> smtplib.SMTP:
    """SMTP session from Flask-Mail's settings, with a timeout (Flask-Mail's own has none)."""
    state = current_app.extensions["mail"]
    timeout = current_app.config["MAIL_TIMEOUT_SECONDS"]
    smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
    host = smtp_class(state.server, state.port, timeout=timeout)
    if state.use_tls:
        host.starttls()
    if state.username and state.password:
        host.login(state.username, state.password)
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
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now))
            .values(status=MailStatus.SENDING, locked_until=lease_until)
        )
        if result.rowcount == 1:
            claimed.append((message_id, lease_until))
    db.session.commit()
    return claimed


def _renew(message_id: int, lease_until: datetime) -> datetime | None:
    """Extend this worker's lease on one message right before sending it; None if it is no longer ours."""
    begin_write_transaction()
    renewed = utcnow() + _lease()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MailStatus.SENDING,
            OutboxMessage.locked_until == lease_until,
        )
        .values(locked_until=renewed)
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
    sender = config["MAIL_DEFAULT_SENDER"]
    envelope_from = parseaddr(sender)[1]
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
            message = db.session.get(OutboxMessage, message_id)
            to_address, subject = message.to_address, message.subject
            error: Exception | None = None
            mime = None
            try:
                mime = build_mime(message, sender) if use_smtp else None
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
                    smtp.send_message(mime, from_addr=envelope_from, to_addrs=[to_address])
                else:
                    log.info("Courriel (non envoyé, pas de serveur SMTP) à %s : %s", to_address, subject)
            except _ServerUnreachable as server_error:
                unreachable = server_error
                error = server_error.error
            except (smtplib.SMTPException, OSError) as smtp_error:
                smtp = _close_quietly(smtp)
                error = smtp_error
            except Exception as unexpected:  # e.g. an address the SMTP library cannot encode
                log.exception("Erreur inattendue à l'envoi du courriel %s", message_id)
                smtp = _close_quietly(smtp)
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
    message = db.session.get(OutboxMessage, message_id)
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
    message = db.session.get(OutboxMessage, message_id)
    if message.status == MailStatus.SENDING:
        message.status = MailStatus.QUEUED
        message.locked_until = None
        message.next_attempt_at = utcnow() + _backoff(max(message.attempts, 1))
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
    db.session.commit()


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer for the recipient (unknown address…) will not get better by retrying."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return False


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
