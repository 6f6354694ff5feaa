"""Personal data retention: ``flask purge-personal-data`` anonymises old webinar
registrations, deletes expired drafts and their files, erases old emails, and keeps submitted
applications; the periods come from the configuration, are shown on /donnees-personnelles, and the
worker runs the same jobs."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

from app.applications.models import Application, ApplicationDocument, ApplicationStatus, DocumentSource
from app.extensions import db
from app.formatting import utcnow
from app.mail.models import MailStatus, OutboxMessage
from app.privacy import erase_old_mails, purge_personal_data
from app.webinars import services
from app.webinars.models import Registration, RegistrationStatus
from tests.factories import make_application, make_referent, make_registration_data, make_webinar

PDF = b"%PDF-1.4\n%%EOF\n"


def with_file(app, application: Application, name: str) -> Path:
    stored = f"{hashlib.sha1(name.encode()).hexdigest()}.pdf"
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(PDF)
    db.session.add(
        ApplicationDocument(
            application=application,
            kind="statuts",
            original_filename=f"{name}.pdf",
            stored_name=stored,
            content_type="application/pdf",
            size_bytes=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            source=DocumentSource.APPLICANT,
        )
    )
    db.session.flush()
    return folder / stored


def registered(webinar, email: str, *, cancel: bool = False) -> Registration:
    # Registered while registration was open (the webinar is in the past now).
    registration = Registration(
        webinar_id=webinar.id,
        last_name="Martin",
        first_name="Alice",
        email=email,
        email_normalized=email,
        structure_name="Coopérative du Bassin",
        structure_type=make_registration_data().structure_type,
        departement_code="33",
        role="Directrice",
        question="Une question",
        status=RegistrationStatus.CANCELLED if cancel else RegistrationStatus.CONFIRMED,
        created_at=webinar.starts_at - timedelta(days=10),
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def mail(
    status: MailStatus, age_days: int, dedupe_key: str | None = None, to: str = "alice@example.org"
) -> OutboxMessage:
    when = utcnow() - timedelta(days=age_days)
    message = OutboxMessage(
        to_address=to,
        subject="Inscription confirmée",
        kind="webinar_cancelled",
        context={"reason": "Bonjour Alice Martin"},
        attachments=[{"builder": "application.summary", "arguments": {"application": {"$row": ["Application", 1]}}}],
        category="test",
        dedupe_key=dedupe_key,
        status=status,
        attempts=1,
        created_at=when,
        next_attempt_at=when,
        sent_at=when if status is MailStatus.SENT else None,
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_purge_command_end_to_end(app, db, runner):
    app.config.update(WEBINAR_RETENTION_DAYS=365, DRAFT_RETENTION_DAYS=30, OUTBOX_RETENTION_DAYS=90)
    now = utcnow()
    # Webinars: one held 400 days ago (past retention), one 10 days ago, one to come.
    old = make_webinar(starts_in=timedelta(days=-400))
    recent = make_webinar(starts_in=timedelta(days=-10))
    upcoming = make_webinar()
    old_confirmed = registered(old, "ancienne@example.org")
    old_cancelled = registered(old, "annulee@example.org", cancel=True)
    recent_one = registered(recent, "recente@example.org")
    db.session.commit()
    future_one = services.register(upcoming.id, make_registration_data("future@example.org"))
    # Applications: an expired draft with a file, a live draft, and old decided applications.
    expired = make_application("33", status=ApplicationStatus.DRAFT, draft_expires_at=now - timedelta(days=1))
    expired_file = with_file(app, expired, "brouillon-expire")
    live = make_application("33", status=ApplicationStatus.DRAFT, draft_expires_at=now + timedelta(days=20))
    live_file = with_file(app, live, "brouillon-en-cours")
    ten_years_ago = now - timedelta(days=3650)
    refused = make_application(
        "33", status=ApplicationStatus.REFUSED, submitted_at=ten_years_ago, decided_at=ten_years_ago
    )
    refused_file = with_file(app, refused, "refusee")
    approved = make_application("59", status=ApplicationStatus.APPROVED, submitted_at=ten_years_ago)
    approved_file = with_file(app, approved, "habilitee")
    # Outbox: old sent mails (with and without dedupe key), an old failure, a recent one, an old one still to send.
    old_sent = mail(MailStatus.SENT, 100).id
    old_keyed = mail(MailStatus.SENT, 100, dedupe_key="webinar-join-link:999").id
    old_failed = mail(MailStatus.FAILED, 100).id
    recent_sent = mail(MailStatus.SENT, 10).id
    old_queued = mail(MailStatus.QUEUED, 100).id
    db.session.commit()

    ids = {
        name: obj.id
        for name, obj in dict(
            old_confirmed=old_confirmed,
            old_cancelled=old_cancelled,
            recent_one=recent_one,
            future_one=future_one,
            expired=expired,
            live=live,
            refused=refused,
            approved=approved,
            old=old,
        ).items()
    }
    result = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Inscriptions aux webinaires anonymisées : 2 (webinaires passés depuis plus de 365 jours)"
    assert lines[1] == "Brouillons de candidature supprimés avec leurs fichiers : 1 (sans modification depuis 30 jours)"
    assert lines[2] == "Courriels effacés : 3 (envoyés depuis plus de 90 jours)"
    assert lines[3].startswith("Candidatures déposées conservées : 2 ")

    db.session.remove()
    # Webinars: the old registrations lost every personal field (rows and statuses kept for counts).
    for registration_id, status in (
        (ids["old_confirmed"], RegistrationStatus.CONFIRMED),
        (ids["old_cancelled"], RegistrationStatus.CANCELLED),
    ):
        row = db.session.get(Registration, registration_id)
        assert row.status is status and row.anonymised_at is not None
        personal = (row.last_name, row.first_name, row.email, row.structure_name, row.role, row.question)
        assert personal == ("", "", "", "", "", "")
        assert "example.org" not in row.email_normalized
    assert db.session.get(Registration, ids["recent_one"]).email == "recente@example.org"
    assert db.session.get(Registration, ids["future_one"]).email == "future@example.org"
    assert services.count_status(ids["old"], RegistrationStatus.CONFIRMED) == 1  # statistics still right
    # Drafts: the expired one and its file are gone; the live one stays.
    assert db.session.get(Application, ids["expired"]) is None and not expired_file.exists()
    assert db.session.get(Application, ids["live"]) is not None and live_file.exists()
    # Submitted applications are kept, files included, however old and whatever the decision.
    for application_id, path in ((ids["refused"], refused_file), (ids["approved"], approved_file)):
        kept = db.session.get(Application, application_id)
        assert kept is not None and kept.contact_email and kept.documents and path.exists()
    # Outbox: old sent/failed mails erased (a keyed one keeps its empty row), recent and pending ones kept.
    assert db.session.get(OutboxMessage, old_sent) is None and db.session.get(OutboxMessage, old_failed) is None
    keyed = db.session.get(OutboxMessage, old_keyed)
    assert keyed.dedupe_key == "webinar-join-link:999"
    assert (keyed.to_address, keyed.subject, keyed.context, keyed.attachments) == ("", "", {}, [])
    assert db.session.get(OutboxMessage, recent_sent).context == {"reason": "Bonjour Alice Martin"}
    assert db.session.get(OutboxMessage, old_queued).to_address == "alice@example.org"

    again = runner.invoke(args=["purge-personal-data"])  # idempotent: nothing left to do
    assert re.findall(r": (\d+)", again.output)[:3] == ["0", "0", "0"]


def test_anonymised_registration_link_no_longer_works(app, db, client, auth):
    app.config["WEBINAR_RETENTION_DAYS"] = 30
    webinar = make_webinar(starts_in=timedelta(days=-40))
    registration = registered(webinar, "lien@example.org")
    db.session.commit()
    token = registration.token
    assert client.get(f"/inscription/{token}").status_code == 200
    purge_personal_data()
    assert client.get(f"/inscription/{token}").status_code == 404
    # The back office still shows the webinar and its counts.
    auth.login_as(make_referent(departements=("33",)))
    page = client.get(f"/espace-referent/webinaires/{webinar.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "lien@example.org" not in html
    assert "Données personnelles effacées" in html and "Coopérative" in html  # the type of structure stays


def test_retention_periods_come_from_the_configuration(app, db):
    webinar = make_webinar(starts_in=timedelta(days=-40))
    registered(webinar, "config@example.org")
    message_id = mail(MailStatus.SENT, 40).id
    db.session.commit()
    app.config.update(WEBINAR_RETENTION_DAYS=60, OUTBOX_RETENTION_DAYS=60)
    report = purge_personal_data()
    assert (report.registrations_anonymised, report.mails_erased) == (0, 0)
    app.config.update(WEBINAR_RETENTION_DAYS=30, OUTBOX_RETENTION_DAYS=30)
    report = purge_personal_data()
    assert (report.registrations_anonymised, report.mails_erased) == (1, 1)
    assert db.session.get(OutboxMessage, message_id) is None


def test_erase_old_mails_never_touches_mail_to_send(app, db):
    app.config["OUTBOX_RETENTION_DAYS"] = 1
    pending = [mail(status, 400).id for status in (MailStatus.QUEUED, MailStatus.SENDING)]
    db.session.commit()
    assert erase_old_mails() == 0
    assert all(db.session.get(OutboxMessage, i).context for i in pending)


def test_the_worker_runs_the_purges(app, db):
    from app.jobs import JOBS, run_due_jobs

    for name in ("webinaires-purge-inscriptions", "application_draft_purge", "courriels-purge"):
        assert name in JOBS
    app.config["WEBINAR_RETENTION_DAYS"] = 30
    webinar = make_webinar(starts_in=timedelta(days=-40))
    registration_id = registered(webinar, "worker@example.org").id
    db.session.commit()
    results = run_due_jobs()
    assert results["webinaires-purge-inscriptions"] == 1 and results["courriels-purge"] == 0
    db.session.remove()
    assert db.session.get(Registration, registration_id).email == ""


def test_personal_data_page_shows_the_configured_periods(app, client):
    app.config.update(DRAFT_RETENTION_DAYS=45, WEBINAR_RETENTION_DAYS=200, OUTBOX_RETENTION_DAYS=75)
    html = client.get("/donnees-personnelles").get_data(as_text=True)
    assert "45 jours après sa dernière modification" in html
    assert "200 jours après la date du webinaire" in html and "anonymisées" in html
    assert "effacés de nos serveurs 75 jours après leur envoi" in html
    assert "envoyée n'est jamais effacée automatiquement" in html


def test_registration_form_states_the_configured_period(app, db, client):
    app.config["WEBINAR_RETENTION_DAYS"] = 180
    webinar = make_webinar()
    db.session.commit()
    html = client.get(f"/webinaires/{webinar.id}").get_data(as_text=True)
    assert "sont effacés 180 jours après le webinaire (seul un décompte anonyme est gardé)" in html
