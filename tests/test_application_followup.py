"""The applicant's follow-up page /suivi/<token>: status, history, messages, replies with
attachments, requested documents, edits while submitted."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app.applications.models import (
    ApplicationDocument,
    ApplicationMessage,
    ApplicationNote,
    ApplicationStatus,
    EventKind,
    MessageAuthor,
)
from app.extensions import db
from tests.factories import make_application, make_referent
from tests.mails import queued_mails
from tests.test_application_wizard import CONTACT, PDF, field_errors, title


def _submitted(**columns):
    application = make_application(**columns)
    db.session.commit()
    return application


def test_followup_shows_status_history_and_messages(client):
    referent = make_referent(name="Claire Référente")
    application = _submitted()
    from app.applications.history import record_event

    record_event(application, EventKind.SUBMITTED, "Candidature déposée", now=application.submitted_at)
    db.session.add(
        ApplicationMessage(
            application=application,
            author=MessageAuthor.REFERENT,
            referent_id=referent.id,
            body="Premier message du référent",
        )
    )
    db.session.add(
        ApplicationMessage(application=application, author=MessageAuthor.APPLICANT, body="Réponse du demandeur")
    )
    db.session.add(ApplicationNote(application=application, referent_id=referent.id, body="Note privée confidentielle"))
    db.session.commit()
    response = client.get(f"/suivi/{application.access_token}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert title(response).startswith(f"Suivi de la candidature {application.reference}")
    assert text.count("<h1") == 1
    assert "Déposée" in text and "Candidature déposée" in text
    assert text.index("Premier message du référent") < text.index("Réponse du demandeur")  # newest last
    assert "Claire Référente" in text
    assert "Note privée confidentielle" not in text
    assert response.headers["Cache-Control"] == "no-store"
    assert f'/candidature/{application.access_token}/etape/1"' in text  # still editable


def test_followup_of_a_draft_goes_to_the_wizard(client):
    application = _submitted(status=ApplicationStatus.DRAFT)
    response = client.get(f"/suivi/{application.access_token}")
    assert response.status_code == 302 and response.location.endswith(
        f"/candidature/reprendre/{application.access_token}"
    )


def test_unknown_followup_token(client):
    assert client.get("/suivi/inconnu").status_code == 404


def test_reply_queues_mail_to_referents_and_keeps_status(client):
    make_referent(email="ref33@justice.fr", departements=("33",))
    make_referent(email="muet33@justice.fr", departements=("33",), notify_new_applications=False)
    application = _submitted(status=ApplicationStatus.WAITING_APPLICANT)
    response = client.post(f"/suivi/{application.access_token}/message", data={"body": "Voici nos précisions."})
    assert response.status_code == 302 and response.location.endswith("#messages")
    db.session.expire_all()
    message = application.messages[-1]
    assert message.author is MessageAuthor.APPLICANT and message.body == "Voici nos précisions."
    assert application.status is ApplicationStatus.WAITING_APPLICANT  # the référent resumes the review himself
    assert application.events[-1].kind is EventKind.MESSAGE and application.events[-1].actor_label == "Le demandeur"
    mails = queued_mails(category="application.reply_referent")
    assert [m.to_address for m in mails] == ["ref33@justice.fr"]
    assert "Voici nos précisions." in mails[0].body_text
    assert "Votre message a été envoyé" in client.get(response.location).get_data(as_text=True)


def test_empty_reply_is_an_error(client):
    application = _submitted()
    response = client.post(f"/suivi/{application.access_token}/message", data={"body": "  "})
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any("Écrivez un message ou joignez" in e for e in field_errors(response))
    assert application.messages == []


def test_reply_with_attachments(client, app):
    application = _submitted()
    data = {"body": "Nos statuts", "attachments": [(io.BytesIO(PDF), "statuts.pdf"), (io.BytesIO(PDF), "bilan.pdf")]}
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    message = application.messages[-1]
    assert sorted(d.original_filename for d in message.attachments) == ["bilan.pdf", "statuts.pdf"]
    assert {d.kind for d in message.attachments} == {"piece_jointe"}
    text = client.get(f"/suivi/{application.access_token}").get_data(as_text=True)
    assert "bilan.pdf" in text


def test_reply_with_refused_file_keeps_nothing(client, app):
    application = _submitted()
    data = {"body": "Un texte", "attachments": [(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(b"pas un pdf"), "faux.pdf")]}
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert any("faux.pdf" in e and "PDF, JPEG ou PNG" in e for e in field_errors(response))
    assert "Un texte" in response.get_data(as_text=True)  # the message typed is kept
    assert db.session.scalar(sa.select(sa.func.count(ApplicationDocument.id))) == 0
    from pathlib import Path

    assert not list(Path(app.config["UPLOAD_FOLDER"]).glob("*")) if Path(app.config["UPLOAD_FOLDER"]).exists() else True


def test_requested_documents_upload(client):
    referent = make_referent()
    application = _submitted(status=ApplicationStatus.WAITING_APPLICANT)
    db.session.add(
        ApplicationMessage(
            application=application,
            author=MessageAuthor.REFERENT,
            referent_id=referent.id,
            body="Il manque des pièces.",
            requested_items=["Statuts signés", "Liste du bureau"],
        )
    )
    db.session.commit()
    text = client.get(f"/suivi/{application.access_token}").get_data(as_text=True)
    assert "Envoyer les éléments demandés" in text
    assert re.search(r'<label class="fr-label" for="piece_0">Statuts signés', text)
    data = {"body": "", "piece_0": (io.BytesIO(PDF), "statuts-signes.pdf")}
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    message = application.messages[-1]
    assert message.body == "Documents demandés transmis : Statuts signés."
    assert message.attachments[0].kind == "complement"
    assert [e.kind for e in application.events][-2:] == [EventKind.DOCUMENT_ADDED, EventKind.MESSAGE]


def test_edit_while_submitted(client):
    application = _submitted()
    token = application.access_token
    response = client.get(f"/candidature/{token}/etape/2")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enregistrer les modifications" in text and "fr-stepper" not in text
    response = client.post(
        f"/candidature/{token}/etape/2", data={**CONTACT, "contact_role": "Directrice", "action": "continuer"}
    )
    assert response.status_code == 302 and response.location.endswith(f"/suivi/{token}")
    db.session.expire_all()
    assert application.contact_role == "Directrice"
    assert application.status is ApplicationStatus.SUBMITTED
    event = application.events[-1]
    assert (
        event.kind is EventKind.EDITED
        and "La personne à contacter" in event.detail
        and event.actor_label == "Le demandeur"
    )
    # Invalid edit: errors shown, nothing changed.
    response = client.post(
        f"/candidature/{token}/etape/2", data={**CONTACT, "contact_phone": "12", "action": "continuer"}
    )
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    db.session.expire_all()
    assert application.contact_phone == "+33612345678"
    # The declaration step is not reachable any more.
    assert client.get(f"/candidature/{token}/etape/6").status_code == 302


def test_no_edit_once_in_review(client):
    application = _submitted(status=ApplicationStatus.IN_REVIEW)
    token = application.access_token
    response = client.post(f"/candidature/{token}/etape/2", data={**CONTACT, "action": "continuer"})
    assert response.status_code == 302 and response.location.endswith(f"/suivi/{token}")
    db.session.expire_all()
    assert application.contact_email != CONTACT["contact_email"]
    text = client.get(f"/suivi/{token}").get_data(as_text=True)
    assert "ne peut plus être modifiée" in text
    assert f"/candidature/{token}/etape/1" not in text


def test_no_reply_form_once_decided(client):
    application = _submitted(status=ApplicationStatus.APPROVED)
    text = client.get(f"/suivi/{application.access_token}").get_data(as_text=True)
    assert "Habilitée" in text and "Écrire au référent TIG" not in text


def test_summary_pdf_download(client):
    application = _submitted(structure_name="Association « Les Œillets »")
    response = client.get(f"/suivi/{application.access_token}/recapitulatif.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"candidature-{application.reference}.pdf" in response.headers["Content-Disposition"]


def test_pdf_base_handles_french_text():
    from app.applications.pdf import BasePDF

    pdf = BasePDF("Récapitulatif – essai", "Œuvre « très » spéciale : 14 h 30")
    pdf.title_block()
    pdf.field("Fonction", "Trésorière de l'Œuvre")
    assert pdf.to_bytes().startswith(b"%PDF")
    assert pdf.text_("« œ »") == "« œ »" if pdf.unicode else "« oe »"


def test_edit_that_makes_a_step_necessary_leads_to_it(client):
    from tests.test_application_wizard import STRUCTURE

    application = _submitted()
    token = application.access_token
    data = {**STRUCTURE, "structure_type": "cooperative", "siret": "73282932000074", "action": "continuer"}
    response = client.post(f"/candidature/{token}/etape/1", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/candidature/{token}/etape/3")
    text = client.get(response.location).get_data(as_text=True)
    assert "Complétez maintenant cette étape" in text and "Économie sociale et solidaire" in text


def test_upload_filename_sanitised():
    from app.applications.uploads import human_size, sanitize_filename

    assert sanitize_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert sanitize_filename("C:\\Users\\moi\\Statuts signés.pdf") == "Statuts signés.pdf"
    assert sanitize_filename("a\x00b<c>.png") == "abc.png"
    assert sanitize_filename("") == "document"
    assert sanitize_filename("x" * 300 + ".pdf").endswith(".pdf") and len(sanitize_filename("x" * 300 + ".pdf")) == 200
    assert human_size(2 * 1024 * 1024 + 200_000) == "2,2 Mo" and human_size(2048) == "2 ko"


@pytest.fixture
def limited_client(make_app):
    """A client of an app whose RATELIMIT_APPLICATION_SUBMIT is 2 per minute (limits are off in tests)."""
    limited = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_APPLICATION_SUBMIT="2 per minute"
    )
    return limited.test_client()


def test_start_is_rate_limited(limited_client):
    codes = [
        limited_client.post("/candidature", data={"email": f"x{i}@exemple.fr", "reponses": ""}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_final_submit_is_rate_limited_not_the_other_steps(limited_client):
    """The wizard's steps share one view: only the POSTs that submit (certification box ticked) count."""
    start = limited_client.post("/candidature", data={"email": "x@exemple.fr", "reponses": ""})
    step = start.location.rsplit("/", 1)[0]
    steps = [limited_client.post(f"{step}/1", data={"action": "continuer"}).status_code for _ in range(4)]
    submits = [limited_client.post(f"{step}/6", data={"accept": "y"}).status_code for _ in range(3)]
    assert 429 not in steps
    assert 429 not in submits[:2] and submits[2] == 429


def test_cancel_an_edit_forgets_unsaved_posts(client):
    from app.applications import wizard
    from app.applications.steps import BY_KEY

    application = _submitted()
    token = application.access_token
    formdata = wizard.initial_formdata(application, BY_KEY["posts"]).to_dict(flat=False)
    client.post(f"/candidature/{token}/etape/3", data={**formdata, "action": "ajouter_poste"})
    assert "Poste 2" in client.get(f"/candidature/{token}/etape/3").get_data(as_text=True)
    response = client.post(f"/candidature/{token}/etape/3", data={"action": "annuler"})
    assert response.status_code == 302 and response.location.endswith(f"/suivi/{token}")
    assert "Poste 2" not in client.get(f"/candidature/{token}/etape/3").get_data(as_text=True)
    db.session.expire_all()
    assert len(application.posts) == 1 and not [e for e in application.events if e.kind is EventKind.EDITED]


def test_demo_submitted_applications_are_in_their_status_since_submission(db):
    """The demo's deposited applications read « Statut depuis » (and the export's last change) one hour
    before « Déposée le »: the status date was the draft's creation."""
    from app.applications.demo import load_demo_applications
    from app.applications.models import Application
    from app.auth.demo import load_demo_accounts

    load_demo_accounts()
    load_demo_applications()
    db.session.flush()
    submitted = db.session.scalars(sa.select(Application).where(Application.submitted_at.is_not(None))).all()
    assert submitted
    for application in submitted:
        assert application.status_changed_at >= application.submitted_at, application.reference
