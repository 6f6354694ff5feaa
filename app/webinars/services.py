"""Webinar operations: registration with a seat cap and a waiting list, cancellation and promotion,
changes and cancellation of a webinar, invites and the join link.

Services take explicit arguments, raise domain exceptions and only ``flush()`` — the caller
commits once. Every operation that reads the seat count and then writes takes the write lock first
(``lock_for_update()``: BEGIN IMMEDIATE on SQLite; plus ``FOR UPDATE`` on the webinar row on
PostgreSQL), then recounts. Mails are queued in the same transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import raiseload

from app.database import lock_for_update
from app.eligibility.structures import StructureType
from app.emails import normalize_email
from app.extensions import db
from app.formatting import datetime_fr, paris_to_utc, time_range_fr, to_paris, utcnow
from app.mail.compose import Attachment, AttachmentRef, attach, attachment_builder
from app.mail.outbox import queue_mail
from app.urls import absolute_url
from app.webinars import ical
from app.webinars.models import (
    Registration,
    RegistrationStatus,
    Webinar,
    WebinarDepartement,
    WebinarStatus,
    new_token,
    place_label,
)

# --- domain exceptions --------------------------------------------------------------------------


class WebinarError(Exception):
    """A rule of the webinars refused the operation; ``message`` is French, for the user."""

    message = "L'opération n'est pas possible."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class WebinarNotFound(WebinarError):
    message = "Ce webinaire n'existe pas."


class RegistrationClosed(WebinarError):
    message = "Les inscriptions à ce webinaire sont closes."


class WebinarFull(WebinarError):
    message = "Ce webinaire est complet."


class AlreadyRegistered(WebinarError):
    message = "Une inscription à ce webinaire existe déjà pour cette adresse électronique."

    def __init__(self, registration: Registration):
        super().__init__()
        self.registration = registration


class AlreadyCancelled(WebinarError):
    message = "Cette inscription est déjà annulée."


class CancellationClosed(WebinarError):
    message = "Il n'est plus possible d'annuler cette inscription en ligne."


class NotWaiting(WebinarError):
    message = "Cette personne n'est pas sur la liste d'attente."


class NotConfirmed(WebinarError):
    message = "Cette inscription n'est pas confirmée."


class WebinarAlreadyCancelled(WebinarError):
    message = "Ce webinaire est déjà annulé."


class CapacityTooLow(WebinarError):
    message = "La capacité ne peut pas être inférieure au nombre d'inscriptions confirmées."


class NoJoinUrl(WebinarError):
    message = "Aucun lien de connexion n'est renseigné pour ce webinaire."


# --- inputs -------------------------------------------------------------------------------------


@dataclass
class RegistrationData:
    last_name: str
    first_name: str
    email: str
    structure_name: str
    structure_type: StructureType
    departement_code: str
    role: str
    question: str = ""


@dataclass
class WebinarData:
    title: str
    description: str
    starts_at: datetime  # naive UTC
    duration_minutes: int
    capacity: int
    registration_deadline: datetime  # naive UTC
    waitlist_enabled: bool
    organiser_name: str
    organiser_email: str
    hosts: str = ""
    audience: str = ""
    departement_codes: list[str] = field(default_factory=list)
    region: str | None = None
    join_url: str = ""


@dataclass
class WebinarCard:
    """A webinar with its seat counts, as listed publicly and on the home page."""

    webinar: Webinar
    confirmed: int
    waiting: int
    # The public lists read the départements with the card, in the same statement (the webinars'
    # relationship is then not loaded); elsewhere they come from the webinar.
    departement_codes: list[str] | None = None

    @property
    def place_label(self) -> str:
        codes = self.webinar.departement_codes if self.departement_codes is None else self.departement_codes
        return place_label(self.webinar.region, codes)

    @property
    def seats_left(self) -> int:
        return max(self.webinar.capacity - self.confirmed, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0


# --- helpers ------------------------------------------------------------------------------------


def _lock_webinar(webinar_id: int) -> Webinar:
    # The départements (eager elsewhere) are not reloaded under the lock: loaded again if ever read.
    webinar = lock_for_update(Webinar, webinar_id, not_loaded=("departements",))
    if webinar is None:
        raise WebinarNotFound()
    return webinar


def _reload_registration(registration_id: int) -> Registration:
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.id == registration_id).execution_options(populate_existing=True)
    )
    if registration is None:
        raise WebinarError("Cette inscription n'existe pas.")
    return registration


def count_status(webinar_id: int, status: RegistrationStatus) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.webinar_id == webinar_id, Registration.status == status
            )
        )
        or 0
    )


def seat_counts(webinar_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{webinar_id: (confirmed, waiting)} in one query."""
    if not webinar_ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.webinar_id, Registration.status, sa.func.count(Registration.id))
        .where(Registration.webinar_id.in_(webinar_ids), Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Registration.webinar_id, Registration.status)
    ).all()
    counts = {webinar_id: [0, 0] for webinar_id in webinar_ids}
    for webinar_id, status, number in rows:
        counts[webinar_id][0 if status is RegistrationStatus.CONFIRMED else 1] = number
    return {key: (value[0], value[1]) for key, value in counts.items()}


def waiting_list(webinar_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.webinar_id == webinar_id, Registration.status == RegistrationStatus.WAITING)
            .order_by(Registration.created_at, Registration.id)
        )
    )


def join_link_due_at(webinar: Webinar, hour: str | None = None) -> datetime:
    """The day before the webinar at WEBINAR_JOIN_LINK_HOUR (Europe/Paris), as naive UTC."""
    hour = hour or current_app.config["WEBINAR_JOIN_LINK_HOUR"]
    hours, _, minutes = hour.partition(":")
    day_before = to_paris(webinar.starts_at).date() - timedelta(days=1)
    local = datetime.combine(day_before, time(int(hours), int(minutes or 0)))
    return min(paris_to_utc(local), webinar.starts_at)


def cancellation_deadline(webinar: Webinar, cutoff_hours: int | None = None) -> datetime:
    if cutoff_hours is None:
        cutoff_hours = current_app.config["WEBINAR_CANCELLATION_CUTOFF_HOURS"]
    return webinar.starts_at - timedelta(hours=cutoff_hours)


def can_cancel(registration: Registration, now: datetime | None = None, cutoff_hours: int | None = None) -> bool:
    now = now or utcnow()
    webinar = registration.webinar
    return (
        registration.is_active
        and not webinar.is_cancelled
        and now < cancellation_deadline(webinar, cutoff_hours)
        and now < webinar.starts_at
    )


# --- mails ---------------------------------------------------------------------------------------


def _attendee(registration: Registration) -> ical.Attendee:
    return ical.Attendee(name=registration.full_name, email=registration.email)


# A calendar file describes the event as it is when its mail is queued, with the SEQUENCE of that
# moment: its facts are frozen in the queued mail, and the worker writes the file from them.


def _calendar_facts(webinar: Webinar, registration: Registration, now: datetime) -> dict:
    page_url = absolute_url("webinars.manage", token=registration.token)
    event = ical.EventInfo.from_webinar(webinar, page_url)
    return {"event": asdict(event), "attendee": asdict(_attendee(registration)), "now": now}


def _calendar(method: str, event: dict, attendee: dict, now: datetime) -> bytes:
    return ical.build_calendar(ical.EventInfo(**event), method, attendee=ical.Attendee(**attendee), now=now)


@attachment_builder("webinar.invite")
def invite_attachment(event: dict, attendee: dict, now: datetime) -> Attachment:
    """The REQUEST of one registrant."""
    data = _calendar("REQUEST", event, attendee, now)
    return Attachment("invitation.ics", ical.content_type("REQUEST"), data, calendar_alternative=True)


@attachment_builder("webinar.cancel")
def cancel_attachment(event: dict, attendee: dict, now: datetime) -> Attachment:
    """The CANCEL of one registrant: the webinar cancelled, or this attendee removed."""
    data = _calendar("CANCEL", event, attendee, now)
    return Attachment("annulation.ics", ical.content_type("CANCEL"), data, calendar_alternative=True)


def _invite(webinar: Webinar, registration: Registration, now: datetime) -> AttachmentRef:
    return attach(invite_attachment, **_calendar_facts(webinar, registration, now))


def _cancel(webinar: Webinar, registration: Registration, now: datetime) -> AttachmentRef:
    return attach(cancel_attachment, **_calendar_facts(webinar, registration, now))


def _mail(registration: Registration, template: str, subject: str, *, attachments=(), dedupe_key=None, **extra):
    """Queue a mail to a registrant about their webinar."""
    webinar = registration.webinar
    return queue_mail(
        to=registration.email,
        subject=subject,
        template=template,
        category=template,
        webinar_id=webinar.id,
        reply_to=webinar.organiser_email,
        attachments=attachments,
        dedupe_key=dedupe_key,
        webinar=webinar,
        registration=registration,
        when=time_range_fr(webinar.starts_at, webinar.ends_at),
        manage_url=absolute_url("webinars.manage", token=registration.token),
        webinar_url=absolute_url("webinars.detail", webinar_id=webinar.id),
        **extra,
    )


def _join_link_now(webinar: Webinar, now: datetime) -> bool:
    return bool(webinar.join_url) and now >= join_link_due_at(webinar)


def _queue_confirmed(registration: Registration, template: str, subject: str, now: datetime) -> None:
    """The confirmation (or promotion) with its invite; the join link too when it is already due."""
    join_link_now = _join_link_now(registration.webinar, now)
    _mail(
        registration,
        template,
        subject,
        attachments=[_invite(registration.webinar, registration, now)],
        join_link_now=join_link_now,
    )
    if join_link_now:
        send_join_link(registration, now=now)


def send_management_link(registration: Registration) -> None:
    """Someone registered again with the same address: remind them of their management link."""
    _mail(
        registration,
        "webinar_already_registered",
        f"Votre inscription au webinaire « {registration.webinar.title} »",
        position=registration.waiting_position,
    )


def send_join_link(registration: Registration, *, now: datetime | None = None) -> bool:
    """Queue the join link for a confirmed registration, at most once ever (dedupe key)."""
    now = now or utcnow()
    webinar = registration.webinar
    if registration.status is not RegistrationStatus.CONFIRMED or webinar.is_cancelled or not webinar.join_url:
        return False
    if webinar.is_past(now):
        return False
    key = f"webinar-join-link:{registration.id}"
    try:
        with db.session.begin_nested():  # a concurrent worker may insert the same key first
            message = _mail(
                registration,
                "webinar_join_link",
                f"Lien de connexion : {webinar.title}",
                dedupe_key=key,
                join_url=webinar.join_url,
            )
    except IntegrityError:
        message = None
    if message is None:
        return False
    registration.join_link_sent_at = now
    db.session.flush()
    return True


# --- registration -------------------------------------------------------------------------------


def _build_registration_state_query() -> sa.Select:
    of_webinar = Registration.webinar_id == sa.bindparam("webinar_id")
    confirmed = sa.select(sa.func.count()).where(of_webinar, Registration.status == RegistrationStatus.CONFIRMED)
    waiting = sa.select(sa.func.count()).where(
        of_webinar, Registration.status == RegistrationStatus.WAITING, Registration.created_at <= sa.bindparam("now")
    )
    existing = (
        sa.select(Registration.id)
        .where(
            of_webinar,
            Registration.email_normalized == sa.bindparam("email_normalized"),
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .limit(1)
    )
    return sa.select(confirmed.scalar_subquery(), waiting.scalar_subquery(), existing.scalar_subquery())


# Built once: it runs for every registration, while the seat lock is held.
_REGISTRATION_STATE = _build_registration_state_query()


def _registration_state(webinar_id: int, email_normalized: str, now: datetime) -> tuple[int, int, int | None]:
    """(confirmed seats, people waiting who arrived by ``now``, id of an active registration with this
    address or None) in one query, each part read from an index only."""
    row = db.session.execute(
        _REGISTRATION_STATE, {"webinar_id": webinar_id, "email_normalized": email_normalized, "now": now}
    ).one()
    return int(row[0] or 0), int(row[1] or 0), row[2]


def _decide(webinar: Webinar, confirmed: int, waiting: int) -> tuple[RegistrationStatus, int | None]:
    """The new registration's status and, on the waiting list, its position. Raises WebinarFull."""
    if confirmed < webinar.capacity:
        return RegistrationStatus.CONFIRMED, None
    if webinar.waitlist_enabled:
        return RegistrationStatus.WAITING, waiting + 1
    raise WebinarFull("Ce webinaire est complet et n'a pas de liste d'attente.")


def register(webinar_id: int, data: RegistrationData, *, now: datetime | None = None) -> Registration:
    """Confirm a seat while one is left, else join the waiting list (where there is one).

    Raises RegistrationClosed, AlreadyRegistered (with the existing registration) or WebinarFull.

    Under the write lock: the seats and the waiting list are recounted, the registration is inserted
    and its mail queued as a reference with the waiting-list position it was given; the worker renders
    it after the commit.
    """
    email_normalized = normalize_email(data.email)
    webinar = _lock_webinar(webinar_id)
    now = now or utcnow()  # read under the lock: arrival order = created_at order = id order
    if webinar.is_cancelled:
        raise RegistrationClosed("Ce webinaire est annulé : il n'est plus possible de s'y inscrire.")
    if webinar.has_started(now):
        raise RegistrationClosed("Ce webinaire a déjà commencé : les inscriptions sont closes.")
    if now >= webinar.registration_deadline:
        raise RegistrationClosed(
            f"Les inscriptions sont closes depuis le {datetime_fr(webinar.registration_deadline)}."
        )
    confirmed, waiting, existing = _registration_state(webinar.id, email_normalized, now)
    if existing is not None:
        raise AlreadyRegistered(db.session.get_one(Registration, existing))
    status, position = _decide(webinar, confirmed, waiting)
    registration = Registration(
        webinar=webinar,
        token=new_token(),
        last_name=data.last_name.strip(),
        first_name=data.first_name.strip(),
        email=data.email.strip(),
        email_normalized=email_normalized,
        structure_name=data.structure_name.strip(),
        structure_type=data.structure_type,
        departement_code=data.departement_code,
        role=data.role.strip(),
        question=(data.question or "").strip(),
        status=status,
        consent_at=now,
        created_at=now,
        updated_at=now,
    )
    db.session.add(registration)
    registration.position_at_registration = position
    if status is RegistrationStatus.CONFIRMED:
        _queue_confirmed(registration, "webinar_confirmation", f"Inscription confirmée : {webinar.title}", now)
    else:
        _mail(registration, "webinar_waiting", f"Liste d'attente : {webinar.title}", position=position)
    return registration


def _promote(registration: Registration, now: datetime) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.promoted_at = now
    registration.updated_at = now
    db.session.flush()
    _queue_confirmed(
        registration,
        "webinar_promoted",
        f"Une place s'est libérée : votre inscription est confirmée ({registration.webinar.title})",
        now,
    )


def _fill_free_seats(webinar: Webinar, now: datetime) -> list[Registration]:
    """Give free seats to the people waiting, in arrival order (the webinar row is locked)."""
    if webinar.is_cancelled or webinar.has_started(now):
        return []
    free = webinar.capacity - count_status(webinar.id, RegistrationStatus.CONFIRMED)
    promoted = []
    for registration in waiting_list(webinar.id)[: max(free, 0)]:
        _promote(registration, now)
        promoted.append(registration)
    return promoted


def promote_next(webinar_id: int, *, now: datetime | None = None) -> list[Registration]:
    """Back office: give every free seat to the waiting list, in order."""
    now = now or utcnow()
    webinar = _lock_webinar(webinar_id)
    return _fill_free_seats(webinar, now)


def promote_registration(registration_id: int, *, now: datetime | None = None) -> Registration:
    """Back office: confirm one chosen person of the waiting list, if a seat is free."""
    now = now or utcnow()
    registration = _reload_registration(registration_id)
    webinar = _lock_webinar(registration.webinar_id)
    registration = _reload_registration(registration_id)
    if registration.status is not RegistrationStatus.WAITING:
        raise NotWaiting()
    if webinar.is_cancelled or webinar.has_started(now):
        raise RegistrationClosed("Ce webinaire est annulé ou a déjà commencé.")
    if count_status(webinar.id, RegistrationStatus.CONFIRMED) >= webinar.capacity:
        raise WebinarFull(
            "Toutes les places sont prises : augmentez la capacité du webinaire pour confirmer cette personne."
        )
    _promote(registration, now)
    return registration


def cancel_registration(
    registration_id: int, *, now: datetime | None = None, cutoff_hours: int | None = None
) -> list[Registration]:
    """Cancel one registration; a freed seat goes to the first person waiting. Returns the promoted."""
    now = now or utcnow()
    registration = _reload_registration(registration_id)
    webinar = _lock_webinar(registration.webinar_id)
    registration = _reload_registration(registration_id)
    if registration.status is RegistrationStatus.CANCELLED:
        raise AlreadyCancelled()
    if webinar.is_cancelled:
        raise CancellationClosed("Ce webinaire est annulé : votre inscription n'a plus besoin d'être annulée.")
    if not can_cancel(registration, now, cutoff_hours):
        raise CancellationClosed(
            "Le délai d'annulation en ligne est dépassé. Prévenez directement l'organisateur du webinaire."
        )
    was_confirmed = registration.status is RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.updated_at = now
    if was_confirmed:
        webinar.ics_sequence += 1  # the CANCEL removing this attendee must supersede the REQUEST they hold
    db.session.flush()
    _mail(
        registration,
        "webinar_registration_cancelled",
        f"Désinscription enregistrée : {webinar.title}",
        attachments=[_cancel(webinar, registration, now)] if was_confirmed else [],
        was_confirmed=was_confirmed,
    )
    return _fill_free_seats(webinar, now) if was_confirmed else []


def resend_invite(registration_id: int, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    registration = _reload_registration(registration_id)
    webinar = registration.webinar
    if registration.status is not RegistrationStatus.CONFIRMED:
        raise NotConfirmed("Seules les inscriptions confirmées reçoivent une invitation.")
    if webinar.is_cancelled:
        raise WebinarAlreadyCancelled()
    _mail(
        registration,
        "webinar_invite",
        f"Invitation : {webinar.title}",
        attachments=[_invite(webinar, registration, now)],
    )


def send_join_links_now(webinar_id: int, *, now: datetime | None = None) -> int:
    """Back office: send the join link to every confirmed registrant who has not had it yet."""
    now = now or utcnow()
    webinar = _lock_webinar(webinar_id)
    if not webinar.join_url:
        raise NoJoinUrl()
    if webinar.is_cancelled:
        raise WebinarAlreadyCancelled()
    sent = 0
    for registration in _confirmed(webinar.id):
        if registration.join_link_sent_at is None and send_join_link(registration, now=now):
            sent += 1
    return sent


def _confirmed(webinar_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.webinar_id == webinar_id, Registration.status == RegistrationStatus.CONFIRMED)
            .order_by(Registration.created_at, Registration.id)
        )
    )


def _active(webinar_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.webinar_id == webinar_id, Registration.status != RegistrationStatus.CANCELLED)
            .order_by(Registration.created_at, Registration.id)
        )
    )


# --- webinars (back office) ---------------------------------------------------------------------


def create_webinar(data: WebinarData) -> Webinar:
    webinar = Webinar()
    _apply(webinar, data)
    db.session.add(webinar)
    db.session.flush()
    return webinar


def _apply(webinar: Webinar, data: WebinarData) -> None:
    webinar.title = data.title.strip()
    webinar.description = (data.description or "").strip()
    webinar.starts_at = data.starts_at
    webinar.duration_minutes = data.duration_minutes
    webinar.capacity = data.capacity
    webinar.registration_deadline = min(data.registration_deadline, data.starts_at)
    webinar.waitlist_enabled = data.waitlist_enabled
    webinar.organiser_name = data.organiser_name.strip()
    webinar.organiser_email = data.organiser_email.strip()
    webinar.hosts = (data.hosts or "").strip()
    webinar.audience = (data.audience or "").strip()
    webinar.region = data.region or None
    webinar.join_url = (data.join_url or "").strip()
    webinar.set_departement_codes(data.departement_codes)


def update_webinar(webinar_id: int, data: WebinarData, *, now: datetime | None = None) -> bool:
    """Save the changes; a new date or time sends the updated invite to every active registrant.

    Returns whether the schedule changed (and mails were queued).
    """
    now = now or utcnow()
    webinar = _lock_webinar(webinar_id)
    if webinar.is_cancelled:
        raise WebinarAlreadyCancelled("Ce webinaire est annulé : il ne peut plus être modifié.")
    if data.capacity < count_status(webinar.id, RegistrationStatus.CONFIRMED):
        raise CapacityTooLow()
    before = (webinar.starts_at, webinar.duration_minutes, webinar.title, webinar.description)
    _apply(webinar, data)
    after = (webinar.starts_at, webinar.duration_minutes, webinar.title, webinar.description)
    schedule_changed = before[:2] != after[:2]
    if before != after:
        webinar.ics_sequence += 1  # calendars replace their copy only for a higher SEQUENCE
    webinar.updated_at = now
    db.session.flush()
    if schedule_changed:
        for registration in _active(webinar.id):
            confirmed = registration.status is RegistrationStatus.CONFIRMED
            _mail(
                registration,
                "webinar_changed",
                f"Changement d'horaire : {webinar.title}",
                attachments=[_invite(webinar, registration, now)] if confirmed else [],
                previous_when=time_range_fr(before[0], before[0] + timedelta(minutes=before[1])),
                position=registration.waiting_position,
            )
    return schedule_changed


def cancel_webinar(webinar_id: int, *, now: datetime | None = None, reason: str = "") -> int:
    """Cancel the webinar: everyone still registered gets the cancellation (with METHOD:CANCEL)."""
    now = now or utcnow()
    webinar = _lock_webinar(webinar_id)
    if webinar.is_cancelled:
        raise WebinarAlreadyCancelled()
    webinar.status = WebinarStatus.CANCELLED
    webinar.ics_sequence += 1
    webinar.updated_at = now
    db.session.flush()
    registrations = _active(webinar.id)
    for registration in registrations:
        confirmed = registration.status is RegistrationStatus.CONFIRMED
        _mail(
            registration,
            "webinar_cancelled",
            f"Webinaire annulé : {webinar.title}",
            attachments=[_cancel(webinar, registration, now)] if confirmed else [],
            reason=reason.strip(),
        )
    return len(registrations)


# --- queries for pages --------------------------------------------------------------------------


def _with_counts(query: sa.Select) -> sa.Select:
    """``query`` (of webinars) with each one's confirmed and waiting counts, read in the same statement."""

    def count(status: RegistrationStatus):
        return (
            sa.select(sa.func.count(Registration.id))
            .where(Registration.webinar_id == Webinar.id, Registration.status == status)
            .correlate(Webinar)
            .scalar_subquery()
        )

    return query.add_columns(count(RegistrationStatus.CONFIRMED), count(RegistrationStatus.WAITING))


def _cards(statement: sa.Select, **values) -> list[WebinarCard]:
    return [
        WebinarCard(webinar, confirmed or 0, waiting or 0, sorted(codes.split(",")) if codes else [])
        for webinar, confirmed, waiting, codes in db.session.execute(statement, values)
    ]


def _card_select() -> sa.Select:
    """Webinars with their seat counts and their départements (codes joined by commas), in one statement."""
    codes = (
        sa.select(sa.func.aggregate_strings(WebinarDepartement.departement_code, ","))
        .where(WebinarDepartement.webinar_id == Webinar.id)
        .correlate(Webinar)
        .scalar_subquery()
    )
    return _with_counts(sa.select(Webinar).options(raiseload(Webinar.departements))).add_columns(codes)


def _departement_filter(codes: list[str]):
    return Webinar.departements.any(WebinarDepartement.departement_code.in_(codes))


# The public lists' statements, built once per process with their values as parameters: building a
# statement and its cache key costs more than running it on a few webinars.
@cache
def _upcoming_statement(limit: int) -> sa.Select:
    return (
        _card_select()
        .where(Webinar.status == WebinarStatus.SCHEDULED, Webinar.starts_at > sa.bindparam("now"))
        .order_by(Webinar.starts_at, Webinar.id)
        .limit(limit)
    )


@cache
def _public_statements(by_departement: bool) -> tuple[sa.Select, sa.Select]:
    query = _card_select()
    if by_departement:
        query = query.where(
            sa.or_(
                Webinar.departements.any(WebinarDepartement.departement_code == sa.bindparam("departement")),
                ~Webinar.departements.any(),
            )
        )
    upcoming = query.where(Webinar.starts_at > sa.bindparam("now")).order_by(Webinar.starts_at, Webinar.id)
    past = (
        query.where(Webinar.starts_at <= sa.bindparam("now"), Webinar.status == WebinarStatus.SCHEDULED)
        .order_by(Webinar.starts_at.desc(), Webinar.id.desc())
        .limit(20)
    )
    return upcoming, past


def upcoming_webinars(limit: int = 3, *, now: datetime | None = None) -> list[WebinarCard]:
    """The next scheduled webinars (home page)."""
    return _cards(_upcoming_statement(limit), now=now or utcnow())


def public_webinars(departement: str | None = None, *, now: datetime | None = None) -> tuple[list, list]:
    """(upcoming, past) cards; a département filter keeps its webinars and the national ones."""
    values: dict[str, object] = {"now": now or utcnow()}
    if departement:
        values["departement"] = departement
    upcoming, past = _public_statements(bool(departement))
    return _cards(upcoming, **values), _cards(past, **values)


def scoped_webinars_query(departement_codes: list[str] | None):
    """Webinars a back-office account may manage (None: every webinar, for administrators)."""
    query = sa.select(Webinar)
    if departement_codes is not None:
        query = query.where(_departement_filter(departement_codes))
    return query


def fill_rates(departement_codes: list[str] | None, *, now: datetime | None = None) -> list[dict]:
    """Upcoming scheduled webinars of these départements (None: all) with their fill rate, for the
    back-office dashboard: [{id, title, starts_at, capacity, confirmed, waiting, fill_rate}]."""
    now = now or utcnow()
    statement = _with_counts(
        scoped_webinars_query(departement_codes)
        .where(Webinar.status == WebinarStatus.SCHEDULED, Webinar.starts_at > now)
        .order_by(Webinar.starts_at, Webinar.id)
    )
    rows = []
    for w, confirmed, waiting in db.session.execute(statement):
        rows.append(
            {
                "id": w.id,
                "title": w.title,
                "starts_at": w.starts_at,
                "capacity": w.capacity,
                "confirmed": confirmed or 0,
                "waiting": waiting or 0,
                "fill_rate": round(100 * (confirmed or 0) / w.capacity) if w.capacity else 0,
            }
        )
    return rows
