"""From what a request queued to the message the worker sends.

A request queues a mail as references (``outbox.queue_mail``): its kind, the rows its templates read
(stored as model name + id), the plain values it freezes (a waiting-list position, a reason, a
date) and its attachments as the name of a builder function with that builder's arguments. The
request renders nothing. The worker calls ``render()`` — rows loaded, both templates rendered,
builders called — then ``to_mime()`` right before sending.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import cache
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import DeclarativeBase

from app.extensions import db
from app.mail.kinds import MailKind
from app.mail.models import OutboxMessage

PARIS = ZoneInfo("Europe/Paris")
Model = cast(type[DeclarativeBase], db.Model)  # every model's base class (built by Flask-SQLAlchemy)


class MailRowGone(Exception):
    """A row the mail refers to was deleted before the worker rendered it: the mail cannot be sent."""


# --- attachments, built by the worker ---------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # may carry parameters: 'text/calendar; method=REQUEST; charset=UTF-8'
    data: bytes
    # Calendar invites are also added as an alternative part so Outlook shows Accept/Decline.
    calendar_alternative: bool = False


AttachmentBuilder = Callable[..., Attachment]
_BUILDERS: dict[str, AttachmentBuilder] = {}
_BUILDER_NAMES: dict[AttachmentBuilder, str] = {}


def attachment_builder(name: str) -> Callable[[AttachmentBuilder], AttachmentBuilder]:
    """Declare a function that makes an attachment from its arguments (rows, frozen values). The name is
    what the outbox stores: it must not change while mails naming it may be waiting."""

    def register(function: AttachmentBuilder) -> AttachmentBuilder:
        if _BUILDERS.get(name, function) is not function:
            raise ValueError(f"Deux fonctions déclarées pour la pièce jointe {name!r}")
        _BUILDERS[name] = function
        _BUILDER_NAMES[function] = name
        return function

    return register


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment as queued: which builder, with which (frozen) arguments."""

    builder: str
    arguments: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"builder": self.builder, "arguments": self.arguments}


def attach(builder: AttachmentBuilder, **arguments: Any) -> AttachmentRef:
    """The attachment ``builder(**arguments)`` will return when the worker sends the mail."""
    try:
        name = _BUILDER_NAMES[builder]
    except KeyError:
        raise ValueError(f"{builder!r} n'est pas déclarée avec @attachment_builder") from None
    return AttachmentRef(name, freeze(arguments))


# --- references and frozen values --------------------------------------------------------------------

_ROW, _DATETIME, _DATE = "$row", "$datetime", "$date"


def freeze(value: Any, where: str = "contexte") -> Any:
    """``value`` as JSON: rows as references (flushed first if new), dates tagged, the rest as is.
    Anything else (an enum, a form, a file) is refused here, in the request, not later in the worker."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        return str(value)
    if isinstance(value, Model):
        return {_ROW: [type(value).__name__, _row_id(value, where)]}
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, list | tuple):
        return [freeze(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        if any(not isinstance(key, str) or key.startswith("$") for key in value):
            raise TypeError(f"{where} : clés de dictionnaire invalides {list(value)!r}")
        return {key: freeze(item, f"{where}.{key}") for key, item in value.items()}
    raise TypeError(f"{where} : une valeur {type(value).__name__} ne peut pas être mise en file d'envoi")


def _row_id(row: Any, where: str) -> Any:
    state = sa.inspect(row)
    if state.transient or state.detached and state.key is None:
        raise TypeError(f"{where} : {type(row).__name__} n'est pas enregistré(e) en base")
    if state.key is None:  # pending: its id comes with the INSERT
        db.session.flush()
    (identity,) = state.key[1]
    return identity


@cache
def _models() -> dict[str, type]:
    return {mapper.class_.__name__: mapper.class_ for mapper in Model.registry.mappers}


def thaw(value: Any) -> Any:
    if isinstance(value, list):
        return [thaw(item) for item in value]
    if not isinstance(value, dict):
        return value
    if _ROW in value:
        name, identity = value[_ROW]
        row = db.session.get(_models()[name], identity)
        if row is None:
            raise MailRowGone(f"{name} {identity} n'existe plus")
        return row
    if _DATETIME in value:
        return datetime.fromisoformat(value[_DATETIME])
    if _DATE in value:
        return date.fromisoformat(value[_DATE])
    return {key: thaw(item) for key, item in value.items()}


# --- rendering ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    kind: MailKind
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    reply_to: str | None = None


def render(message: OutboxMessage) -> RenderedMail:
    """The mail as it goes out now: rows read from the database, templates rendered, attachments built."""
    kind = MailKind(message.kind)
    context = thaw(message.context or {})
    context.setdefault("subject", message.subject)
    context.setdefault("site_url", current_app.config["SITE_URL"])
    context.setdefault("reply_to", message.reply_to)  # the footer says where a reply goes, or not to reply
    text_template, html_template = kind.templates
    attachments = tuple(_BUILDERS[item["builder"]](**thaw(item["arguments"])) for item in (message.attachments or []))
    return RenderedMail(
        kind=kind,
        to=message.to_address,
        subject=message.subject,
        text=render_template(text_template, **context),
        html=render_template(html_template, **context),
        attachments=attachments,
        reply_to=message.reply_to,
    )


def clean_subject(subject: str) -> str:
    """One line, single spaces: a title typed with a line break or two spaces stays readable everywhere."""
    return " ".join(subject.split())


# --- the message sent ---------------------------------------------------------------------------------


def site_domain() -> str:
    """The site's host name (from SITE_URL), for the Message-ID."""
    return urlsplit(current_app.config["SITE_URL"]).hostname or "tig-partenaires.invalid"


def message_id_header(message: OutboxMessage) -> str:
    """The same for every attempt to send one outbox row (a retried delivery is the same mail), unique
    across databases by its creation instant."""
    return f"<{message.created_at:%Y%m%d%H%M%S%f}.outbox-{message.id}@{site_domain()}>"


def encoded_subject(subject: str) -> str:
    """The Subject header's value, folded and RFC 2047-encoded so that it unfolds to ``subject`` exactly.

    Not left to the email package's own folder: it splits a word into two encoded words
    ("intérêt" + "général" read back as "intérêtgénéral") and leaves a space before a line break
    (read back as two spaces). The legacy ``Header`` encodes the whole text in encoded words whose
    spaces are inside them, each line within 76 characters."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, maxlinelen=76, header_name="Subject").encode(linesep="\n")


def to_mime(mail: RenderedMail, *, sender: str, message_id: str, now: datetime) -> EmailMessage:
    """The structure Outlook, Gmail and Thunderbird all understand:
    multipart/mixed[ multipart/alternative[text/plain, text/html, (text/calendar)], attachments ].

    ``now`` (aware) is the Date header: the moment the message is built for sending. Every mail of the
    site is written by the site itself: ``Auto-Submitted: auto-generated`` (RFC 3834) tells
    mail servers and out-of-office responders not to answer it automatically."""
    mime = EmailMessage(policy=SMTP)
    mime.set_raw("Subject", encoded_subject(mail.subject))
    mime["From"] = sender
    mime["To"] = mail.to
    if mail.reply_to:
        mime["Reply-To"] = mail.reply_to
    mime["Date"] = format_datetime(now.astimezone(PARIS))
    mime["Message-ID"] = message_id
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(mail.text, subtype="plain", charset="utf-8")
    mime.add_alternative(mail.html, subtype="html", charset="utf-8")
    for item in mail.attachments:
        if item.calendar_alternative:
            _, subtype, params = _split_content_type(item.content_type)
            mime.add_alternative(item.data.decode("utf-8"), subtype=subtype, charset="utf-8", params=params)
    for item in mail.attachments:
        maintype, subtype, params = _split_content_type(item.content_type)
        if maintype == "text":  # the attached invite too says its charset (Outlook reads this part)
            params = {**params, "charset": "UTF-8"}
        mime.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename, params=params)
    return mime


def _split_content_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar; method=REQUEST; charset=UTF-8' → ('text', 'calendar', {'method': 'REQUEST'})."""
    maintype, _, rest = content_type.partition("/")
    subtype, *params = [p.strip() for p in rest.split(";")]
    param_dict = dict(p.split("=", 1) for p in params if "=" in p)
    param_dict.pop("charset", None)  # set by the email package itself
    return maintype, subtype, param_dict
