"""Webinar services: seat cap, waiting list order, promotion, deadline, duplicates, cut-off, changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.formatting import utcnow
from app.webinars import services
from app.webinars.models import Registration, RegistrationStatus, WebinarStatus
from tests.factories import make_registration_data, make_webinar
from tests.mails import queued_mails


def register(db, webinar, email, **kwargs):
    registration = services.register(webinar.id, make_registration_data(email=email), **kwargs)
    db.session.commit()
    return registration


def test_first_n_confirmed_then_waiting_in_order(db):
    webinar = make_webinar(capacity=2)
    db.session.commit()
    regs = [register(db, webinar, f"p{i}@example.org") for i in range(5)]
    assert [r.status for r in regs] == [RegistrationStatus.CONFIRMED] * 2 + [RegistrationStatus.WAITING] * 3
    assert [r.waiting_position for r in regs[2:]] == [1, 2, 3]
    assert services.count_status(webinar.id, RegistrationStatus.CONFIRMED) == 2
    assert len(queued_mails(category="webinar_confirmation")) == 2
    waiting_mails = queued_mails(category="webinar_waiting")
    assert len(waiting_mails) == 3
    assert "position 3" in waiting_mails[-1].body_text


def test_full_without_waitlist_is_refused(db):
    webinar = make_webinar(capacity=1, waitlist_enabled=False)
    db.session.commit()
    register(db, webinar, "a@example.org")
    with pytest.raises(services.WebinarFull):
        services.register(webinar.id, make_registration_data(email="b@example.org"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_duplicate_email_case_insensitive(db):
    webinar = make_webinar()
    db.session.commit()
    first = register(db, webinar, "Alice@Example.org")
    with pytest.raises(services.AlreadyRegistered) as caught:
        services.register(webinar.id, make_registration_data(email="  alice@EXAMPLE.org "))
    assert caught.value.registration.id == first.id
    services.send_management_link(caught.value.registration)
    db.session.commit()
    reminder = queued_mails(category="webinar_already_registered")
    assert len(reminder) == 1 and first.token in reminder[0].body_text


def test_partial_unique_index_rejects_second_active_row(db):
    webinar = make_webinar()
    db.session.commit()
    first = register(db, webinar, "dup@example.org")
    twin = Registration(
        webinar_id=webinar.id,
        last_name="X",
        first_name="Y",
        email="DUP@example.org",
        email_normalized="dup@example.org",
        structure_name="S",
        structure_type=first.structure_type,
        departement_code="33",
        role="R",
        status=RegistrationStatus.WAITING,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once cancelled, the same address may register again.
    services.cancel_registration(first.id)
    db.session.commit()
    again = register(db, webinar, "dup@example.org")
    assert again.status is RegistrationStatus.CONFIRMED


def test_deadline_and_start_close_registration(db):
    webinar = make_webinar(starts_in=timedelta(days=3), deadline_before=timedelta(days=2))
    db.session.commit()
    with pytest.raises(services.RegistrationClosed, match="closes depuis"):
        services.register(webinar.id, make_registration_data(), now=webinar.registration_deadline)
    db.session.rollback()
    with pytest.raises(services.RegistrationClosed, match="commencé"):
        services.register(webinar.id, make_registration_data(), now=webinar.starts_at + timedelta(minutes=1))
    db.session.rollback()
    ok = services.register(
        webinar.id, make_registration_data(), now=webinar.registration_deadline - timedelta(seconds=1)
    )
    assert ok.status is RegistrationStatus.CONFIRMED


def test_cancelled_webinar_refuses_registration(db):
    webinar = make_webinar()
    db.session.commit()
    services.cancel_webinar(webinar.id)
    db.session.commit()
    with pytest.raises(services.RegistrationClosed, match="annulé"):
        services.register(webinar.id, make_registration_data())


def test_cancellation_promotes_first_waiting_with_invite(db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    seated = register(db, webinar, "seated@example.org")
    first_waiting = register(db, webinar, "w1@example.org")
    second_waiting = register(db, webinar, "w2@example.org")
    promoted = services.cancel_registration(seated.id)
    db.session.commit()
    assert [r.id for r in promoted] == [first_waiting.id]
    db.session.refresh(first_waiting)
    db.session.refresh(second_waiting)
    assert first_waiting.status is RegistrationStatus.CONFIRMED and first_waiting.promoted_at
    assert second_waiting.waiting_position == 1
    promo = queued_mails(category="webinar_promoted")
    assert len(promo) == 1 and promo[0].to_address == "w1@example.org"
    assert promo[0].attachments[0].content_type.startswith("text/calendar; method=REQUEST")
    ack = queued_mails(category="webinar_registration_cancelled")
    assert ack[0].to_address == "seated@example.org"
    assert "method=CANCEL" in ack[0].attachments[0].content_type


def test_waiting_person_leaving_promotes_nobody(db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    register(db, webinar, "a@example.org")
    waiting = register(db, webinar, "b@example.org")
    assert services.cancel_registration(waiting.id) == []
    db.session.commit()
    ack = queued_mails(category="webinar_registration_cancelled")[0]
    assert ack.attachments == ()  # no calendar entry to remove


def test_cancellation_cutoff(db):
    webinar = make_webinar(starts_in=timedelta(hours=30), deadline_before=timedelta(0))
    db.session.commit()
    registration = register(db, webinar, "late@example.org")
    with pytest.raises(services.CancellationClosed):
        services.cancel_registration(registration.id, cutoff_hours=48)
    db.session.rollback()
    services.cancel_registration(registration.id, cutoff_hours=24)
    db.session.commit()
    with pytest.raises(services.AlreadyCancelled):
        services.cancel_registration(registration.id, cutoff_hours=0)


def test_cutoff_read_from_config(app, db):
    app.config["WEBINAR_CANCELLATION_CUTOFF_HOURS"] = 72
    webinar = make_webinar(starts_in=timedelta(days=2))
    db.session.commit()
    registration = register(db, webinar, "x@example.org")
    assert not services.can_cancel(registration)
    with pytest.raises(services.CancellationClosed):
        services.cancel_registration(registration.id)


def test_manual_promotion_needs_free_seat(db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    register(db, webinar, "a@example.org")
    w1 = register(db, webinar, "b@example.org")
    w2 = register(db, webinar, "c@example.org")
    with pytest.raises(services.WebinarFull):
        services.promote_registration(w2.id)
    db.session.rollback()
    data = _data_from(webinar, capacity=3)
    services.update_webinar(webinar.id, data)
    db.session.commit()
    services.promote_registration(w2.id)  # the référent may choose out of order
    db.session.commit()
    assert db.session.get(Registration, w2.id).status is RegistrationStatus.CONFIRMED
    promoted = services.promote_next(webinar.id)
    db.session.commit()
    assert [r.id for r in promoted] == [w1.id]
    with pytest.raises(services.NotWaiting):
        services.promote_registration(w1.id)


def _data_from(webinar, **changes):
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
        hosts=webinar.hosts,
        audience=webinar.audience,
        departement_codes=webinar.departement_codes,
        region=webinar.region,
        join_url=webinar.join_url,
    )
    values.update(changes)
    return services.WebinarData(**values)


def test_capacity_cannot_drop_below_confirmed(db):
    webinar = make_webinar(capacity=3)
    db.session.commit()
    for i in range(3):
        register(db, webinar, f"c{i}@example.org")
    with pytest.raises(services.CapacityTooLow):
        services.update_webinar(webinar.id, _data_from(webinar, capacity=2))


def test_reschedule_increments_sequence_and_mails_active_registrants(db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    seated = register(db, webinar, "seated@example.org")
    register(db, webinar, "waiting@example.org")
    gone = register(db, webinar, "gone@example.org")
    services.cancel_registration(gone.id)
    db.session.commit()
    sequence = webinar.ics_sequence
    uid = webinar.ics_uid
    changed = services.update_webinar(webinar.id, _data_from(webinar, starts_at=webinar.starts_at + timedelta(hours=2)))
    db.session.commit()
    assert changed
    assert webinar.ics_sequence == sequence + 1 and webinar.ics_uid == uid
    updates = queued_mails(category="webinar_changed")
    assert sorted(m.to_address for m in updates) == ["seated@example.org", "waiting@example.org"]
    by_address = {m.to_address: m for m in updates}
    assert by_address["seated@example.org"].attachments  # updated invite
    assert not by_address["waiting@example.org"].attachments
    assert "Ancien horaire" in by_address["seated@example.org"].body_text
    # A change that is not the schedule bumps SEQUENCE but sends nothing.
    assert not services.update_webinar(webinar.id, _data_from(webinar, title="Nouveau titre"))
    db.session.commit()
    assert webinar.ics_sequence == sequence + 2
    assert len(queued_mails(category="webinar_changed")) == 2
    assert seated.status is RegistrationStatus.CONFIRMED


def test_cancel_webinar_notifies_everyone_with_cancel(db):
    webinar = make_webinar(capacity=1)
    db.session.commit()
    register(db, webinar, "a@example.org")
    register(db, webinar, "b@example.org")
    sequence = webinar.ics_sequence
    assert services.cancel_webinar(webinar.id, reason="Intervenant indisponible") == 2
    db.session.commit()
    assert webinar.status is WebinarStatus.CANCELLED and webinar.ics_sequence == sequence + 1
    cancelled = queued_mails(category="webinar_cancelled")
    assert len(cancelled) == 2
    with_ics = [m for m in cancelled if m.attachments]
    assert len(with_ics) == 1 and "method=CANCEL" in with_ics[0].attachments[0].content_type
    assert "Intervenant indisponible" in cancelled[0].body_text
    with pytest.raises(services.WebinarAlreadyCancelled):
        services.cancel_webinar(webinar.id)


def test_join_link_due_the_day_before_at_configured_hour(app, db):
    from datetime import datetime

    from app.formatting import paris_to_utc

    webinar = make_webinar(starts_at=paris_to_utc(datetime(2031, 2, 5, 14, 30)))
    assert services.join_link_due_at(webinar, "10:00") == paris_to_utc(datetime(2031, 2, 4, 10, 0))
    app.config["WEBINAR_JOIN_LINK_HOUR"] = "18:15"
    assert services.join_link_due_at(webinar) == paris_to_utc(datetime(2031, 2, 4, 18, 15))


def test_registration_after_join_link_time_gets_link_at_once(db):
    webinar = make_webinar(starts_in=timedelta(hours=5), deadline_before=timedelta(0))
    db.session.commit()
    registration = register(db, webinar, "late@example.org")
    link = queued_mails(category="webinar_join_link")
    assert len(link) == 1 and webinar.join_url in link[0].body_text
    assert link[0].dedupe_key == f"webinar-join-link:{registration.id}"
    assert registration.join_link_sent_at is not None
    # Never a second time.
    assert services.send_join_link(registration) is False
    assert services.send_join_links_now(webinar.id) == 0
    db.session.commit()
    assert len(queued_mails(category="webinar_join_link")) == 1


def test_join_link_only_in_join_link_mail(db):
    webinar = make_webinar(capacity=1, starts_in=timedelta(days=5))
    db.session.commit()
    register(db, webinar, "a@example.org")
    register(db, webinar, "b@example.org")
    for message in queued_mails():
        assert webinar.join_url not in message.body_text + message.body_html
        for item in message.attachments:
            assert webinar.join_url.encode() not in item.data


def test_promoted_after_join_link_time_gets_link(db):
    webinar = make_webinar(capacity=1, starts_in=timedelta(hours=3), deadline_before=timedelta(0))
    db.session.commit()
    first = register(db, webinar, "a@example.org")
    waiting = register(db, webinar, "b@example.org")
    services.cancel_registration(first.id)
    db.session.commit()
    links = queued_mails(category="webinar_join_link")
    assert [m.to_address for m in links] == ["a@example.org", "b@example.org"]
    assert db.session.get(Registration, waiting.id).join_link_sent_at is not None


def test_join_link_job_sends_once(app, db):
    from app.webinars.jobs import send_due_join_links

    webinar = make_webinar(starts_in=timedelta(days=5))
    db.session.commit()
    regs = [register(db, webinar, f"j{i}@example.org") for i in range(3)]
    assert queued_mails(category="webinar_join_link") == []
    assert send_due_join_links(now=utcnow()) == 0  # not due yet
    due = services.join_link_due_at(webinar)
    assert send_due_join_links(now=due + timedelta(minutes=1)) == 3
    db.session.commit()
    assert send_due_join_links(now=due + timedelta(minutes=2)) == 0
    db.session.commit()
    assert sorted(m.dedupe_key for m in queued_mails(category="webinar_join_link")) == sorted(
        f"webinar-join-link:{r.id}" for r in regs
    )


def test_fill_rates_scoped(db):
    gironde = make_webinar(capacity=4, departements=("33",))
    nord = make_webinar(capacity=10, departements=("59", "62"))
    make_webinar(starts_in=timedelta(days=-3), departements=("33",))  # past: not listed
    db.session.commit()
    register(db, gironde, "a@example.org")
    rows = services.fill_rates(["33"])
    assert [r["id"] for r in rows] == [gironde.id]
    assert rows[0] | {} == rows[0] and rows[0]["confirmed"] == 1 and rows[0]["fill_rate"] == 25
    assert {r["id"] for r in services.fill_rates(None)} == {gironde.id, nord.id}
    assert [r["id"] for r in services.fill_rates(["62"])] == [nord.id]
    assert services.fill_rates([]) == []


def test_public_listing_filter_keeps_national(db):
    gironde = make_webinar(departements=("33",))
    national = make_webinar(departements=())
    make_webinar(departements=("59",))
    db.session.commit()
    upcoming, past = services.public_webinars("33")
    assert {c.webinar.id for c in upcoming} == {gironde.id, national.id}
    assert past == []


def test_purge_job_anonymises_registrations_after_retention(app, db):
    from app.webinars.jobs import purge_old_registrations

    app.config["WEBINAR_RETENTION_DAYS"] = 30
    old = make_webinar(starts_in=timedelta(days=-40))
    recent = make_webinar(starts_in=timedelta(days=-10))
    db.session.commit()
    for webinar in (old, recent):
        db.session.add(
            Registration(
                webinar_id=webinar.id,
                last_name="A",
                first_name="B",
                email="a@example.org",
                email_normalized="a@example.org",
                structure_name="S",
                structure_type=make_registration_data().structure_type,
                departement_code="33",
                role="R",
                status=RegistrationStatus.CONFIRMED,
            )
        )
    db.session.commit()
    assert purge_old_registrations() == 1
    db.session.commit()
    assert purge_old_registrations() == 0  # nothing more to do
    rows = {r.webinar_id: r for r in db.session.scalars(sa.select(Registration)).all()}
    assert rows[recent.id].email == "a@example.org" and rows[recent.id].anonymised_at is None
    gone = rows[old.id]  # the row stays for statistics, without personal data
    assert (gone.last_name, gone.first_name, gone.email, gone.structure_name, gone.role) == ("", "", "", "", "")
    assert gone.anonymised_at is not None and gone.status is RegistrationStatus.CONFIRMED
    assert db.session.get(type(old), old.id) is not None  # the webinar itself stays


def test_every_webinar_mail_states_time_zone_and_management_link(app, db):
    webinar = make_webinar(capacity=1, starts_in=timedelta(days=3))
    db.session.commit()
    first = register(db, webinar, "a@example.org")
    second = register(db, webinar, "b@example.org")
    with pytest.raises(services.AlreadyRegistered) as caught:
        services.register(webinar.id, make_registration_data(email="B@example.org"))
    services.send_management_link(caught.value.registration)
    db.session.commit()
    services.resend_invite(first.id)
    services.update_webinar(webinar.id, _data_from(webinar, starts_at=webinar.starts_at + timedelta(hours=1)))
    db.session.commit()
    services.cancel_registration(first.id)  # promotes b
    db.session.commit()
    services.send_join_links_now(webinar.id)
    services.cancel_webinar(webinar.id)
    db.session.commit()
    messages = queued_mails()
    categories = {m.category for m in messages}
    assert categories == {
        "webinar_confirmation",
        "webinar_waiting",
        "webinar_already_registered",
        "webinar_invite",
        "webinar_changed",
        "webinar_registration_cancelled",
        "webinar_promoted",
        "webinar_join_link",
        "webinar_cancelled",
    }
    tokens = {"a@example.org": first.token, "b@example.org": second.token}
    for message in messages:
        assert message.webinar_id == webinar.id
        for body in (message.body_text, message.body_html):
            assert "(heure de Paris)" in body, message.category
            assert f"{app.config['SITE_URL']}/inscription/{tokens[message.to_address]}" in body, message.category
        assert "{{" not in message.body_text and "{%" not in message.body_html
