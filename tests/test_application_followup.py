"""The applicant's follow-up page /suivi/<token>: status, history, messages, replies with
attachments, requested documents, edits while submitted."""

from __future__ import annotations

import io
import re
from html import unescape

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
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import date_fr
from app.territories import get_departement
from tests.factories import APPROVAL, make_application, make_referent
from tests.mails import queued_mails
from tests.pdf_text import pdf_text
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


def test_reply_queues_mail_to_referents(client):
    make_referent(email="ref33@justice.fr", departements=("33",))
    make_referent(email="muet33@justice.fr", departements=("33",), notify_new_applications=False)
    application = _submitted(status=ApplicationStatus.IN_REVIEW)
    response = client.post(f"/suivi/{application.access_token}/message", data={"body": "Voici nos précisions."})
    assert response.status_code == 302 and response.location.endswith("#messages")
    db.session.expire_all()
    message = application.messages[-1]
    assert message.author is MessageAuthor.APPLICANT and message.body == "Voici nos précisions."
    assert application.status is ApplicationStatus.IN_REVIEW
    assert application.events[-1].kind is EventKind.MESSAGE and application.events[-1].actor_label == "Le demandeur"
    mails = queued_mails(category="application.reply_referent")
    assert [m.to_address for m in mails] == ["ref33@justice.fr"]
    assert "Voici nos précisions." in mails[0].body_text and "nouveau message" in mails[0].subject
    assert "Votre message a été envoyé" in client.get(response.location).get_data(as_text=True)


def test_answering_a_complements_request_resumes_the_review_and_tells_the_referent(client):
    """The applicant answers: the application is back in instruction (the history says why and who), the
    référent is told it is his turn, and the page no longer says the référent waits for an answer."""
    make_referent(email="ref33@justice.fr", departements=("33",))
    application = _submitted(status=ApplicationStatus.WAITING_APPLICANT)
    token = application.access_token
    assert "Le référent attend une réponse de votre part" in client.get(f"/suivi/{token}").get_data(as_text=True)
    response = client.post(f"/suivi/{token}/message", data={"body": "Voici nos précisions."})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status is ApplicationStatus.IN_REVIEW
    event = application.events[-1]
    assert (event.kind, event.from_status, event.to_status, event.actor_label) == (
        EventKind.STATUS_CHANGED,
        ApplicationStatus.WAITING_APPLICANT,
        ApplicationStatus.IN_REVIEW,
        "Le demandeur",
    )
    [mail] = queued_mails(category="application.reply_referent")
    assert "réponse du demandeur à votre demande de compléments" in mail.subject
    assert "de nouveau « en instruction »" in mail.body_text
    page = unescape(client.get(response.location).get_data(as_text=True))
    assert "Votre candidature est de nouveau en cours d'instruction." in page
    assert "attend une réponse" not in page and "En instruction" in page


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


def test_requested_documents_keep_their_name_everywhere(client, auth):
    """A file sent for a requested item is named after the item — follow-up page, history, back office,
    mail to the référent, summary PDF — and the requested items are not labelled « (optionnel) »."""
    referent = make_referent(email="ref33@justice.fr", departements=("33",))
    application = _submitted(status=ApplicationStatus.WAITING_APPLICANT)
    db.session.add(
        ApplicationMessage(
            application=application,
            author=MessageAuthor.REFERENT,
            referent_id=referent.id,
            body="Il manque des pièces.",
            requested_items=["Procès-verbal de la dernière assemblée générale", "Liste du bureau"],
        )
    )
    db.session.commit()
    token = application.access_token
    text = unescape(client.get(f"/suivi/{token}").get_data(as_text=True))
    assert "Envoyer les éléments demandés" in text
    for index, item in enumerate(["Procès-verbal de la dernière assemblée générale", "Liste du bureau"]):
        label = re.search(rf'<label class="fr-label" for="piece_{index}">(.*?)<(span|/label)', text, re.S).group(1)
        assert label.strip() == item
    data = {"body": "", "piece_0": (io.BytesIO(PDF), "pv.pdf")}
    response = client.post(f"/suivi/{token}/message", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    message = application.messages[-1]
    assert message.body == "Documents demandés transmis : Procès-verbal de la dernière assemblée générale."
    [document] = message.attachments
    assert (document.kind, document.requested_item) == ("complement", "Procès-verbal de la dernière assemblée générale")
    named = "Procès-verbal de la dernière assemblée générale : pv.pdf"
    kinds = [e.kind for e in application.events]
    assert kinds[-3:] == [EventKind.DOCUMENT_ADDED, EventKind.MESSAGE, EventKind.STATUS_CHANGED]
    assert "Procès-verbal de la dernière assemblée générale (pv.pdf)" in application.events[-3].detail
    followup = re.sub(r"<[^>]+>", "", unescape(client.get(f"/suivi/{token}").get_data(as_text=True)))
    assert named in followup
    [mail] = queued_mails(category="application.reply_referent")
    assert "Procès-verbal de la dernière assemblée générale (pv.pdf)" in mail.body_text
    summary = pdf_text(client.get(f"/suivi/{token}/recapitulatif.pdf").data)
    assert "Procès-verbal de la dernière assemblée générale" in summary and "pv.pdf" in summary
    auth.login_as(referent)
    detail = unescape(client.get(f"/espace-referent/candidatures/{application.id}").get_data(as_text=True))
    detail = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", detail))
    assert detail.count("Procès-verbal de la dernière assemblée générale : pv.pdf") == 2  # documents, messages
    assert "complement :" not in detail


def _decided(action: str, reason: str, **columns):
    from app.applications import review

    referent = make_referent(email="decide@justice.fr", departements=("33",))
    application = _submitted(status=ApplicationStatus.IN_REVIEW, **columns)
    review.apply_action(application, "send_for_decision", referent)
    review.apply_action(application, action, referent, reason, approval=APPROVAL if action == "approve" else None)
    db.session.commit()
    return application


@pytest.mark.parametrize(
    ("action", "structure_type", "headline", "next_steps"),
    [
        (
            "approve",
            StructureType.ASSOCIATION,
            "Votre structure est habilitée à accueillir des personnes en TIG",
            False,
        ),
        (
            "approve",
            StructureType.PUBLIC_BODY,
            "Vos postes sont inscrits sur la liste des travaux d'intérêt général",
            False,
        ),
        ("refuse", StructureType.ASSOCIATION, "Votre candidature n'a pas reçu d'avis favorable", True),
        ("close", StructureType.ESS_COMPANY, "Votre candidature est classée sans suite", True),
    ],
)
def test_the_decision_is_the_first_thing_the_applicant_reads(client, action, structure_type, headline, next_steps):
    application = _decided(action, "Motif écrit par le référent.", structure_type=structure_type)
    token = application.access_token
    page = unescape(client.get(f"/suivi/{token}").get_data(as_text=True))
    box = page[page.index('id="decision"') : page.index('id="sommaire-titre"')]
    assert page.index('id="decision"') < page.index('id="messages"')
    assert headline in box
    assert f"enregistrée le {date_fr(application.decided_at, 'long')}" in box
    assert "Motif écrit par le référent." in box
    attestation = client.get(f"/suivi/{token}/attestation.pdf")
    if action == "approve":
        assert f"/suivi/{token}/attestation.pdf" in box and "Observations" in box
        assert attestation.status_code == 200 and attestation.mimetype == "application/pdf"
        assert attestation.data.startswith(b"%PDF")
    else:
        assert "attestation" not in box and attestation.status_code == 404
        assert "Motif" in box
    assert ("Et maintenant ?" in box) is next_steps
    if next_steps:
        assert f'href="mailto:{get_departement("33").referent_email}"' in box
        assert 'href="/candidature"' in box and 'href="/webinaires"' in box


def test_no_decision_box_while_open(client):
    for status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.WAITING_APPLICANT):
        application = _submitted(status=status)
        assert 'id="decision"' not in client.get(f"/suivi/{application.access_token}").get_data(as_text=True)
        assert client.get(f"/suivi/{application.access_token}/attestation.pdf").status_code == 404


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
