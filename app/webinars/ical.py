"""Calendar files for webinars (RFC 5545 / iTIP RFC 5546), built by pure functions.

- ``REQUEST``: the invitation sent to one registrant (ORGANIZER + ATTENDEE), re-sent with a higher
  SEQUENCE when the webinar changes;
- ``CANCEL``: the same event, STATUS:CANCELLED, for everyone (webinar cancelled) or one attendee
  (their own cancellation);
- ``PUBLISH``: the public download, without attendee.

The UID is stable for a webinar and the SEQUENCE comes from the webinar row. The join URL is never
written in a calendar file: it is sent by email the day before only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from app.formatting import to_paris

PRODID = "-//ATIGIP//TIG Partenaires webinaires//FR"
CONTENT_TYPES = {
    "REQUEST": "text/calendar; method=REQUEST; charset=UTF-8",
    "CANCEL": "text/calendar; method=CANCEL; charset=UTF-8",
    "PUBLISH": "text/calendar; method=PUBLISH; charset=UTF-8",
}


@dataclass(frozen=True)
class EventInfo:
    """What a calendar needs to know about a webinar (no join URL on purpose)."""

    uid: str
    sequence: int
    title: str
    description: str
    starts_at: datetime  # naive UTC
    ends_at: datetime  # naive UTC
    organiser_name: str
    organiser_email: str
    page_url: str = ""
    location: str = "En ligne (lien de connexion envoyé par courriel la veille)"
    cancelled: bool = False

    @classmethod
    def from_webinar(cls, webinar, page_url: str = "") -> EventInfo:
        return cls(
            uid=webinar.ics_uid,
            sequence=webinar.ics_sequence,
            title=webinar.title,
            description=webinar.description or "",
            starts_at=webinar.starts_at,
            ends_at=webinar.ends_at,
            organiser_name=webinar.organiser_name,
            organiser_email=webinar.organiser_email,
            page_url=page_url,
            cancelled=bool(getattr(webinar, "is_cancelled", False)),
        )


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def build_calendar(
    info: EventInfo,
    method: str,
    *,
    attendee: Attendee | None = None,
    now: datetime,
) -> bytes:
    """The VCALENDAR for ``method`` (REQUEST, CANCEL or PUBLISH), as bytes (CRLF lines)."""
    method = method.upper()
    if method not in CONTENT_TYPES:
        raise ValueError(f"Unsupported iTIP method: {method}")
    if method in {"REQUEST", "CANCEL"} and attendee is None:
        raise ValueError(f"{method} needs an attendee")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", info.uid)
    event.add("sequence", info.sequence)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", to_paris(info.starts_at))
    event.add("dtend", to_paris(info.ends_at))
    event.add("summary", info.title)
    description = info.description.strip()
    if info.page_url:
        description = f"{description}\n\nInformations et gestion de l'inscription : {info.page_url}".strip()
    description += "\n\nLe lien de connexion vous sera envoyé par courriel la veille du webinaire."
    event.add("description", description.strip())
    event.add("location", info.location)
    if info.page_url:
        event.add("url", info.page_url)
    event.add("transp", "OPAQUE")
    event.add("class", "PUBLIC")
    event.add("status", "CANCELLED" if method == "CANCEL" or info.cancelled else "CONFIRMED")

    organizer = vCalAddress(f"mailto:{info.organiser_email}")
    organizer.params["CN"] = vText(info.organiser_name)
    event.add("organizer", organizer)
    if attendee is not None and method != "PUBLISH":
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["CN"] = vText(attendee.name)
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = "REQ-PARTICIPANT"
        if method == "REQUEST":
            address.params["PARTSTAT"] = "NEEDS-ACTION"
            address.params["RSVP"] = "FALSE"
        event.add("attendee", address)
    calendar.add_component(event)

    start = to_paris(info.starts_at).date()
    calendar.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(start.year + 2, 1, 1))
    return calendar.to_ical()


def content_type(method: str) -> str:
    return CONTENT_TYPES[method.upper()]


def request_for(webinar, attendee: Attendee, *, now: datetime, page_url: str = "") -> bytes:
    return build_calendar(EventInfo.from_webinar(webinar, page_url), "REQUEST", attendee=attendee, now=now)


def cancel_for(webinar, attendee: Attendee, *, now: datetime, page_url: str = "", bump: int = 0) -> bytes:
    """A CANCEL for one attendee. ``bump`` raises the SEQUENCE of this file only (a personal
    cancellation must supersede the REQUEST the attendee holds without changing the webinar)."""
    info = EventInfo.from_webinar(webinar, page_url)
    if bump:
        info = EventInfo(**{**info.__dict__, "sequence": info.sequence + bump})
    return build_calendar(info, "CANCEL", attendee=attendee, now=now)


def publish_for(webinar, *, now: datetime, page_url: str = "") -> bytes:
    return build_calendar(EventInfo.from_webinar(webinar, page_url), "PUBLISH", now=now)


__all__ = [
    "Attendee",
    "EventInfo",
    "build_calendar",
    "cancel_for",
    "content_type",
    "publish_for",
    "request_for",
]
