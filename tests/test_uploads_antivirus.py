"""Antivirus and PDF active content on every upload, with a real clamd (tests/servers/clamd.py: its own
socket, a signature database holding only a marker made by the test) and real PDFs made with pikepdf.

Every entry point is attacked: the wizard's documents, the applicant's reply (attachments and requested
complements) and the référents' attachments. A file carrying the signature is refused with a French
message and never stored; clamd down gives a clear state (kept unreadable, then scanned by the worker,
or refused when ANTIVIRUS_REQUIRED); nothing unscanned is served while the antivirus is on.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
import sqlalchemy as sa

from app.antivirus import ScanStatus
from app.applications.jobs import scan_unscanned_documents
from app.applications.models import ApplicationDocument, ApplicationStatus
from app.storage import get_storage
from tests.factories import make_application, make_referent
from tests.servers.clamd import MARKER, SIGNATURE
from tests.test_application_wizard import field_errors, start, step_url


def make_pdf(*, subject: str = "Statuts de l'association", active: bool = False, encrypt: bool = False) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = "Statuts"
    pdf.docinfo["/Subject"] = subject
    if active:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('ouvert');"))
        names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(
                Names=pikepdf.Array(
                    [pikepdf.String("x"), pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1"))]
                )
            )
        )
        pdf.Root.Names = pdf.make_indirect(names)
        page = pdf.pages[0]
        page.obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("2")))
        launch = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe")))
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=launch, Border=[0, 0, 0]
        )
        uri = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 100, 100, 200],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://www.justice.gouv.fr/")),
        )
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([link, uri]))
    buffer = io.BytesIO()
    if encrypt:
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="proprietaire", user="secret"))
    else:
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return buffer.getvalue()


INFECTED = make_pdf(subject=MARKER.decode())
CLEAN = make_pdf()


@pytest.fixture
def scanning(app, clamd_server):
    app.config.update(clamd_server.app_config())
    return app


@pytest.fixture
def clamd_down(app, tmp_path):
    app.config.update(ANTIVIRUS_ENABLED=True, CLAMD_SOCKET=str(tmp_path / "aucun-clamd.sock"), CLAMD_TIMEOUT_SECONDS=2)
    return app


def documents(db) -> list[ApplicationDocument]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ApplicationDocument).order_by(ApplicationDocument.id)))


def stored_keys() -> list[str]:
    return [item.key for item in get_storage().objects()]


def wizard_upload(client, content: bytes, name: str = "statuts.pdf"):
    """Steps 1–3 of an association, then the file on the documents step; returns (response, token)."""
    from tests.test_application_wizard import CONTACT, POST, STRUCTURE, post_step

    token = start(client)
    for number, data in ((1, STRUCTURE), (2, CONTACT), (3, POST)):
        assert post_step(client, token, number, data).status_code == 302
    data = {"doc_statuts": (io.BytesIO(content), name), "action": "televerser"}
    return client.post(step_url(token, 4), data=data, content_type="multipart/form-data"), token


def reply_upload(client, db, content: bytes, name: str = "piece.pdf"):
    application = make_application()
    db.session.commit()
    data = {"body": "Voici la pièce.", "attachments": (io.BytesIO(content), name)}
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    return response, application


def complement_upload(client, db, content: bytes, name: str = "kbis.pdf"):
    from app.applications.models import ApplicationMessage, MessageAuthor

    application = make_application(status=ApplicationStatus.WAITING_APPLICANT)
    db.session.add(
        ApplicationMessage(
            application=application, author=MessageAuthor.REFERENT, body="Merci", requested_items=["Extrait Kbis"]
        )
    )
    db.session.commit()
    data = {"body": "", "piece_0": (io.BytesIO(content), name)}
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    return response, application


def referent_upload(client, auth, db, content: bytes, name: str = "courrier.pdf"):
    application = make_application(departement_code="33")
    auth.login_as(make_referent(departements=("33",)))
    data = {"body": "Voici notre courrier.", "attachments": (io.BytesIO(content), name)}
    response = client.post(
        f"/espace-referent/candidatures/{application.id}/messages", data=data, content_type="multipart/form-data"
    )
    return response, application


ENTRY_POINTS = ["assistant", "reponse", "complement", "referent"]


def upload_at(entry, client, auth, db, content, name="document.pdf"):
    if entry == "assistant":
        return wizard_upload(client, content, name)[0]
    if entry == "reponse":
        return reply_upload(client, db, content, name)[0]
    if entry == "complement":
        return complement_upload(client, db, content, name)[0]
    return referent_upload(client, auth, db, content, name)[0]


def page_text(response, client) -> str:
    if response.status_code in (302, 303):
        response = client.get(response.headers["Location"])
    import html

    return html.unescape(response.get_data(as_text=True))


# --- the antivirus at every entry point -------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_infected_file_is_refused_everywhere_and_never_stored(scanning, client, auth, db, entry):
    response = upload_at(entry, client, auth, db, INFECTED, "statuts-infectes.pdf")
    assert response.status_code < 500
    text = page_text(response, client)
    assert "a été refusé par l'antivirus" in text and SIGNATURE in text, text[:3000]
    assert documents(db) == []
    assert stored_keys() == []


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_clean_file_is_stored_as_scanned(scanning, client, auth, db, entry):
    response = upload_at(entry, client, auth, db, CLEAN, "propre.pdf")
    assert response.status_code in (200, 302), page_text(response, client)[:2000]
    [document] = documents(db)
    assert document.scan_status is ScanStatus.CLEAN and document.scanned_at is not None
    assert stored_keys() == [document.stored_name] and "propre" not in document.stored_name


def test_the_referent_downloads_a_clean_file_only(scanning, client, auth, db):
    response, application = reply_upload(client, db, CLEAN)
    assert response.status_code == 302
    [document] = documents(db)
    auth.login_as(make_referent(departements=("33",)))
    url = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    download = client.get(url)
    assert download.status_code == 200 and download.data == CLEAN
    assert download.headers["Cache-Control"] == "no-store"
    for status in (ScanStatus.PENDING, ScanStatus.ERROR, ScanStatus.INFECTED):
        db.session.execute(sa.update(ApplicationDocument).values(scan_status=status))
        db.session.commit()
        assert client.get(url).status_code == 404, status
        page = page_text(client.get(f"/espace-referent/candidatures/{application.id}"), client)
        assert status.label in page and url not in page


# --- clamd down ----------------------------------------------------------------------------------------


def test_clamd_down_keeps_the_file_unreadable_then_the_worker_scans_it(clamd_down, client, auth, db, clamd_server):
    response, application = reply_upload(client, db, CLEAN)
    assert response.status_code == 302  # the applicant's message goes through
    [document] = documents(db)
    assert document.scan_status is ScanStatus.ERROR and "injoignable" in document.scan_detail
    auth.login_as(make_referent(departements=("33",)))
    url = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    assert client.get(url).status_code == 404
    detail = page_text(client.get(f"/espace-referent/candidatures/{application.id}"), client)
    assert "analyse antivirus impossible pour l'instant (nouvel essai automatique)" in detail

    assert scan_unscanned_documents() == 0  # still down: still an error, nothing served
    assert documents(db)[0].scan_status is ScanStatus.ERROR
    clamd_down.config.update(clamd_server.app_config())  # clamd is back
    assert scan_unscanned_documents() == 1
    assert documents(db)[0].scan_status is ScanStatus.CLEAN
    assert client.get(url).data == CLEAN


def test_clamd_down_with_the_antivirus_required_refuses_the_upload(clamd_down, client, db):
    clamd_down.config["ANTIVIRUS_REQUIRED"] = True
    response, _token = wizard_upload(client, CLEAN)
    assert response.status_code == 200
    assert any("momentanément indisponible" in error for error in field_errors(response))
    assert documents(db) == [] and stored_keys() == []


def test_a_file_found_infected_later_is_deleted_and_never_served(app, client, auth, db, clamd_server):
    app.config["ANTIVIRUS_ENABLED"] = False  # uploaded while the antivirus was off
    response, application = reply_upload(client, db, INFECTED)
    assert response.status_code == 302
    [document] = documents(db)
    assert document.scan_status is ScanStatus.NOT_SCANNED
    app.config.update(clamd_server.app_config())  # turned on: what was not scanned is scanned
    auth.login_as(make_referent(departements=("33",)))
    url = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    assert client.get(url).status_code == 404  # on, and not scanned yet: not served
    assert scan_unscanned_documents() == 1
    [document] = documents(db)
    assert document.scan_status is ScanStatus.INFECTED and SIGNATURE in document.scan_detail
    assert stored_keys() == []
    assert client.get(url).status_code == 404
    assert client.get(f"/suivi/{application.access_token}/documents/{document.id}").status_code == 404
    assert "refusé par l'antivirus" in page_text(client.get(f"/espace-referent/candidatures/{application.id}"), client)


def test_the_back_office_says_when_the_antivirus_is_off(app, client, auth, db, clamd_server):
    auth.login_as(make_referent())
    assert "Analyse antivirus désactivée" in page_text(client.get("/espace-referent/"), client)
    app.config.update(clamd_server.app_config())
    assert "Analyse antivirus désactivée" not in page_text(client.get("/espace-referent/"), client)


# --- PDF active content --------------------------------------------------------------------------------


def test_active_content_is_removed_before_storing(scanning, client, db):
    active = make_pdf(active=True)
    response, _token = wizard_upload(client, active)
    assert response.status_code == 302, field_errors(response)
    [document] = documents(db)
    assert document.scan_status is ScanStatus.CLEAN
    assert "contenu actif retiré du PDF" in document.scan_detail
    stored = io.BytesIO()
    get_storage().read_to(document.stored_name, stored)
    assert stored.getvalue() != active and document.size_bytes == len(stored.getvalue())
    with pikepdf.open(io.BytesIO(active)) as pdf:  # what was sent had it all
        raw = b"".join(obj.unparse(resolved=True) for obj in pdf.objects)
        assert all(name in raw for name in (b"/JavaScript", b"/OpenAction", b"/Launch", b"/AA"))
    with pikepdf.open(io.BytesIO(stored.getvalue())) as pdf:
        raw = b"".join(obj.unparse(resolved=True) for obj in pdf.objects)
        assert b"/JavaScript" not in raw and b"/OpenAction" not in raw and b"/Launch" not in raw
        assert b"/AA" not in raw
        assert b"https://www.justice.gouv.fr/" in raw  # an ordinary link stays
        assert len(pdf.pages) == 1


def test_an_ordinary_pdf_is_stored_as_sent(scanning, client, db):
    """Most PDFs say which page to show first (an /OpenAction destination): nothing active, kept as sent."""
    pdf = pikepdf.open(io.BytesIO(CLEAN))
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    buffer = io.BytesIO()
    pdf.save(buffer)
    response, _token = wizard_upload(client, buffer.getvalue())
    assert response.status_code == 302, field_errors(response)
    [document] = documents(db)
    stored = io.BytesIO()
    get_storage().read_to(document.stored_name, stored)
    assert stored.getvalue() == buffer.getvalue() and document.scan_detail == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (make_pdf(encrypt=True), "est protégé par un mot de passe"),
        (b"%PDF-1.7\n" + b"\x00\xff" * 2000, "est endommagé ou illisible"),
    ],
)
def test_unreadable_pdfs_are_refused(scanning, client, db, content, message):
    response, _token = wizard_upload(client, content)
    assert response.status_code == 200
    assert any(message in error for error in field_errors(response)), field_errors(response)
    assert documents(db) == [] and stored_keys() == []
