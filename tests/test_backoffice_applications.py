"""Référents' review of applications: services, queue, detail, actions, documents, exports, scope."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.antivirus import ScanStatus
from app.applications import review
from app.applications.exports import neutralise
from app.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationMessage,
    ApplicationNote,
    ApplicationTutor,
    DocumentSource,
)
from app.applications.models import (
    ApplicationStatus as S,
)
from app.applications.queue import QueueFilters, page_window, tab_counts
from app.applications.workflow import TransitionNotAllowed
from app.eligibility.structures import StructureType
from tests import queries
from tests.factories import APPROVAL, APPROVAL_FORM, make_application, make_referent
from tests.mails import queued_mails
from tests.pdf_text import pdf_text

BASE = "/espace-referent/candidatures"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def people(db):
    alice = make_referent(email="alice@justice.fr", name="Alice Gironde", departements=("33",))
    bruno = make_referent(email="bruno@justice.fr", name="Bruno Nord", departements=("59",))
    admin = make_referent(email="adele@justice.fr", name="Adèle Nationale", departements=(), is_admin=True)
    return alice, bruno, admin


def events(db, application, kind=None):
    query = sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
    if kind:
        query = query.where(ApplicationEvent.kind == kind)
    return db.session.scalars(query.order_by(ApplicationEvent.id)).all()


def reload(db, application):
    db.session.expire_all()
    return db.session.get(Application, application.id)


# --- services --------------------------------------------------------------------------------------


def test_take_assigns_moves_to_review_traces_and_mails(db, people):
    alice = people[0]
    application = make_application("33")
    review.take(application, alice)
    assert application.status is S.IN_REVIEW
    assert application.assigned_referent_id == alice.id
    [event] = events(db, application, "status_changed")
    assert (event.from_status, event.to_status, event.actor_label) == (S.SUBMITTED, S.IN_REVIEW, "Alice Gironde")
    [mail] = queued_mails(application_id=application.id)
    assert mail.to_address == application.contact_email
    assert f"/suivi/{application.access_token}" in mail.body_text
    assert f"/suivi/{application.access_token}" in mail.body_html
    with pytest.raises(review.AlreadyAssigned):
        review.take(application, alice)


def test_take_an_open_application_of_a_colleague_reassigns_without_changing_status(db, people):
    alice, _, admin = people
    application = make_application("33", status=S.WAITING_APPLICANT, assigned_referent_id=admin.id)
    review.take(application, alice)
    assert application.status is S.WAITING_APPLICANT
    assert application.assigned_referent_id == alice.id
    assert events(db, application, "assigned")
    final = make_application("33", status=S.REFUSED)
    with pytest.raises(TransitionNotAllowed):
        review.take(final, alice)


def test_decision_needs_a_reason_and_approval_mails_the_attestation(db, people):
    alice = people[0]
    application = make_application("33", status=S.SENT_FOR_DECISION, posts=2)
    with pytest.raises(review.ReasonRequired):
        review.apply_action(application, "approve", alice, "   ", approval=APPROVAL)
    with pytest.raises(review.DecisionFactsRequired):
        review.apply_action(application, "approve", alice, "Avis favorables.")
    assert application.status is S.SENT_FOR_DECISION
    review.apply_action(
        application, "approve", alice, "Avis favorables du parquet, du JAP et du préfet.", approval=APPROVAL
    )
    assert application.status is S.APPROVED
    assert application.decided_by_id == alice.id and application.decided_at is not None
    [event] = events(db, application, "decision")
    assert event.detail == "Avis favorables du parquet, du JAP et du préfet."
    [mail] = queued_mails(application_id=application.id)
    assert "habilitée" in mail.subject
    assert "Avis favorables du parquet" in mail.body_text
    [attachment] = mail.attachments
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == f"attestation-habilitation-{application.reference}.pdf"


def test_refusal_and_reopening_are_traced_with_their_reasons(db, people):
    alice = people[0]
    application = make_application("33", status=S.SENT_FOR_DECISION)
    review.apply_action(application, "refuse", alice, "Postes sans tuteur.")
    assert application.status is S.REFUSED
    with pytest.raises(review.ReasonRequired):
        review.apply_action(application, "reopen", alice, "")
    review.apply_action(application, "reopen", alice, "Nouveau tuteur désigné.")
    assert application.status is S.IN_REVIEW
    assert application.decided_at is None and application.decision_reason is None
    [reopened] = events(db, application, "reopened")
    assert (reopened.from_status, reopened.to_status, reopened.detail) == (
        S.REFUSED,
        S.IN_REVIEW,
        "Nouveau tuteur désigné.",
    )
    assert len(queued_mails(application_id=application.id)) == 2


def test_forbidden_action_raises_and_changes_nothing(db, people):
    application = make_application("33")
    with pytest.raises(TransitionNotAllowed):
        review.apply_action(application, "approve", people[0], "motif", approval=APPROVAL)
    assert application.status is S.SUBMITTED
    assert events(db, application) == []


def test_request_complements_lists_items_waits_for_applicant_and_mails(db, people):
    alice = people[0]
    application = make_application("33", status=S.IN_REVIEW)
    with pytest.raises(review.NothingRequested):
        review.request_complements(application, alice, ["", "  "])
    message = review.request_complements(application, alice, ["Statuts à jour", "Horaires du poste"], "Merci !")
    assert application.status is S.WAITING_APPLICANT
    assert message.requested_items == ["Statuts à jour", "Horaires du poste"]
    assert events(db, application, "complements_requested")[0].to_status is S.WAITING_APPLICANT
    [mail] = queued_mails(application_id=application.id)
    assert "Statuts à jour" in mail.body_text and "Horaires du poste" in mail.body_html
    assert f"/suivi/{application.access_token}" in mail.body_text
    # A second request while waiting keeps the status and adds a message.
    review.request_complements(application, alice, ["Procès-verbal"])
    assert application.status is S.WAITING_APPLICANT
    assert len(application.messages) == 2


def test_message_and_note(db, people):
    alice = people[0]
    application = make_application("33", status=S.IN_REVIEW)
    with pytest.raises(review.EmptyMessage):
        review.send_message(application, alice, "  ")
    review.send_message(application, alice, "Bonjour, pouvez-vous préciser les horaires ?")
    [mail] = queued_mails(application_id=application.id)
    assert "pouvez-vous préciser" in mail.body_text and f"/suivi/{application.access_token}" in mail.body_text
    review.add_note(application, alice, "Appeler la présidente lundi.")
    assert len(queued_mails(application_id=application.id)) == 1  # notes are private: no mail


# --- queue (service) --------------------------------------------------------------------------------


def _scope(codes):
    return Application.departement_code.in_(codes) if codes is not None else sa.true()


def test_tab_counts_and_drafts_never_listed(db, people):
    alice = people[0]
    make_application("33")
    make_application("33")
    make_application("33", status=S.IN_REVIEW, assigned_referent_id=alice.id)
    make_application("33", status=S.WAITING_APPLICANT, assigned_referent_id=alice.id)
    make_application("33", status=S.APPROVED, assigned_referent_id=alice.id)
    make_application("33", status=S.CLOSED)
    make_application("33", status=S.DRAFT)
    make_application("59")
    counts = tab_counts(db.session, QueueFilters(), _scope(["33"]), alice.id)
    assert counts == {"nouvelles": 2, "suivies": 2, "en-attente": 1, "traitees": 2, "toutes": 6}
    assert tab_counts(db.session, QueueFilters(), _scope(None), alice.id)["toutes"] == 7


def test_page_window():
    assert page_window(1, 1) == [1]
    assert page_window(6, 12) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert page_window(2, 4) == [1, 2, 3, 4]


# --- routes: access and scope -------------------------------------------------------------------------


def test_queue_needs_login(client, db):
    response = client.get(BASE)
    assert response.status_code == 302
    assert "/espace-referent/connexion" in response.headers["Location"]


def test_every_route_is_scoped(client, db, auth, people):
    alice, bruno, admin = people
    application = make_application("33", status=S.SENT_FOR_DECISION)
    approved = make_application(
        "33", status=S.APPROVED, decided_at=datetime(2026, 1, 5), decided_by_id=alice.id, decision_reason="ok"
    )
    document = ApplicationDocument(
        application=application,
        kind="statuts",
        original_filename="statuts.pdf",
        stored_name="abc123.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
    )
    db.session.add(document)
    db.session.flush()
    gets = [
        f"{BASE}/{application.id}",
        f"{BASE}/{application.id}/actions/approve",
        f"{BASE}/{approved.id}/attestation.pdf",
    ]
    posts = [
        (f"{BASE}/{application.id}/prendre-en-charge", {}),
        (f"{BASE}/{application.id}/actions/approve", {**APPROVAL_FORM, "reason": "Avis favorables"}),
        (f"{BASE}/{application.id}/complements", {"other_items": "Statuts"}),
        (f"{BASE}/{application.id}/messages", {"body": "Bonjour"}),
        (f"{BASE}/{application.id}/notes", {"note": "Note"}),
    ]
    auth.login_as(bruno)
    for url in gets + [f"{BASE}/{application.id}/documents/{document.id}", f"{BASE}/{application.id}/complements"]:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    assert reload(db, application).status is S.SENT_FOR_DECISION
    assert db.session.scalar(sa.select(sa.func.count(ApplicationNote.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ApplicationMessage.id))) == 0
    queue = client.get(f"{BASE}?onglet=toutes").get_data(as_text=True)
    assert application.reference not in queue
    csv_text = client.get(f"{BASE}/export.csv?onglet=toutes").get_data(as_text=True)
    assert application.reference not in csv_text

    for referent in (alice, admin):
        auth.login_as(referent)
        for url in gets:
            assert client.get(url).status_code == 200, (referent.name, url)
        assert application.reference in client.get(f"{BASE}?onglet=toutes").get_data(as_text=True)


def test_drafts_are_not_reachable(client, db, auth, people):
    draft = make_application("33", status=S.DRAFT)
    auth.login_as(people[0])
    assert client.get(f"{BASE}/{draft.id}").status_code == 404


# --- routes: queue -----------------------------------------------------------------------------------


def test_queue_tabs_filters_search_and_sort(client, db, auth, people):
    alice = people[0]
    zebre = make_application(
        "33",
        structure_name="Zèbre solidaire",
        siret="73282932000074",
        rna=None,
        structure_type=StructureType.COOPERATIVE,
        submitted_at=datetime(2026, 3, 10, 10),
    )
    abeille = make_application("33", structure_name="Abeilles du quartier", submitted_at=datetime(2026, 2, 1, 10))
    suivie = make_application(
        "33",
        structure_name="Maison des jeunes",
        status=S.IN_REVIEW,
        assigned_referent_id=alice.id,
        submitted_at=datetime(2026, 1, 15, 10),
    )
    nord = make_application("59", structure_name="Association du Nord")
    auth.login_as(alice)

    page = client.get(BASE).get_data(as_text=True)
    assert 'Nouvelles&nbsp;<span class="bo-tabs__count">(2)</span>' in page
    assert 'Suivies par moi&nbsp;<span class="bo-tabs__count">(1)</span>' in page
    assert "Zèbre solidaire" in page and "Abeilles du quartier" in page and "Maison des jeunes" not in page
    assert "Association du Nord" not in page
    assert page.index("Zèbre solidaire") < page.index("Abeilles du quartier")  # most recent first

    by_name = client.get(f"{BASE}?tri=nom").get_data(as_text=True)
    assert by_name.index("Abeilles du quartier") < by_name.index("Zèbre solidaire")

    mine = client.get(f"{BASE}?onglet=suivies").get_data(as_text=True)
    assert "Maison des jeunes" in mine and "Zèbre solidaire" not in mine

    def names(query):
        text = client.get(f"{BASE}?onglet=toutes&{query}").get_data(as_text=True)
        return {n for n in ("Zèbre solidaire", "Abeilles du quartier", "Maison des jeunes") if n in text}

    assert names("q=z%C3%A8bre") == {"Zèbre solidaire"}
    assert names("q=732+829+320") == {"Zèbre solidaire"}
    assert names(f"q={abeille.rna}") == {"Abeilles du quartier"}
    assert names(f"q={suivie.reference.lower()}") == {"Maison des jeunes"}
    assert names("type_structure=cooperative") == {"Zèbre solidaire"}
    assert names("statut=en_instruction") == {"Maison des jeunes"}
    assert names("du=2026-01-20&au=2026-02-28") == {"Abeilles du quartier"}
    assert names("du=01/03/2026") == {"Zèbre solidaire"}
    assert names("departement=33") == {"Zèbre solidaire", "Abeilles du quartier", "Maison des jeunes"}
    # A département outside mine is not a choice: the filter is ignored, the scope still applies.
    outside = client.get(f"{BASE}?onglet=toutes&departement=59").get_data(as_text=True)
    assert "Association du Nord" not in outside
    assert zebre.reference and nord.reference


def test_queue_invalid_filter_rerenders_with_french_errors(client, db, auth, people):
    make_application("33", structure_name="Abeilles du quartier")
    auth.login_as(people[0])
    response = client.get(f"{BASE}?du=2026-13-45")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<title>Erreur : " in text
    assert "resume-erreurs" in text
    assert "Saisissez une date valide, par exemple 31/01/2026." in text
    assert "Abeilles du quartier" in text  # the list still shows, the bad filter is ignored
    text = client.get(f"{BASE}?departement=59&statut=inconnu").get_data(as_text=True)
    assert "Choisissez l&#39;un de vos départements dans la liste." in text
    assert "Choisissez un statut dans la liste." in text
    response = client.get(f"{BASE}?du=2026-02-01&au=2026-01-01")
    assert "postérieure ou égale" in response.get_data(as_text=True)


def test_queue_pagination(client, db, auth, people):
    for index in range(30):
        make_application(
            "33", structure_name=f"Structure {index:02d}", submitted_at=datetime(2026, 1, 1) + timedelta(hours=index)
        )
    auth.login_as(people[0])
    first = client.get(BASE).get_data(as_text=True)
    assert "page 1 sur 2" in first
    assert "Structure 29" in first and "Structure 04" not in first
    assert 'class="fr-pagination"' in first
    second = client.get(f"{BASE}?page=2").get_data(as_text=True)
    assert "Structure 04" in second and "Structure 29" not in second
    assert second.count("/espace-referent/candidatures/") >= 5
    beyond = client.get(f"{BASE}?page=99").get_data(as_text=True)
    assert "page 2 sur 2" in beyond


def test_queue_query_count_does_not_grow_with_rows(app, client, db, auth, people):
    alice, _, admin = people

    def count_queries(url):
        return queries.count_queries(client, db, url)

    alice_id, admin_id = alice.id, admin.id
    for index in range(25):
        make_application("33", assigned_referent_id=admin_id if index % 2 else alice_id, status=S.IN_REVIEW)
    auth.login_as(alice)
    first_id = db.session.scalar(sa.select(sa.func.min(Application.id)))
    few = count_queries(f"{BASE}?onglet=toutes")
    export_few = count_queries(f"{BASE}/export.csv?onglet=toutes")
    for index in range(75):
        make_application("33", assigned_referent_id=admin_id if index % 2 else alice_id, status=S.IN_REVIEW, posts=2)
    db.session.commit()
    many = count_queries(f"{BASE}?onglet=toutes")
    export_many = count_queries(f"{BASE}/export.csv?onglet=toutes")
    assert few == many, (few, many)
    assert few <= 8
    assert export_few == export_many
    # Detail: the same number of queries with 2 or 22 messages, notes and events.
    Referent = type(alice)

    def add_exchanges(count):
        application = db.session.get(Application, first_id)
        for index in range(count):
            review.send_message(application, db.session.get(Referent, alice_id), f"Message {index}")
            review.add_note(application, db.session.get(Referent, admin_id), f"Note {index}")

    add_exchanges(2)
    detail_few = count_queries(f"{BASE}/{first_id}")
    add_exchanges(20)
    detail_many = count_queries(f"{BASE}/{first_id}")
    assert detail_few == detail_many, (detail_few, detail_many)


# --- routes: detail and actions -----------------------------------------------------------------------


def test_detail_shows_answers_posts_tutors_documents_history(client, db, auth, people):
    alice = people[0]
    application = make_application("33", structure_name="Les Jardins partagés", status=S.IN_REVIEW, posts=2)
    db.session.add(
        ApplicationDocument(
            application=application,
            kind="statuts",
            original_filename="statuts signés.pdf",
            stored_name="f00.pdf",
            content_type="application/pdf",
            size_bytes=2048,
            sha256="0" * 64,
        )
    )
    review.add_note(application, alice, "Note privée pour les collègues")
    auth.login_as(alice)
    text = client.get(f"{BASE}/{application.id}").get_data(as_text=True)
    for expected in (
        "Les Jardins partagés",
        application.reference,
        "Camille Martin",
        "Présidente",
        "Entretien des espaces verts 1",
        "Entretien des espaces verts 2",
        "Paul Durand, Jardinier",
        "Statuts à jour : statuts signés.pdf",
        "Note privée pour les collègues",
        "Alice Gironde",
        "Demander des compléments",
        "Transmettre pour avis et décision",
        "Classer sans suite",
        "Gironde",
    ):
        assert expected in text, expected
    assert text.count("<h1") == 1
    ids = re.findall(r' id="([^"]+)"', text)
    assert len(ids) == len(set(ids))  # several forms on the page, no duplicate id
    assert "Habiliter" not in text  # not offered before the file is sent for decision


def test_full_review_by_routes(client, db, auth, people):
    alice = people[0]
    application = make_application("33")
    auth.login_as(alice)
    url = f"{BASE}/{application.id}"

    response = client.post(f"{url}/actions/take", follow_redirects=True)
    assert "Vous avez pris en charge la candidature : elle est « En instruction »" in response.get_data(as_text=True)
    application = reload(db, application)
    assert application.status is S.IN_REVIEW and application.assigned_referent_id == alice.id

    # Complements: the form says that one of the two is needed (both read « (optionnel) », then an error said
    # « Cochez au moins une pièce »).
    form = client.get(f"{url}/complements").get_data(as_text=True)
    assert "Pièces à fournir" in form and "Pièces à fournir (optionnel)" not in form
    assert "Autres éléments demandés (optionnel)" not in form
    assert "Cochez au moins une pièce ou décrivez" in form
    # Complements: invalid (nothing chosen) → 200 with the error; then valid.
    response = client.post(f"{url}/complements", data={"body": "Merci"})
    assert response.status_code == 200
    assert "Cochez au moins une pièce" in response.get_data(as_text=True)
    assert "<title>Erreur : " in response.get_data(as_text=True)
    response = client.post(
        f"{url}/complements",
        data={"documents": ["statuts"], "other_items": "Horaires du poste\n"},
        follow_redirects=True,
    )
    assert "en attente de sa réponse" in response.get_data(as_text=True)
    application = reload(db, application)
    assert application.status is S.WAITING_APPLICANT
    assert application.messages[-1].requested_items == ["Statuts à jour", "Horaires du poste"]

    assert "Demander d'autres compléments" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/actions/resume")
    assert reload(db, application).status is S.IN_REVIEW

    # Message with an attachment (stored under a random name, linked to the message).
    response = client.post(
        f"{url}/messages",
        data={"body": "Voici le modèle de fiche horaire.", "attachments": [(io.BytesIO(PNG), "fiche.png")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Votre message est envoyé" in response.get_data(as_text=True)
    document = db.session.scalars(
        sa.select(ApplicationDocument).where(ApplicationDocument.application_id == application.id)
    ).one()
    assert document.source is DocumentSource.REFERENT and document.kind == "piece_jointe"
    assert document.original_filename == "fiche.png" and document.stored_name != "fiche.png"
    assert "fiche.png" in queued_mails(application_id=application.id)[-1].body_text

    # Empty message and refused file: 200 with errors, nothing saved.
    response = client.post(f"{url}/messages", data={"body": ""})
    assert response.status_code == 200 and "Écrivez le message" in response.get_data(as_text=True)
    response = client.post(
        f"{url}/messages",
        data={"body": "Texte", "attachments": [(io.BytesIO(b"MZ not a pdf"), "virus.exe")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "pas au format PDF, JPEG ou PNG" in response.get_data(as_text=True)
    assert "Texte" in response.get_data(as_text=True)  # nothing typed is lost
    assert len(reload(db, application).messages) == 2

    response = client.post(f"{url}/notes", data={"note": "À rappeler."}, follow_redirects=True)
    assert "La note interne est enregistrée." in response.get_data(as_text=True)

    client.post(f"{url}/actions/send_for_decision")
    assert reload(db, application).status is S.SENT_FOR_DECISION

    # Decision without reason: confirmation page again with the error, HTTP 200, nothing changed.
    response = client.post(f"{url}/actions/approve", data={**APPROVAL_FORM, "reason": ""})
    assert response.status_code == 200
    assert "Indiquez les observations" in response.get_data(as_text=True)
    assert reload(db, application).status is S.SENT_FOR_DECISION
    response = client.post(
        f"{url}/actions/approve", data={**APPROVAL_FORM, "reason": "Avis favorables."}, follow_redirects=True
    )
    assert "« Habilitée »" in response.get_data(as_text=True)
    assert "Télécharger l'attestation" in response.get_data(as_text=True)
    pdf = client.get(f"{url}/attestation.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]

    # A forbidden action is refused with a message.
    response = client.post(f"{url}/actions/refuse", data={"reason": "x"}, follow_redirects=True)
    assert "Action « Refuser » impossible : la candidature est au statut « Habilitée »" in response.get_data(
        as_text=True
    )
    assert reload(db, application).status is S.APPROVED

    client.post(f"{url}/actions/reopen", data={"reason": "Erreur sur un poste."})
    application = reload(db, application)
    assert application.status is S.IN_REVIEW
    assert client.get(f"{url}/attestation.pdf").status_code == 404
    kinds = [e.kind.value for e in events(db, application)]
    assert kinds == [
        "status_changed",
        "complements_requested",
        "status_changed",
        "message",
        "note",
        "status_changed",
        "decision",
        "reopened",
    ]
    history = client.get(url).get_data(as_text=True)
    assert "Réouverture</strong> : Habilitée → En instruction" in history
    assert "par Alice Gironde" in history


def test_actions_need_csrf(csrf_app, client, db, auth, people):
    application = make_application("33")
    auth.login_as(people[0])
    assert client.post(f"{BASE}/{application.id}/actions/take").status_code == 400
    assert reload(db, application).status is S.SUBMITTED
    page = client.get(f"{BASE}/{application.id}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 4  # take, close, message, note (and logout)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_document_download_only_for_authorised_referents(app, client, db, auth, people):
    alice, bruno, admin = people
    application = make_application("33")
    other = make_application("33")
    folder = app.config["UPLOAD_FOLDER"]
    import os

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "0123abcd.pdf"), "wb") as handle:
        handle.write(b"%PDF-1.4 test")
    document = ApplicationDocument(
        application=application,
        kind="statuts",
        original_filename="statuts.pdf",
        stored_name="0123abcd.pdf",
        content_type="application/pdf",
        size_bytes=13,
        sha256="0" * 64,
        scan_status=ScanStatus.CLEAN,  # served only once the antivirus passed it
    )
    db.session.add(document)
    db.session.flush()
    url = f"{BASE}/{application.id}/documents/{document.id}"
    for referent in (alice, admin):
        auth.login_as(referent)
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == b"%PDF-1.4 test"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "statuts.pdf" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    auth.login_as(bruno)
    assert client.get(url).status_code == 404
    auth.login_as(alice)
    assert client.get(f"{BASE}/{other.id}/documents/{document.id}").status_code == 404  # wrong application
    assert client.get(f"{BASE}/{application.id}/documents/999").status_code == 404


# --- exports -------------------------------------------------------------------------------------------


def test_neutralise():
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for dangerous in ("+33", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous).startswith("'")
    assert neutralise("Association") == "Association"
    assert neutralise(None) == ""


def test_csv_export_filtered_scoped_and_safe(client, db, auth, people):
    alice = people[0]
    make_application("33", structure_name="=cmd|' /C calc'!A0", contact_phone="+33556000000")
    make_application("33", structure_name="Abeilles du quartier", status=S.IN_REVIEW)
    make_application("59", structure_name="Association du Nord")
    auth.login_as(alice)
    response = client.get(f"{BASE}/export.csv?onglet=toutes")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Référence", "Structure", "Type de structure"]
    names = [row[1] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names and "Abeilles du quartier" in names
    assert "Association du Nord" not in names
    phone_column = rows[0].index("Téléphone du contact")
    assert rows[1][phone_column] == "05 56 00 00 00"  # national form: no leading "+" to neutralise
    filtered = client.get(f"{BASE}/export.csv?onglet=toutes&statut=en_instruction").data.decode("utf-8-sig")
    assert "Abeilles du quartier" in filtered and "calc" not in filtered


def test_xlsx_export(client, db, auth, people):
    make_application("33", structure_name="=1+1")
    make_application("59", structure_name="Association du Nord")
    auth.login_as(people[0])
    response = client.get(f"{BASE}/export.xlsx?onglet=toutes")
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Référence" and values[0][-1] == "Nombre de postes"
    assert len(values) == 2
    assert values[1][1] == "=1+1"  # text shown as typed: string cell with quotePrefix, no apostrophe
    assert sheet.cell(row=2, column=2).data_type == "s" and sheet.cell(row=2, column=2).quotePrefix
    # The admin exports every département.
    auth.login_as(people[2])
    sheet = load_workbook(io.BytesIO(client.get(f"{BASE}/export.xlsx?onglet=toutes").data)).active
    assert sheet.max_row == 3


def test_follow_an_open_application_by_route(client, db, auth, people):
    alice, _, admin = people
    application = make_application("33", status=S.WAITING_APPLICANT, assigned_referent_id=admin.id)
    auth.login_as(alice)
    page = client.get(f"{BASE}/{application.id}").get_data(as_text=True)
    assert "Suivre cette candidature" in page
    response = client.post(f"{BASE}/{application.id}/prendre-en-charge", follow_redirects=True)
    assert "Vous suivez désormais cette candidature." in response.get_data(as_text=True)
    application = reload(db, application)
    assert application.assigned_referent_id == alice.id and application.status is S.WAITING_APPLICANT
    assert "Suivre cette candidature" not in client.get(f"{BASE}/{application.id}").get_data(as_text=True)


# --- attestation ---------------------------------------------------------------------------------------


def test_attestation_only_for_habilitated_applications(db, people):
    from app.applications.attestation import AttestationUnavailable, attestation_pdf

    alice = people[0]
    application = make_application("33", status=S.SENT_FOR_DECISION, posts=12)
    application.siret = "73282932000074"  # written as in the recap: "732 829 320 00074"
    with pytest.raises(AttestationUnavailable):
        attestation_pdf(application)
    application.posts[0].tasks = "Tâches très détaillées. " * 80
    application.posts[0].tutors = [
        ApplicationTutor(
            first_name="Zoé", last_name="Ngô", role="Cheffe d'équipe", birth_date=date(1985, 6, 2), birth_place="Lyon"
        )
        for _ in range(3)
    ]
    review.apply_action(application, "approve", alice, "Décision favorable du directeur du SPIP.", approval=APPROVAL)
    data = attestation_pdf(application)
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") >= 2  # twelve posts need a second page
    text = " ".join(pdf_text(data).split())
    for expected in (
        "Attestation d'habilitation",
        application.reference,
        application.structure_name,
        "Département : Gironde (33)",
        "Postes inscrits (12)",
        "Entretien des espaces verts 12",
        "Zoé Ngô, Cheffe d'équipe",
        "SIRET : 732 829 320 00074",
        "Observations : Décision favorable du directeur du SPIP.",
        "pour une durée de cinq ans",
    ):
        assert expected in text, expected
    assert "Lyon" not in text and "1985" not in text  # the tutors' birth stays in the file, not on the attestation
    public = make_application("33", status=S.SENT_FOR_DECISION, structure_type=StructureType.PUBLIC_BODY)
    review.apply_action(public, "approve", alice, "Postes inscrits.", approval=APPROVAL)
    assert "Attestation d'inscription des postes de TIG" in pdf_text(attestation_pdf(public))
    [mail] = queued_mails(application_id=public.id)
    assert "postes de votre structure sont inscrits" in mail.subject  # habilitated by right: posts only
    assert "Observations :" in mail.body_text and "Postes inscrits." in mail.body_text


def test_complements_for_a_public_body_use_the_free_text(client, db, auth, people):
    application = make_application("33", status=S.IN_REVIEW, structure_type=StructureType.PUBLIC_BODY)
    auth.login_as(people[0])
    url = f"{BASE}/{application.id}/complements"
    page = client.get(url).get_data(as_text=True)
    assert 'name="documents"' not in page  # no document list for public bodies
    response = client.post(url, data={"other_items": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#other_items"' in text and "Décrivez ce qui manque" in text
    client.post(url, data={"other_items": "Délibération du conseil municipal"})
    assert reload(db, application).status is S.WAITING_APPLICANT


def test_queue_flags_applications_whose_last_message_is_from_the_applicant(client, db, auth, people):
    from app.applications.models import MessageAuthor

    alice = people[0]
    answered = make_application("33", structure_name="Réponse reçue", status=S.WAITING_APPLICANT)
    waiting = make_application("33", structure_name="Toujours en attente", status=S.WAITING_APPLICANT)
    db.session.add_all(
        [
            ApplicationMessage(
                application=answered, author=MessageAuthor.REFERENT, referent_id=alice.id, body="Il manque les statuts."
            ),
            ApplicationMessage(
                application=waiting, author=MessageAuthor.REFERENT, referent_id=alice.id, body="Il manque les statuts."
            ),
        ]
    )
    db.session.flush()
    db.session.add(ApplicationMessage(application=answered, author=MessageAuthor.APPLICANT, body="Les voici."))
    db.session.flush()
    auth.login_as(alice)
    text = client.get(f"{BASE}?onglet=en-attente").get_data(as_text=True)
    rows = text.split("<tr>")[2:]
    flagged = [row for row in rows if "Message du demandeur" in row]
    assert len(flagged) == 1 and "Réponse reçue" in flagged[0]
