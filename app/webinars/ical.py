"""Calendar files for webinars (RFC 5545 / iTIP RFC 5546), built by pure functions.

- ``REQUEST``: the invitation sent to one registrant (ORGANIZER + ATTENDEE), sent again with a higher
  SEQUENCE when the webinar's time changes;
- ``CANCEL`` (RFC 5546, 3.2.5), two cases told apart by the webinar's state: the organiser cancelled
  the webinar (``STATUS:CANCELLED``, the whole event is gone) or one attendee cancelled their own
  registration (the organiser removes that attendee: the RFC forbids ``STATUS`` there);
- ``PUBLISH``: the public download, without attendee.

The UID is stable for a webinar; the SEQUENCE comes from the webinar row, which the services raise
on every change that a calendar must take (time, cancellation of the webinar or of one attendee),
so that every file a client receives supersedes the one it holds. The join URL is never written in
a calendar file: it is sent by email the day before only.

Times are written in Europe/Paris with a VTIMEZONE made of yearly rules (RRULE), as Thunderbird and
Outlook write it, so that a client reads the right offset for any year, not only the years a list of
dated transitions would cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur, vText

from app.formatting import to_paris

PRODID = "-//ATIGIP//TIG Partenaires webinaires//FR"
CONTENT_TYPES = {
    "REQUEST": "text/calendar; method=REQUEST; charset=UTF-8",
    "CANCEL": "text/calendar; method=CANCEL; charset=UTF-8",
    "PUBLISH": "text/calendar; method=PUBLISH; charset=UTF-8",
}

# The European Union's rule for Europe/Paris (in force since 1996): summer time from the last Sunday
# of March at 02:00 local time (01:00 UTC) to the last Sunday of October at 03:00 local time. The
# first onsets are the 1970 dates of those rules, as Thunderbird writes them; tests compare every
# transition these rules give with the zoneinfo database's.
PARIS_TZID = "Europe/Paris"
_CET, _CEST = timedelta(hours=1), timedelta(hours=2)
_PARIS_RULES = (
    # (component, name, first onset in local time, offset before, offset after, month)
    (TimezoneDaylight, "CEST", datetime(1970, 3, 29, 2, 0), _CET, _CEST, 3),
    (TimezoneStandard, "CET", datetime(1970, 10, 25, 3, 0), _CEST, _CET, 10),
)


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


def paris_vtimezone() -> Timezone:
    """The VTIMEZONE of Europe/Paris written as yearly rules."""
    timezone = Timezone()
    timezone.add("tzid", PARIS_TZID)
    timezone.add("x-lic-location", PARIS_TZID)
    for component_class, name, onset, offset_from, offset_to, month in _PARIS_RULES:
        component = component_class()
        component.add("tzname", name)
        component.add("tzoffsetfrom", offset_from)
        component.add("tzoffsetto", offset_to)
        component.add("dtstart", onset)
        component.add("rrule", vRecur(freq="YEARLY", bymonth=month, byday="-1SU"))
        timezone.add_component(component)
    return timezone


def build_calendar(
    info: EventInfo,
    method: str,
    *,
    attendee: Attendee | None = None,
    now: datetime,
) -> bytes:
    """The VCALENDAR for ``method`` (REQUEST, CANCEL or PUBLISH), as bytes (CRLF lines).

    A CANCEL of an event that is not cancelled (``info.cancelled`` false) removes ``attendee`` only.
    """
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
    calendar.add_component(paris_vtimezone())

    event = Event()
    event.add("uid", info.uid)
    event.add("sequence", info.sequence)
    event.add("dtstamp", _utc(now))
    start, end = to_paris(info.starts_at), to_paris(info.ends_at)
    if start.fold or end.fold:
        # The hour repeated when summer time ends: a TZID time names its first occurrence (RFC 5545,
        # 3.3.5), so the second one can only be written in UTC.
        start, end = _utc(start), _utc(end)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", info.title)
    description = info.description.strip()
    if info.page_url:
        description = f"{description}\n\nInformations et gestion de l’inscription : {info.page_url}".strip()
    description += "\n\nLe lien de connexion vous sera envoyé par courriel la veille du webinaire."
    event.add("description", description.strip())
    event.add("location", info.location)
    if info.page_url:
        event.add("url", info.page_url)
    event.add("transp", "OPAQUE")
    event.add("class", "PUBLIC")
    if info.cancelled:
        event.add("status", "CANCELLED")
    elif method != "CANCEL":
        event.add("status", "CONFIRMED")
    # else: an attendee removed from an event that goes on (RFC 5546, 3.2.5: no STATUS).

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
    return calendar.to_ical()


def content_type(method: str) -> str:
    return CONTENT_TYPES[method.upper()]


def request_for(webinar, attendee: Attendee, *, now: datetime, page_url: str = "") -> bytes:
    return build_calendar(EventInfo.from_webinar(webinar, page_url), "REQUEST", attendee=attendee, now=now)


def cancel_for(webinar, attendee: Attendee, *, now: datetime, page_url: str = "") -> bytes:
    """The CANCEL sent to ``attendee``: the whole event if the webinar is cancelled, otherwise the
    removal of this attendee alone (their own cancellation). Either way the services have raised the
    webinar's SEQUENCE first."""
    return build_calendar(EventInfo.from_webinar(webinar, page_url), "CANCEL", attendee=attendee, now=now)


def publish_for(webinar, *, now: datetime, page_url: str = "") -> bytes:
    return build_calendar(EventInfo.from_webinar(webinar, page_url), "PUBLISH", now=now)


__all__ = [
    "Attendee",
    "EventInfo",
    "build_calendar",
    "cancel_for",
    "content_type",
    "paris_vtimezone",
    "publish_for",
    "request_for",
]
