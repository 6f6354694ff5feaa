"""What one draft may store and how fast: documents quota, answers bounded to the step's fields,
malformed field names and shapes over every step, rate limits per draft and per address, and files
that follow their request's transaction."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.applications import stored_files
from app.applications.models import Application, ApplicationDocument, ApplicationStatus
from app.applications.uploads import StoredFile
from tests.test_application_wizard import (
    ASSOCIATION_DOCS,
    CONTACT,
    ESS,
    PDF,
    POST,
    STRUCTURE,
    application,
    complete_association,
    field_errors,
    post_step,
    start,
    step_url,
    title,
    upload,
)


def stored_on_disk(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def to_documents(client) -> str:
    token = start(client)
    for number, data in ((1, STRUCTURE), (2, CONTACT), (3, POST)):
        assert post_step(client, token, number, data).status_code == 302
    return token


def pdf_of(size: int) -> bytes:
    return PDF + b"%" * (size - len(PDF))


# --- quota of documents per application ------------------------------------------------------------------


def test_number_of_documents_is_capped_and_a_removed_one_frees_its_place(app, client):
    app.config["APPLICATION_MAX_DOCUMENTS"] = 3
    token = to_documents(client)
    for key in ASSOCIATION_DOCS[:3]:
        assert upload(client, token, 4, {key: (f"{key}.pdf", PDF)}, action="televerser").status_code == 302
    response = upload(client, token, 4, {ASSOCIATION_DOCS[3]: ("bureau.pdf", PDF)}, action="televerser")
    assert response.status_code == 200 and title(response).startswith("Erreur : ")
    assert any("compte déjà 3 fichiers, le maximum" in e for e in field_errors(response)), field_errors(response)
    kept = application(token).documents
    assert len(kept) == 3  # nothing already uploaded is lost
    assert stored_on_disk(app) == {d.stored_name for d in kept}  # the refused file was not kept either

    client.post(step_url(token, 4), data={"action": f"supprimer_document-{kept[0].id}"})
    assert upload(client, token, 4, {ASSOCIATION_DOCS[3]: ("bureau.pdf", PDF)}, action="televerser").status_code == 302
    assert len(application(token).documents) == 3
    assert stored_on_disk(app) == {d.stored_name for d in application(token).documents}


def test_total_size_is_capped_and_a_replaced_document_frees_its_share(app, client):
    app.config["APPLICATION_MAX_DOCUMENTS_BYTES"] = 1024 * 1024
    token = to_documents(client)
    assert (
        upload(client, token, 4, {"statuts": ("statuts.pdf", pdf_of(600_000))}, action="televerser").status_code == 302
    )
    response = upload(client, token, 4, {"bureau": ("bureau.pdf", pdf_of(600_000))}, action="televerser")
    assert response.status_code == 200
    assert any("au-delà des 1 Mo permis pour une candidature" in e for e in field_errors(response)), field_errors(
        response
    )
    [statuts] = application(token).documents
    assert stored_on_disk(app) == {statuts.stored_name}

    # Replace the big file by a smaller one: its share is free again.
    client.post(step_url(token, 4), data={"action": f"supprimer_document-{statuts.id}"})
    assert stored_on_disk(app) == set()
    for key in ("statuts", "bureau"):
        assert upload(client, token, 4, {key: (f"{key}.pdf", pdf_of(400_000))}, action="televerser").status_code == 302
    assert sorted(d.kind for d in application(token).documents) == ["bureau", "statuts"]


def test_several_files_in_one_post_keep_those_within_the_quota(app, client):
    app.config["APPLICATION_MAX_DOCUMENTS"] = 2
    token = to_documents(client)
    files = {key: (f"{key}.pdf", PDF) for key in ASSOCIATION_DOCS[:3]}
    response = upload(client, token, 4, files, action="televerser")
    assert response.status_code == 200
    assert len(application(token).documents) == 2
    assert sum("le maximum" in e for e in field_errors(response)) == 1


def test_reply_files_count_in_the_quota_and_a_refused_reply_keeps_nothing(app, client):
    token = start(client)
    complete_association(client, token)
    assert post_step(client, token, 6, {"accept": "y"}).status_code == 302
    app.config["APPLICATION_MAX_DOCUMENTS"] = len(ASSOCIATION_DOCS)  # reached by the wizard
    response = client.post(
        f"/suivi/{token}/message",
        data={"body": "Voici un document de plus.", "attachments": [(io.BytesIO(PDF), "plus.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert any("le maximum" in e for e in field_errors(response)), field_errors(response)
    assert "Voici un document de plus." in response.get_data(as_text=True)  # the message typed is kept
    submitted = application(token)
    assert submitted.messages == [] and len(submitted.documents) == len(ASSOCIATION_DOCS)
    assert stored_on_disk(app) == {d.stored_name for d in submitted.documents}


# --- answers kept as typed: the step's fields only, bounded ---------------------------------------------


def test_unknown_fields_are_ignored_and_values_bounded(client):
    token = start(client)
    junk = {f"champ{i}": "x" * 10_000 for i in range(200)}
    data = {**STRUCTURE, **junk, "structure_name": "N" * 1_000_000, "postal_code": "3" * 100_000}
    response = post_step(client, token, 1, data)
    assert response.status_code == 200  # too long: errors, answers kept as typed
    raw = application(token).draft_answers["structure"]
    assert set(raw) <= set(STRUCTURE) | {"__invalid__"}
    assert len(raw["structure_name"][0]) == 600  # twice the field's maximum: shown back to be shortened
    assert len(raw["postal_code"][0]) == 400
    assert len(str(application(token).draft_answers)) < 5_000


def test_posts_keep_only_the_fields_of_posts_and_tutors(client):
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, CONTACT)
    data = {
        **POST,
        "poste0-title": "",  # invalid: kept as typed
        "poste0-tutors": "x",
        "poste0-tuteur0": "x",
        "poste0-tuteur0-tutors": "x",
        "poste0-tuteur0-evil": "y" * 50_000,
        "poste99-title": "Trop loin",
        "poste0-tasks": "t" * 100_000,
    }
    assert post_step(client, token, 3, data).status_code == 200
    raw = application(token).draft_answers["posts"]
    fields = {key.split("-")[-1] for key in raw if key != "__invalid__"}
    assert fields <= {
        "present",
        "title",
        "tasks",
        "place",
        "schedule",
        "hours_per_week",
        "places_count",
        "minors_allowed",
        "physical_effort",
        "accessible_reduced_mobility",
        "constraints_notes",
        "last_name",
        "first_name",
        "role",
        "birth_date",
        "birth_place",
    }
    assert "evil" not in str(raw) and not any(key.startswith("poste99") for key in raw)
    assert raw["poste1-title"] == ["Trop loin"]  # posts are renumbered in order
    assert len(raw["poste0-tasks"][0]) == 6000


# --- malformed names and shapes, over every step ----------------------------------------------------------

MALFORMED = [
    {"poste0-tutors": "x", "poste0-tuteur0": "x", "poste0-tuteur0-tutors": "x", "poste0": "x"},
    {"poste0-title": ["a", "b"], "poste0-tuteur0-last_name": ["a", "b", "c"], "poste0-hours_per_week": "²"},
    {
        "poste0-places_count": "١٢",
        "poste0-hours_per_week": ["12", "x"],
        "poste0-tuteur0-birth_date": ["2020-01-01", "x"],
    },
    {"structure_type": ["association", "cooperative"], "departement_code": ["33", "99"], "siret[]": "x"},
    {"social_utility": ["fragilite", "fragilite", "inconnu"], "ess_non_profit_purpose": ["oui", "non"]},
    {"contact_email": ["a@b.fr", "c"], "contact_phone[0]": "x", "contact_phone": ["", "06"]},
    {"accept": ["y", "n"], "action": ["continuer", "precedent"], "csrf_token": ["a", "b"]},
    {"action": "supprimer_document-99999999999999999999"},
    {"action": "supprimer_tuteur-0-99999999999999999999"},
    {"action": "ajouter_tuteur-abc", "poste0-present": ["1", "1"]},
]


def _post_malformed(client, url, payload):
    response = client.post(url, data=payload)
    assert response.status_code < 500, f"POST {url} {payload!r} → {response.status_code}"
    return response


def _fill(client, token, structure: str) -> int:
    """Every step answered (again) for an association or a cooperative; returns the number of steps."""
    if structure == "association":
        complete_association(client, token)
        return 6
    data = {**STRUCTURE, "structure_type": "cooperative", "siret": "73282932000074", "rna": ""}
    for number, values in ((1, data), (2, CONTACT), (3, ESS), (4, POST)):
        assert post_step(client, token, number, values).status_code == 302
    assert (
        upload(
            client, token, 5, {key: (f"{key}.pdf", PDF) for key in ("statuts", "utilite_sociale", "comptes")}
        ).status_code
        == 302
    )
    return 7


@pytest.mark.parametrize("structure", ["association", "cooperative"])
def test_malformed_fields_on_every_step_rerender_with_a_french_error(client, db, structure):
    token = start(client)
    total = _fill(client, token, structure)
    for number in range(1, total + 1):
        url = step_url(token, number)
        for payload in MALFORMED:
            _post_malformed(client, url, payload)
        # Only malformed values: nothing valid to save, the page comes back with French errors.
        response = _post_malformed(client, url, {**MALFORMED[0], **MALFORMED[1], "action": "continuer"})
        if number < total - 2:  # the steps of answers (the documents are all sent already, the review only reads)
            assert response.status_code == 200, (number, response.status_code)
            assert title(response).startswith("Erreur : "), number
            assert field_errors(response) or "fr-alert--error" in response.get_data(as_text=True)
        elif number == total:  # the declaration, its box not ticked
            assert response.status_code == 200 and title(response).startswith("Erreur : ")
    # And once submitted, the same on the steps an applicant may still edit.
    _fill(client, token, structure)
    assert post_step(client, token, total, {"accept": "y"}).status_code == 302
    assert application(token).status is ApplicationStatus.SUBMITTED
    for number in range(1, total - 1):
        for payload in [*MALFORMED, {**MALFORMED[0], **MALFORMED[1], "action": "continuer"}]:
            _post_malformed(client, step_url(token, number), payload)


# --- rate limits -------------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(make_app):
    """The site with its rate limits on, at their production defaults (they are off in tests)."""
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")


def test_a_whole_application_with_all_its_documents_passes_the_default_limits(limited_app):
    client = limited_app.test_client()
    token = start(client)
    steps = [
        post_step(client, token, 1, STRUCTURE),
        post_step(client, token, 2, CONTACT, action="ajouter_poste"),  # wandering about, as people do
        post_step(client, token, 2, CONTACT),
        post_step(client, token, 3, POST, action="ajouter_poste"),
        post_step(client, token, 3, {**POST, "poste1-present": "1"}, action="supprimer_poste-1"),
        post_step(client, token, 3, POST, action="ajouter_tuteur-0"),
        post_step(client, token, 3, POST),
    ]
    for key in ASSOCIATION_DOCS:  # one file at a time, then all again at once
        steps.append(upload(client, token, 4, {key: (f"{key}.pdf", PDF)}, action="televerser"))
    steps.append(upload(client, token, 4, {key: (f"{key}-2.pdf", PDF) for key in ASSOCIATION_DOCS}))
    assert client.get(step_url(token, 5)).status_code == 200  # the review
    steps.append(post_step(client, token, 6, {"accept": "y"}))
    assert [r.status_code for r in steps] == [302] * len(steps)
    assert application(token).status is ApplicationStatus.SUBMITTED


def test_step_saves_are_limited_per_draft_and_per_address(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_APPLICATION_STEP="5 per minute",
        RATELIMIT_APPLICATION_STEP_PER_DRAFT="3 per minute",
    )
    client = app.test_client()
    first, second, third = (start(client, email=f"{name}@exemple.fr") for name in ("un", "deux", "trois"))
    assert [post_step(client, first, 1, STRUCTURE).status_code for _ in range(4)] == [302, 302, 302, 429]
    # Another draft from the same address: what is left of the address' limit.
    assert [post_step(client, second, 1, STRUCTURE).status_code for _ in range(3)] == [302, 302, 429]
    # From elsewhere: the first draft is still limited, another one is not.
    elsewhere = {"REMOTE_ADDR": "192.0.2.77"}
    assert client.post(step_url(first, 1), data=STRUCTURE, environ_base=elsewhere).status_code == 429
    assert client.post(step_url(third, 1), data=STRUCTURE, environ_base=elsewhere).status_code == 302
    assert client.get(step_url(first, 1)).status_code == 200  # reading is never limited


def test_uploads_are_limited_apart_from_step_saves(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_APPLICATION_UPLOAD_PER_DRAFT="2 per minute"
    )
    client = app.test_client()
    token = to_documents(client)
    statuses = [
        upload(client, token, 4, {"statuts": (f"s{i}.pdf", PDF)}, action="televerser").status_code for i in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(application(token).documents) == 2
    assert post_step(client, token, 4, {}, action="precedent").status_code == 302  # no file: not an upload


# --- stored files follow the transaction --------------------------------------------------------------------


def _stored(app, name: str) -> StoredFile:
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(PDF)
    return StoredFile(name, name, "application/pdf", len(PDF), "0" * 64)


def _document(application_row, stored: StoredFile) -> ApplicationDocument:
    return ApplicationDocument(
        application=application_row,
        kind="statuts",
        original_filename=stored.original_filename,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
    )


def test_a_file_stored_by_a_transaction_that_does_not_commit_is_deleted(app, db):
    from tests.factories import make_application

    row = make_application("33")
    db.session.commit()
    row_id = row.id
    folder = Path(app.config["UPLOAD_FOLDER"])

    rolled_back = _stored(app, "a" * 32 + ".pdf")
    stored_files.delete_unless_committed(rolled_back.stored_name)
    db.session.add(_document(db.session.get(Application, row_id), rolled_back))
    db.session.flush()
    db.session.rollback()
    assert not (folder / rolled_back.stored_name).exists()

    never_committed = _stored(app, "b" * 32 + ".pdf")
    stored_files.delete_unless_committed(never_committed.stored_name)
    db.session.close()  # the end of a request that failed before its commit
    assert not (folder / never_committed.stored_name).exists()

    committed = _stored(app, "c" * 32 + ".pdf")
    stored_files.delete_unless_committed(committed.stored_name)
    db.session.add(_document(db.session.get(Application, row_id), committed))
    db.session.commit()
    db.session.rollback()  # a later transaction changes nothing for it
    assert (folder / committed.stored_name).exists()


def test_a_file_whose_row_is_deleted_goes_only_with_the_commit(app, db):
    from tests.factories import make_application

    row = make_application("33")
    stored = _stored(app, "d" * 32 + ".pdf")
    document = _document(row, stored)
    db.session.add(document)
    db.session.commit()
    path = Path(app.config["UPLOAD_FOLDER"]) / stored.stored_name

    db.session.delete(db.session.get(ApplicationDocument, document.id))
    stored_files.delete_once_committed(stored.stored_name)
    db.session.rollback()
    assert path.exists() and db.session.get(ApplicationDocument, document.id) is not None

    db.session.delete(db.session.get(ApplicationDocument, document.id))
    stored_files.delete_once_committed(stored.stored_name)
    db.session.commit()
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count(ApplicationDocument.id))) == 0
