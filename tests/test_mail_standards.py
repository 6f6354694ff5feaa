"""Every kind of mail the site sends (``MailKind``, the code's own list), produced by the real services,
delivered by the worker to a real SMTP server (aiosmtpd) and read back with the standard library's
strict parser: RFC 5322 Date and Message-ID, RFC 3834 Auto-Submitted, RFC 2047 subjects that unfold
to what was written, a text part and an HTML part that say the same thing."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.applications import review
from app.applications.jobs import send_draft_reminders
from app.applications.models import Application, ApplicationStatus
from app.auth import notifications
from app.extensions import db
from app.formatting import utcnow
from app.mail.kinds import MailKind
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import deliver_pending
from app.webinars import services
from tests.factories import APPROVAL, make_referent, make_registration_data, make_webinar
from tests.test_application_wizard import complete_association, start, step_url

# A title as people type them: two spaces, a line break, accents, and long enough to be folded.
HOSTILE_TITLE = (
    "Accueillir  une personne en travail d'intérêt général :\n le rôle du tuteur, les démarches "
    "auprès du SPIP et les questions fréquentes des structures de l'économie sociale et solidaire"
)


class Recorder:
    def __init__(self):
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=5)
    yield recorder
    controller.stop()


def queue_every_kind(client) -> None:
    """Walk the site's journeys so that it queues at least one mail of every kind."""
    # Back-office accounts.
    admin = make_referent(email="admin.tig@justice.fr", name="Admin National", is_admin=True)
    referent = make_referent(email="ref33@justice.fr", name="Claire Référente", departements=("33",))
    db.session.flush()
    notifications.queue_invitation(referent, invited_by=admin)
    notifications.queue_password_reset(referent)
    notifications.queue_security_notice(referent, "votre mot de passe a été modifié.")
    db.session.commit()

    # Applications: the applicant's journey through the site, then the référent's review.
    token = start(client, email="jeanne.martin@exemple.fr")
    complete_association(client, token)
    assert client.post(step_url(token, 6), data={"accept": "y"}).status_code == 302
    assert client.post(f"/suivi/{token}/message", data={"body": "Voici nos précisions."}).status_code == 302
    draft_token = start(client, email="brouillon@exemple.fr")
    db.session.execute(
        sa.update(Application)
        .where(Application.access_token == draft_token)
        .values(draft_expires_at=utcnow() + timedelta(days=1))
    )
    db.session.commit()
    assert send_draft_reminders() == 1
    application = db.session.scalar(sa.select(Application).filter_by(access_token=token))
    review.take(application, referent)
    review.request_complements(application, referent, ["Statuts à jour"], "Pouvez-vous nous les envoyer ?")
    review.send_message(application, referent, "Merci pour votre envoi.")  # the applicant is mailed
    review.apply_action(application, "resume", referent)
    review.apply_action(application, "send_for_decision", referent)
    review.apply_action(application, "approve", referent, "Avis favorables.", approval=APPROVAL)
    db.session.commit()
    assert application.status is ApplicationStatus.APPROVED

    # Webinars: a full one with a waiting list, then every change a registrant is told about.
    webinar = make_webinar(capacity=1, title=HOSTILE_TITLE, starts_in=timedelta(days=10))
    db.session.commit()
    seated = services.register(webinar.id, make_registration_data(email="assise@example.org"))
    waiting = services.register(webinar.id, make_registration_data(email="attente@example.org"))
    db.session.commit()
    services.send_management_link(waiting)
    services.resend_invite(seated.id)
    services.cancel_registration(seated.id)  # the seat goes to the person waiting
    db.session.commit()
    services.send_join_link(waiting)
    data = services.WebinarData(
        title=webinar.title,
        description=webinar.description,
        starts_at=webinar.starts_at + timedelta(hours=1),
        duration_minutes=webinar.duration_minutes,
        capacity=webinar.capacity,
        registration_deadline=webinar.registration_deadline,
        waitlist_enabled=webinar.waitlist_enabled,
        organiser_name=webinar.organiser_name,
        organiser_email=webinar.organiser_email,
        departement_codes=webinar.departement_codes,
        join_url=webinar.join_url,
    )
    services.update_webinar(webinar.id, data)
    services.cancel_webinar(webinar.id, reason="Intervenant indisponible.")
    db.session.commit()


@pytest.fixture
def delivered(app, client, smtp) -> list[EmailMessage]:
    queue_every_kind(client)
    while sum(deliver_pending().values()):
        pass
    db.session.rollback()
    statuses = set(db.session.scalars(sa.select(OutboxMessage.status)))
    assert statuses == {MailStatus.SENT}, db.session.scalars(sa.select(OutboxMessage.last_error)).all()
    return [email.message_from_bytes(raw, policy=email.policy.strict) for raw in smtp.received]


def kind_of(message: EmailMessage) -> MailKind:
    row = db.session.scalar(
        sa.select(OutboxMessage).filter_by(to_address=str(message["To"]), subject=message["Subject"])
    )
    assert row is not None, message["Subject"]
    return MailKind(row.kind)


def test_every_kind_of_mail_is_delivered(delivered):
    assert {kind_of(message) for message in delivered} == set(MailKind)


RFC5322_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")


def test_every_mail_has_the_headers_the_rfcs_ask_for(app, delivered):
    domain = urlsplit(app.config["SITE_URL"]).hostname
    now = datetime.now(UTC)
    message_ids = []
    for message in delivered:
        where = message["Subject"]
        assert RFC5322_DATE.match(message["Date"]), (where, message["Date"])
        assert abs(parsedate_to_datetime(message["Date"]) - now) < timedelta(minutes=10), where
        message_id = message["Message-ID"]
        assert re.fullmatch(r"<[^<>@\s]+@" + re.escape(domain) + ">", message_id), (where, message_id)
        message_ids.append(message_id)
        assert message["Auto-Submitted"] == "auto-generated", where
        assert message["From"] and message["To"], where
    assert len(set(message_ids)) == len(message_ids)


def test_subjects_unfold_to_what_was_written(delivered):
    subjects = [str(message["Subject"]) for message in delivered]
    for subject in subjects:
        assert "  " not in subject and subject == subject.strip() and "\n" not in subject, subject
    folded = [s for s in subjects if HOSTILE_TITLE.split(maxsplit=1)[0] in s]
    assert folded and all(" ".join(HOSTILE_TITLE.split()) in s for s in folded)
    # The long subjects really were folded on the wire (and unfolded back above).
    assert any(len(s) > 78 for s in folded)


class _Text(HTMLParser):
    """The text a reader sees in an HTML part: no <head>, links counted by their address."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "title"):
            self.skip += 1
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("http"):
            self.parts.append(f" {href} ")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


# How an HTML part gives a link a second time, under its button: the text part gives it once.
BUTTON_FALLBACK = re.compile(r"Si le bouton ne fonctionne pas, copiez (ce lien|cette adresse) dans votre navigateur")


def words(text: str) -> set[str]:
    """The words that carry meaning (more than three letters), whatever their case."""
    text = BUTTON_FALLBACK.sub(" ", " ".join(text.split()))
    return {word.lower() for word in re.findall(r"\w[\w'’-]*", text) if len(word) > 3}


def urls(text: str) -> set[str]:
    return {url.rstrip(".,;)") for url in re.findall(r"https?://[^\s<>\"]+", text)}


def test_text_and_html_parts_say_the_same_thing(delivered):
    for message in delivered:
        where = message["Subject"]
        text = message.get_body(("plain",)).get_content()
        parser = _Text()
        parser.feed(message.get_body(("html",)).get_content())
        html_text = " ".join(parser.parts)
        assert urls(text) == urls(html_text), where
        text_words, html_words = words(text), words(html_text)
        only_text, only_html = text_words - html_words, html_words - text_words
        assert len(only_text) <= 0.1 * len(text_words), (where, sorted(only_text))
        assert len(only_html) <= 0.1 * len(html_words), (where, sorted(only_html))
