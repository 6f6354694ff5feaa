"""Calendar files parsed back with icalendar: UID, SEQUENCE, TZID + VTIMEZONE, METHOD, no join link."""

from __future__ import annotations

import email
from datetime import datetime, timedelta

from icalendar import Calendar

from app.formatting import paris_to_utc
from app.mail.outbox import build_message
from app.webinars import ical, services
from tests.factories import make_registration_data, make_webinar
from tests.mails import outbox_rows, queued_mails

NOW = datetime(2022, 1, 10, 9, 0)


class FakeWebinar:
    ics_uid = "webinaire-fixe@tig-partenaires.justice.fr"
    ics_sequence = 3
    title = "Accueillir un TIG dans une entreprise de l'ESS"
    description = "Présentation et questions."
    starts_at = paris_to_utc(datetime(2022, 2, 2, 14, 30))
    ends_at = paris_to_utc(datetime(2022, 2, 2, 16, 0))
    organiser_name = "Référent TIG Gironde"
    organiser_email = "referent.tig.33@justice.fr"
    join_url = "https://visio.example.org/secret"


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def the_event(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_request_has_method_organizer_attendee_and_paris_times():
    data = ical.request_for(FakeWebinar, ical.Attendee("Alice Martin", "alice@example.org"), now=NOW)
    calendar = parse(data)
    assert calendar["METHOD"] == "REQUEST"
    event = the_event(calendar)
    assert str(event["UID"]) == FakeWebinar.ics_uid
    assert int(event["SEQUENCE"]) == 3
    assert str(event["ORGANIZER"]) == "mailto:referent.tig.33@justice.fr"
    assert event["ORGANIZER"].params["CN"] == "Référent TIG Gironde"
    assert str(event["ATTENDEE"]) == "mailto:alice@example.org"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["STATUS"] == "CONFIRMED"
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Paris"
    assert start.dt.replace(tzinfo=None) == datetime(2022, 2, 2, 14, 30)
    assert event["DTEND"].dt.replace(tzinfo=None) == datetime(2022, 2, 2, 16, 0)
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Paris"]
    assert b"DTSTART;TZID=Europe/Paris:20220202T143000" in data
    assert b"\r\n" in data


def test_cancel_and_publish():
    # The webinar goes on: this CANCEL removes one attendee, without STATUS (RFC 5546, 3.2.5).
    cancel = parse(ical.cancel_for(FakeWebinar, ical.Attendee("Alice", "alice@example.org"), now=NOW))
    assert cancel["METHOD"] == "CANCEL"
    assert "STATUS" not in the_event(cancel)
    assert str(the_event(cancel)["UID"]) == FakeWebinar.ics_uid

    class CancelledWebinar(FakeWebinar):
        is_cancelled = True

    cancelled = parse(ical.cancel_for(CancelledWebinar, ical.Attendee("Alice", "alice@example.org"), now=NOW))
    assert the_event(cancelled)["STATUS"] == "CANCELLED"
    publish = parse(ical.publish_for(FakeWebinar, now=NOW))
    assert publish["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in the_event(publish)
    assert publish.walk("VTIMEZONE")


def test_join_url_never_in_calendar_files():
    for data in (
        ical.request_for(FakeWebinar, ical.Attendee("A", "a@example.org"), now=NOW),
        ical.cancel_for(FakeWebinar, ical.Attendee("A", "a@example.org"), now=NOW),
        ical.publish_for(FakeWebinar, now=NOW),
    ):
        assert b"visio.example.org" not in data


def test_request_needs_attendee():
    import pytest

    with pytest.raises(ValueError):
        ical.build_calendar(ical.EventInfo.from_webinar(FakeWebinar), "REQUEST", now=NOW)


def test_uid_stable_and_sequence_increasing_through_changes(db):
    webinar = make_webinar(capacity=5)
    db.session.commit()
    registration = services.register(webinar.id, make_registration_data(email="a@example.org"))
    db.session.commit()
    services.update_webinar(webinar.id, _same(webinar, starts_at=webinar.starts_at + timedelta(days=1)))
    db.session.commit()
    services.cancel_webinar(webinar.id)
    db.session.commit()
    calendars = [parse(m.attachments[0].data) for m in queued_mails() if m.attachments]
    assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(the_event(c)["UID"]) for c in calendars} == {webinar.ics_uid}
    sequences = [int(the_event(c)["SEQUENCE"]) for c in calendars]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert registration.email in str(the_event(calendars[0])["ATTENDEE"])


def _same(webinar, **changes):
    values = dict(
        title=webinar.title,
        description=webinar.description,
        starts_at=webinar.starts_at,
        duration_minutes=webinar.duration_minutes,
        capacity=webinar.capacity,
        registration_deadline=webinar.registration_deadline,
        waitlist_enabled=webinar.waitlist_enabled,
        organiser_name=webinar.organiser_name,
        organiser_email=webinar.organiser_email,
        departement_codes=webinar.departement_codes,
        join_url=webinar.join_url,
    )
    values.update(changes)
    return services.WebinarData(**values)


def test_mime_has_calendar_alternative_with_method_and_attachment(app, db):
    webinar = make_webinar()
    db.session.commit()
    services.register(webinar.id, make_registration_data(email="a@example.org"))
    db.session.commit()
    [message] = outbox_rows(category="webinar_confirmation")
    mime = build_message(message)
    parsed = email.message_from_bytes(mime.as_bytes())
    calendar_parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendar_parts) == 2  # the alternative (Outlook's Accept/Decline) and the attachment
    for part in calendar_parts:
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        assert parse(part.get_payload(decode=True))["METHOD"] == "REQUEST"
    alternative = [p for p in parsed.walk() if p.get_content_type() == "multipart/alternative"][0]
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    attachment = [p for p in calendar_parts if p.get_filename()]
    assert attachment and attachment[0].get_filename() == "invitation.ics"
    assert webinar.join_url.encode() not in mime.as_bytes()


def test_public_calendar_download(client, db):
    webinar = make_webinar()
    db.session.commit()
    response = client.get(f"/webinaires/{webinar.id}/calendrier.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; method=PUBLISH; charset=UTF-8"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = parse(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in the_event(calendar)
    assert webinar.join_url.encode() not in response.data


def test_publish_of_a_cancelled_webinar_says_cancelled(client, db):
    webinar = make_webinar()
    db.session.commit()
    services.cancel_webinar(webinar.id)
    db.session.commit()
    calendar = parse(client.get(f"/webinaires/{webinar.id}/calendrier.ics").data)
    assert calendar["METHOD"] == "PUBLISH"
    assert the_event(calendar)["STATUS"] == "CANCELLED"
    assert int(the_event(calendar)["SEQUENCE"]) == 1
