"""Every calendar file the site produces, read by other clients' own parsers: ical.js (Mozilla's, run
with node), vobject and icalendar. Each must find the instants that zoneinfo gives for Europe/Paris
(winter, summer, either side of the changes of time, years ahead) from the file's own VTIMEZONE, and
the iTIP rules of RFC 5546: same UID throughout, SEQUENCE raised by every change a client must take,
STATUS:CANCELLED on a cancelled webinar and no STATUS on the CANCEL that removes one attendee.
"""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from app.formatting import paris_to_utc
from app.mail.outbox import build_message
from app.webinars import ical, services
from tests.factories import make_registration_data, make_webinar
from tests.mails import outbox_rows

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "tests" / "ical_read.mjs"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 5, 9, 0)


@dataclass
class Reading:
    """What one parser understood of one VEVENT."""

    method: str
    uid: str
    sequence: int
    status: str | None
    stamp: datetime  # DTSTAMP, aware UTC
    start: datetime  # aware UTC
    end: datetime
    attendees: list[str]


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.fail("node et ical.js (npm ci) sont requis pour lire les calendriers avec ical.js", pytrace=False)
    return node


def read_with_icaljs(files: list[Path]) -> list[Reading]:
    output = subprocess.run(
        [_node(), str(READER), *map(str, files)], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    readings = []
    for calendar in json.loads(output):
        (event,) = calendar["events"]
        # Paris from the file's VTIMEZONE (UTC only for the hour repeated in October), never floating.
        assert event["start_zone"] in {"Europe/Paris", "UTC"}, event["start_zone"]
        readings.append(
            Reading(
                method=calendar["method"],
                uid=event["uid"],
                sequence=event["sequence"],
                status=event["status"],
                stamp=datetime.fromisoformat(event["stamp_utc"].replace("Z", "+00:00")),
                start=datetime.fromisoformat(event["start_utc"].replace("Z", "+00:00")),
                end=datetime.fromisoformat(event["end_utc"].replace("Z", "+00:00")),
                attendees=[a.removeprefix("mailto:") for a in event["attendees"]],
            )
        )
    return readings


def read_with_vobject(data: bytes) -> Reading:
    calendar = vobject.readOne(data.decode("utf-8"))
    event = calendar.vevent
    # vobject turns the file's VTIMEZONE into a dateutil zone (tzicalvtz): the rules written are read.
    assert type(event.dtstart.value.tzinfo).__name__ in {"tzicalvtz", "_tzicalvtz", "tzutc"}
    return Reading(
        method=calendar.method.value,
        uid=event.uid.value,
        sequence=int(event.sequence.value),
        status=event.status.value if hasattr(event, "status") else None,
        stamp=event.dtstamp.value.astimezone(UTC),
        start=event.dtstart.value.astimezone(UTC),
        end=event.dtend.value.astimezone(UTC),
        attendees=[a.value.removeprefix("mailto:") for a in event.contents.get("attendee", [])],
    )


def read_with_icalendar(data: bytes) -> Reading:
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return Reading(
        method=str(calendar["METHOD"]),
        uid=str(event["UID"]),
        sequence=int(event["SEQUENCE"]),
        status=str(event["STATUS"]) if "STATUS" in event else None,
        stamp=event["DTSTAMP"].dt.astimezone(UTC),
        start=event["DTSTART"].dt.astimezone(UTC),
        end=event["DTEND"].dt.astimezone(UTC),
        attendees=[str(a).removeprefix("mailto:") for a in attendees],
    )


def read_everywhere(calendars: list[bytes], tmp_path: Path) -> list[Reading]:
    """Each calendar read by the three parsers, which must agree; returns ical.js's readings."""
    files = []
    for number, data in enumerate(calendars):
        path = tmp_path / f"calendrier-{number}.ics"
        path.write_bytes(data)
        files.append(path)
    from_icaljs = read_with_icaljs(files)
    for data, reading in zip(calendars, from_icaljs, strict=True):
        assert read_with_vobject(data) == reading
        assert read_with_icalendar(data) == reading
    return from_icaljs


class FakeWebinar:
    """The attributes ical.py reads from a webinar row."""

    def __init__(self, starts_at_paris: datetime, minutes: int = 90, cancelled: bool = False):
        self.ics_uid = "webinaire-fixe@tig-partenaires.justice.fr"
        self.ics_sequence = 2
        self.title = "Accueillir un TIG dans une structure de l'ESS"
        self.description = "Présentation et questions."
        self.starts_at = paris_to_utc(starts_at_paris)
        self.ends_at = self.starts_at + timedelta(minutes=minutes)
        self.organiser_name = "Référent TIG Gironde"
        self.organiser_email = "referent.tig.33@justice.fr"
        self.is_cancelled = cancelled


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _wall_clock_times(years: range) -> list[datetime]:
    """Paris wall-clock starts: winter and summer afternoons, and the night of each change of time
    before and after its onset (02:00 in March, 03:00 in October; the skipped or repeated hour left out)."""
    times = []
    for year in years:
        march, october = _last_sunday(year, 3), _last_sunday(year, 10)
        times += [
            datetime(year, 1, 15, 14, 30),
            datetime(year, 7, 1, 9, 0),
            datetime(year, 12, 31, 23, 30),
            datetime.combine(march - timedelta(days=1), datetime.min.time()).replace(hour=14),
            datetime.combine(march, datetime.min.time()).replace(hour=1, minute=30),
            datetime.combine(march, datetime.min.time()).replace(hour=3, minute=30),
            datetime.combine(october, datetime.min.time()).replace(hour=1, minute=30),
            datetime.combine(october, datetime.min.time()).replace(hour=3, minute=30),
            datetime.combine(october + timedelta(days=1), datetime.min.time()).replace(hour=14),
        ]
    return times


def test_vtimezone_is_written_with_yearly_rules():
    data = ical.publish_for(FakeWebinar(datetime(2030, 7, 1, 14, 0)), now=NOW)
    (timezone,) = Calendar.from_ical(data).walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Paris"
    rules = {component.name: component for component in timezone.subcomponents}
    assert set(rules) == {"STANDARD", "DAYLIGHT"}
    assert rules["DAYLIGHT"]["DTSTART"].dt.time().hour == 2 and rules["STANDARD"]["DTSTART"].dt.time().hour == 3
    for component, month in ((rules["DAYLIGHT"], 3), (rules["STANDARD"], 10)):
        rule = component["RRULE"]
        assert rule["FREQ"] == ["YEARLY"] and rule["BYMONTH"] == [month] and rule["BYDAY"] == ["-1SU"]
        assert component["DTSTART"].dt.month == month
    assert b"RDATE" not in data


@pytest.mark.parametrize("kind", ["PUBLISH", "REQUEST", "CANCEL-attendee", "CANCEL-webinar"])
def test_every_kind_of_file_gives_zoneinfo_instants_years_ahead(kind, tmp_path):
    starts = _wall_clock_times(range(2026, 2041))
    calendars = []
    attendee = ical.Attendee("Alice Martin", "alice@example.org")
    for start in starts:
        webinar = FakeWebinar(start, cancelled=kind == "CANCEL-webinar")
        if kind == "PUBLISH":
            calendars.append(ical.publish_for(webinar, now=NOW))
        elif kind == "REQUEST":
            calendars.append(ical.request_for(webinar, attendee, now=NOW))
        else:
            calendars.append(ical.cancel_for(webinar, attendee, now=NOW))
    readings = read_everywhere(calendars, tmp_path)
    for start, reading in zip(starts, readings, strict=True):
        expected = start.replace(tzinfo=PARIS).astimezone(UTC)
        assert reading.start == expected, f"{start:%Y-%m-%d %H:%M} (Paris) lu {reading.start:%H:%M} UTC"
        assert reading.end == expected + timedelta(minutes=90)
        assert reading.method == kind.split("-")[0]


# --- the calendars of a webinar's life, as the site sends and serves them --------------------------


def _mail_calendars(db, category: str, to: str) -> list[bytes]:
    """The text/calendar attachments of the mails of ``category`` to ``to``, from the bytes sent."""
    found = []
    for message in outbox_rows(to, category=category):
        parsed = email.message_from_bytes(build_message(message).as_bytes())
        found += [
            part.get_payload(decode=True)
            for part in parsed.walk()
            if part.get_content_type() == "text/calendar" and part.get_filename()
        ]
    return found


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


@pytest.mark.parametrize("season_start", [datetime(2027, 1, 20, 14, 30), datetime(2029, 6, 20, 10, 0)])
def test_a_webinars_life_follows_itip(client, db, tmp_path, season_start):
    """Public file, invitation, its download, time change, an attendee's own cancellation, the
    webinar's cancellation: every file read by the three parsers."""
    now = datetime(2026, 1, 5, 9, 0)
    starts_at = paris_to_utc(season_start)
    webinar = make_webinar(starts_at=starts_at, capacity=5)
    db.session.commit()
    public_before = client.get(f"/webinaires/{webinar.id}/calendrier.ics").data

    alice = services.register(webinar.id, make_registration_data(email="alice@example.org"), now=now)
    bob = services.register(webinar.id, make_registration_data(email="bob@example.org"), now=now)
    db.session.commit()
    downloaded = client.get(f"/inscription/{alice.token}/invitation.ics").data

    moved_paris = season_start + timedelta(days=1, hours=1)
    services.update_webinar(webinar.id, _same(webinar, starts_at=paris_to_utc(moved_paris)), now=now)
    db.session.commit()
    services.cancel_registration(bob.id, now=now)
    db.session.commit()
    services.cancel_webinar(webinar.id, now=now, reason="Intervenant indisponible")
    db.session.commit()
    public_after = client.get(f"/webinaires/{webinar.id}/calendrier.ics").data

    alice_mails = (
        _mail_calendars(db, "webinar_confirmation", "alice@example.org")
        + _mail_calendars(db, "webinar_changed", "alice@example.org")
        + _mail_calendars(db, "webinar_cancelled", "alice@example.org")
    )
    bob_mails = _mail_calendars(db, "webinar_confirmation", "bob@example.org") + _mail_calendars(
        db, "webinar_changed", "bob@example.org"
    )
    bob_cancel = _mail_calendars(db, "webinar_registration_cancelled", "bob@example.org")
    assert len(alice_mails) == 3 and len(bob_mails) == 2 and len(bob_cancel) == 1
    assert not _mail_calendars(db, "webinar_cancelled", "bob@example.org")  # already gone

    files = [public_before, downloaded, *alice_mails, *bob_mails, *bob_cancel, public_after]
    readings = read_everywhere(files, tmp_path)
    (p_before, r_download, a_invite, a_changed, a_cancel, b_invite, b_changed, b_cancel, p_after) = readings

    assert {r.uid for r in readings} == {webinar.ics_uid}
    original = season_start.replace(tzinfo=PARIS).astimezone(UTC)
    moved = moved_paris.replace(tzinfo=PARIS).astimezone(UTC)
    for reading in (p_before, r_download, a_invite, b_invite):
        assert reading.start == original and reading.end == original + timedelta(minutes=90)
    for reading in (a_changed, b_changed, b_cancel, a_cancel, p_after):
        assert reading.start == moved and reading.end == moved + timedelta(minutes=90)

    assert [r.method for r in (p_before, r_download, a_invite, a_changed, a_cancel)] == [
        "PUBLISH",
        "REQUEST",
        "REQUEST",
        "REQUEST",
        "CANCEL",
    ]
    # What each attendee's calendar receives supersedes what it holds (RFC 5546 SEQUENCE rules).
    for received in ([a_invite, a_changed, a_cancel], [b_invite, b_changed, b_cancel]):
        sequences = [r.sequence for r in received]
        assert sequences == sorted(set(sequences)), sequences
    assert a_invite.attendees == ["alice@example.org"] and b_cancel.attendees == ["bob@example.org"]
    # STATUS: CONFIRMED on invitations; none on the CANCEL removing Bob alone (the webinar goes on);
    # CANCELLED when the organiser cancels the webinar, in the mail and in the public file.
    assert {r.status for r in (p_before, r_download, a_invite, a_changed)} == {"CONFIRMED"}
    assert b_cancel.method == "CANCEL" and b_cancel.status is None
    assert (
        a_cancel.method == "CANCEL" and a_cancel.status == "CANCELLED" and a_cancel.attendees == ["alice@example.org"]
    )
    assert p_after.method == "PUBLISH" and p_after.status == "CANCELLED" and not p_after.attendees
    assert p_after.sequence == a_cancel.sequence > b_cancel.sequence > a_changed.sequence > a_invite.sequence


def test_a_new_registration_after_an_own_cancellation_supersedes_it(db, tmp_path):
    """Cancel then register again with the same address: the new REQUEST must be more recent than the
    CANCEL (RFC 5546, 2.1.5: higher SEQUENCE, or the same one with a later DTSTAMP), or a client that
    kept the cancelled copy would ignore it."""
    now = datetime(2026, 1, 5, 9, 0)
    webinar = make_webinar(starts_at=paris_to_utc(datetime(2027, 3, 10, 14, 0)), capacity=5)
    db.session.commit()
    first = services.register(webinar.id, make_registration_data(email="alice@example.org"), now=now)
    db.session.commit()
    services.cancel_registration(first.id, now=now)
    db.session.commit()
    services.register(webinar.id, make_registration_data(email="alice@example.org"), now=now + timedelta(minutes=5))
    db.session.commit()
    invites = _mail_calendars(db, "webinar_confirmation", "alice@example.org")
    cancel = _mail_calendars(db, "webinar_registration_cancelled", "alice@example.org")
    first_invite, cancel_reading, second_invite = read_everywhere([invites[0], *cancel, invites[1]], tmp_path)
    order = [(r.sequence, r.stamp) for r in (first_invite, cancel_reading, second_invite)]
    assert order == sorted(set(order)), order
    assert first_invite.sequence < cancel_reading.sequence and second_invite.method == "REQUEST"
