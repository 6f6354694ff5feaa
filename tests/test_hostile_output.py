"""What hostile values become on the way out: XSS payloads typed in every text field come
out escaped in pages and in the HTML part of emails, and literal in PDFs; exports neutralise formula
injection in every column; uploads with a lying name, too big, with a path or empty are refused with a
French message next to the field, and nothing is kept (wizard, follow-up reply, back-office message).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook

from app.applications.exports import DANGEROUS_PREFIXES, neutralise
from app.applications.models import Application, ApplicationDocument, ApplicationStatus
from app.extensions import db
from app.webinars.models import Registration
from tests.factories import APPROVAL_FORM, make_application, make_referent, make_webinar
from tests.mails import queued_mails
from tests.pdf_text import pdf_text
from tests.test_application_wizard import (
    ASSOCIATION_DOCS,
    CONTACT,
    PDF,
    POST,
    STRUCTURE,
    field_errors,
    post_step,
    start,
    step_url,
    title,
    upload,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def xss(label: str) -> str:
    """A value holding both payloads and a label to find it."""
    return f"{label} {SCRIPT} {IMG}"


def assert_escaped(text: str, *values: str, where: str = "") -> None:
    for raw in RAW:
        assert raw not in text, (where, raw)
    for value in values:
        assert str(escape(value)) in text, (where, value)


def squash(text: str) -> str:
    """Without whitespace: table cells of a PDF wrap long words anywhere."""
    return re.sub(r"\s+", "", text)


# --- XSS: webinars -----------------------------------------------------------------------------------


def test_xss_in_a_webinar_registration_is_escaped_in_pages_and_mails(app, client, auth):
    webinar = make_webinar()
    db.session.commit()
    values = {name: xss(name) for name in ("last_name", "first_name", "structure_name", "role", "question")}
    values = {k: v[:100] for k, v in values.items()}
    response = client.post(
        f"/webinaires/{webinar.id}",
        data={
            **values,
            "email": "xss@example.org",
            "email_confirmation": "xss@example.org",
            "structure_type": "association",
            "departement": "33",
            "consent": "y",
        },
    )
    assert response.status_code == 302, field_errors(response)
    registration = db.session.scalar(sa.select(Registration).filter_by(email_normalized="xss@example.org"))
    assert registration.last_name == values["last_name"]  # stored as typed

    manage = client.get(f"/inscription/{registration.token}").get_data(as_text=True)  # the mail's link
    assert_escaped(manage, values["first_name"], where="page de gestion")
    [mail] = queued_mails(category="webinar_confirmation")
    assert_escaped(mail.body_html, values["first_name"], where="courriel HTML")
    assert SCRIPT in mail.body_text  # plain text: shown as typed, nothing to interpret

    auth.login_as(make_referent(departements=("33",)))
    detail = client.get(f"/espace-referent/webinaires/{webinar.id}").get_data(as_text=True)
    assert_escaped(detail, values["last_name"], values["structure_name"], where="back office")


def test_xss_in_a_webinar_created_in_the_back_office_is_escaped_on_public_pages(app, client, auth):
    auth.login_as(make_referent(departements=("33",)))
    data = {
        "title": xss("Titre")[:200],
        "description": xss("Programme"),
        "date": "2031-03-04",
        "start_time": "14:30",
        "duration_minutes": "90",
        "capacity": "15",
        "deadline_date": "2031-03-01",
        "deadline_time": "23:59",
        "waitlist_enabled": "y",
        "organiser_name": xss("Organisateur")[:200],
        "organiser_email": "referent.tig.33@justice.fr",
        "hosts": xss("Animateurs"),
        "audience": xss("Public"),
        "departements": "33",
        "region": "",
        "join_url": "https://visio.example.org/x",
    }
    assert client.post("/espace-referent/webinaires/nouveau", data=data).status_code == 302
    auth.logout()
    listing = client.get("/webinaires").get_data(as_text=True)
    assert_escaped(listing, data["title"], where="liste")
    webinar_id = re.search(r'href="/webinaires/(\d+)"', listing).group(1)
    detail = client.get(f"/webinaires/{webinar_id}").get_data(as_text=True)
    assert_escaped(detail, data["title"], data["hosts"], where="page du webinaire")
    home = client.get("/").get_data(as_text=True)
    assert_escaped(home, where="accueil")


def test_xss_in_a_webinar_cancellation_reason_is_escaped_in_mails(app, client, auth):
    from app.webinars import services
    from tests.factories import make_registration_data

    webinar = make_webinar()
    db.session.commit()
    services.register(webinar.id, make_registration_data("annulation@example.org"))
    db.session.commit()
    auth.login_as(make_referent(departements=("33",)))
    reason = xss("Raison")
    assert client.post(f"/espace-referent/webinaires/{webinar.id}/annuler", data={"reason": reason}).status_code == 302
    [mail] = queued_mails(category="webinar_cancelled")
    assert_escaped(mail.body_html, reason, where="courriel d'annulation")


# --- XSS: applications ----------------------------------------------------------------------------


def _submitted_with_xss(client) -> tuple[str, dict]:
    structure = {
        **STRUCTURE,
        "structure_name": xss("Structure")[:200],
        "address": xss("Adresse")[:200],
        "commune": xss("Commune")[:100],
    }
    contact = {
        **CONTACT,
        "contact_last_name": xss("Nom")[:100],
        "contact_first_name": xss("Prénom")[:100],
        "contact_role": xss("Fonction")[:100],
    }
    post = {
        **POST,
        "poste0-title": xss("Poste")[:150],
        "poste0-tasks": xss("Missions"),
        "poste0-place": xss("Lieu")[:200],
        "poste0-schedule": xss("Horaires")[:200],
        "poste0-tuteur0-last_name": xss("Tuteur")[:100],
        "poste0-tuteur0-first_name": xss("Tutrice")[:100],
        "poste0-tuteur0-role": xss("Rôle")[:100],
    }
    token = start(client)
    for number, data in enumerate((structure, contact, post), start=1):
        response = post_step(client, token, number, data)
        assert response.status_code == 302, field_errors(response)
    response = upload(client, token, 4, {key: (f"{key}.pdf", PDF) for key in ASSOCIATION_DOCS})
    assert response.status_code == 302, field_errors(response)
    review = client.get(step_url(token, 5)).get_data(as_text=True)
    assert_escaped(review, structure["structure_name"], post["poste0-tasks"], where="récapitulatif avant envoi")
    assert client.post(step_url(token, 6), data={"accept": "y"}).status_code == 302
    return token, {**structure, **contact, **post}


def test_xss_in_an_application_is_escaped_in_pages_and_mails_and_literal_in_pdfs(app, client, auth):
    referent = make_referent(email="referente@justice.fr", departements=("33",))
    db.session.commit()
    token, values = _submitted_with_xss(client)
    application = db.session.scalar(sa.select(Application).filter_by(access_token=token))

    followup = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert_escaped(followup, values["structure_name"], where="page de suivi")
    for category in ("application.submitted", "application.new_referent"):
        for mail in queued_mails(category=category):
            assert_escaped(mail.body_html, where=category)
            assert "Structure" in mail.body_html

    # The summary PDF (download and mail attachment) shows the text as typed.
    summary = client.get(f"/suivi/{token}/recapitulatif.pdf").data
    text = squash(pdf_text(summary))
    for name in ("structure_name", "contact_last_name", "poste0-title", "poste0-tasks", "poste0-tuteur0-last_name"):
        assert squash(values[name]) in text, name
    [mail] = queued_mails(category="application.submitted")
    attached = squash(pdf_text(mail.attachments[0].data))
    assert squash(values["structure_name"]) in attached

    # Back office: the detail page, a message with a payload (page and mail), then the attestation.
    auth.login_as(referent)
    base = f"/espace-referent/candidatures/{application.id}"
    assert_escaped(
        client.get(base).get_data(as_text=True),
        values["structure_name"],
        values["poste0-tasks"],
        where="fiche back office",
    )
    body = xss("Message du référent")
    assert client.post(f"{base}/messages", data={"body": body}).status_code == 302
    assert_escaped(client.get(f"/suivi/{token}").get_data(as_text=True), body, where="message sur la page de suivi")
    for mail in queued_mails(application_id=application.id):
        assert_escaped(mail.body_html, where=mail.category)

    db.session.execute(
        sa.update(Application)
        .where(Application.id == application.id)
        .values(status=ApplicationStatus.SENT_FOR_DECISION)
    )
    db.session.commit()
    reason = xss("Motif")
    response = client.post(f"{base}/actions/approve", data={**APPROVAL_FORM, "reason": reason})
    assert response.status_code == 302
    decision_mails = queued_mails(application_id=application.id)
    assert any("Motif" in m.body_html for m in decision_mails)
    for mail in decision_mails:
        assert_escaped(mail.body_html, where=mail.category)
    attestation = client.get(f"{base}/attestation.pdf")
    assert attestation.status_code == 200
    text = squash(pdf_text(attestation.data))
    for name in ("structure_name", "poste0-title", "poste0-place", "poste0-tuteur0-last_name"):
        assert squash(values[name]) in text, name
    assert squash(reason) in text


def test_xss_in_an_applicant_reply_is_escaped_for_the_referent(app, client, auth):
    referent = make_referent(email="referente@justice.fr", departements=("33",))
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    db.session.commit()
    body = xss("Réponse du demandeur")
    response = client.post(f"/suivi/{application.access_token}/message", data={"body": body})
    assert response.status_code == 302
    for mail in queued_mails(application_id=application.id):
        assert_escaped(mail.body_html, where=mail.category)
    auth.login_as(referent)
    page = client.get(f"/espace-referent/candidatures/{application.id}").get_data(as_text=True)
    assert_escaped(page, body, where="fiche back office")


# --- exports ------------------------------------------------------------------------------------------
# tests/test_backoffice_applications.py checks neutralise() and the structure name in both exports;
# tests/test_webinar_routes.py a name in the webinar CSV. Here: every text column, and any text.

FORMULA = '=HYPERLINK("http://pirate.example","x")'


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_neutralised_cells_never_start_a_formula(value):
    assert not neutralise(value).startswith(DANGEROUS_PREFIXES)
    assert neutralise(value).lstrip("'") == value or neutralise(value) == value


def _cells_are_safe(rows: list[list]) -> None:
    for row in rows:
        for cell in row:
            text = "" if cell is None else str(cell)
            assert not text.startswith(DANGEROUS_PREFIXES), text


def test_application_exports_neutralise_every_text_column(app, client, auth):
    make_application(
        "33",
        structure_name=FORMULA,
        contact_first_name="+33 1 23",
        contact_last_name="@SOMME(A1)",
        contact_role="-2+3",
        commune="=1+1",
        contact_email="=x@example.org",
        contact_phone="+33556000000",
    )
    auth.login_as(make_referent(departements=("33",)))
    csv_rows = list(
        csv.reader(
            io.StringIO(client.get("/espace-referent/candidatures/export.csv?onglet=toutes").data.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert len(csv_rows) == 2
    _cells_are_safe(csv_rows)
    assert "'" + FORMULA in csv_rows[1]
    sheet = load_workbook(io.BytesIO(client.get("/espace-referent/candidatures/export.xlsx?onglet=toutes").data)).active
    # The XLSX keeps texts as typed: a formula-like text is a string cell with quotePrefix (text even
    # when edited), never a formula.
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert FORMULA in [cell.value for cell in cells]
    for cell in cells:
        assert cell.data_type != "f"
        if isinstance(cell.value, str) and cell.value.startswith(DANGEROUS_PREFIXES):
            assert cell.data_type == "s" and cell.quotePrefix, cell.value


def test_webinar_export_neutralises_every_text_column(app, client, auth):
    from app.webinars import services
    from tests.factories import make_registration_data

    webinar = make_webinar()
    db.session.commit()
    services.register(
        webinar.id,
        make_registration_data(
            "formule@example.org", last_name=FORMULA, first_name="+1", structure_name="@A1", role="-1", question="=2*3"
        ),
    )
    db.session.commit()
    auth.login_as(make_referent(departements=("33",)))
    response = client.get(f"/espace-referent/webinaires/{webinar.id}/inscrits.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    _cells_are_safe(rows)


# --- uploads ------------------------------------------------------------------------------------------

BAD_FILES = {
    "pdf-name-other-content": (
        "statuts.pdf",
        b"Ceci est un texte, pas un PDF.",
        "n'est pas au format PDF, JPEG ou PNG",
    ),
    "oversized": ("gros.pdf", PDF + b"0" * (1024 * 1024), "dépasse la taille maximale de 1 Mo"),
    "path-traversal": ("../../etc/passwd.pdf", PDF, "ne doit contenir ni chemin"),
    "empty": ("vide.pdf", b"", "est vide"),
}


def _nothing_kept(app) -> None:
    assert db.session.scalar(sa.select(sa.func.count(ApplicationDocument.id))) == 0
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not list(folder.iterdir())
    assert not list(Path(app.config["UPLOAD_FOLDER"]).parent.glob("**/passwd*"))


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_upload_refused_in_the_wizard(case, app, client):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    name, content, message = BAD_FILES[case]
    token = start(client)
    for number, data in enumerate((STRUCTURE, CONTACT, POST), start=1):
        assert post_step(client, token, number, data).status_code == 302
    response = upload(client, token, 4, {"statuts": (name, content)})
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any(message in error for error in field_errors(response)), field_errors(response)
    _nothing_kept(app)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_upload_refused_in_the_followup_reply(case, app, client):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    name, content, message = BAD_FILES[case]
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    db.session.commit()
    response = client.post(
        f"/suivi/{application.access_token}/message",
        content_type="multipart/form-data",
        data={"body": "Nos pièces", "attachments": [(io.BytesIO(content), name)]},
    )
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any(message in error for error in field_errors(response)), field_errors(response)
    assert "Nos pièces" in response.get_data(as_text=True)  # the message typed is kept
    _nothing_kept(app)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_upload_refused_in_a_backoffice_message(case, app, client, auth):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    name, content, message = BAD_FILES[case]
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    auth.login_as(make_referent(departements=("33",)))
    response = client.post(
        f"/espace-referent/candidatures/{application.id}/messages",
        content_type="multipart/form-data",
        data={"body": "Voici le modèle", "attachments": [(io.BytesIO(content), name)]},
    )
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any(message in error for error in field_errors(response)), field_errors(response)
    assert "Voici le modèle" in response.get_data(as_text=True)
    _nothing_kept(app)
