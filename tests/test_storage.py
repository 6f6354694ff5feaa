"""The storage of uploaded files: the same contract for the local folder and for a real S3-compatible
server (``rclone serve s3`` on loopback, tests/servers/s3.py), the transaction it follows, the site
running on the bucket (upload, download behind the authorization checks, purge), and the commands that
move, clean and back it up.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.applications.models import ApplicationStatus
from app.storage import (
    LocalStorage,
    S3Storage,
    StorageError,
    get_storage,
    storage_from_config,
)
from tests.factories import make_application, make_referent
from tests.test_uploads_antivirus import CLEAN, documents, reply_upload, wizard_upload


@pytest.fixture
def s3_app(app, s3_server):
    """The test's app on the bucket, under a prefix of its own (tests do not see each other's objects)."""
    app.config.update(s3_server.app_config(), S3_PREFIX=f"test-{uuid.uuid4().hex[:12]}/")
    app.extensions["storage"] = storage_from_config(app.config)
    return app


@pytest.fixture(params=["local", "s3"])
def storage(request, app, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "fichiers")
    server = request.getfixturevalue("s3_server")
    return storage_from_config(server.app_config() | {"S3_PREFIX": f"contrat-{uuid.uuid4().hex[:8]}/"})


class CountingReader(io.RawIOBase):
    """A stream of ``size`` pseudo-random bytes that remembers the largest read asked of it."""

    def __init__(self, size: int):
        self.remaining = size
        self.largest = 0
        self.digest = hashlib.sha256()
        self.counter = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.remaining)
        self.largest = max(self.largest, size)
        chunk = bytearray()
        while len(chunk) < size:
            self.counter += 1
            chunk += hashlib.sha256(str(self.counter).encode()).digest()
        chunk = bytes(chunk[:size])
        buffer[:size] = chunk
        self.digest.update(chunk)
        self.remaining -= size
        return size


# --- the contract of both backends --------------------------------------------------------------------


def test_put_open_size_delete_list(storage):
    storage.check()
    assert storage.size("absent.pdf") is None and not storage.exists("absent.pdf")
    storage.put("a1b2.pdf", io.BytesIO(b"%PDF-1.7 contenu"), 16, "application/pdf")
    assert storage.size("a1b2.pdf") == 16
    with storage.open("a1b2.pdf") as stream:
        assert stream.read() == b"%PDF-1.7 contenu"
    assert [item.key for item in storage.objects()] == ["a1b2.pdf"]
    storage.delete("a1b2.pdf")
    storage.delete("a1b2.pdf")  # already gone: no error
    assert storage.size("a1b2.pdf") is None and list(storage.objects()) == []
    with pytest.raises(FileNotFoundError):
        storage.open("a1b2.pdf")
    for bad in ("../etc/passwd", "a/b.pdf", ".cache", ""):
        with pytest.raises(ValueError):
            storage.put(bad, io.BytesIO(b"x"), 1, "application/pdf")


def test_large_files_are_streamed_both_ways(storage):
    size = 20 * 1024 * 1024 + 123  # above the multipart threshold
    source = CountingReader(size)
    storage.put("gros.pdf", io.BufferedReader(source, 64 * 1024), size, "application/pdf")
    assert source.largest <= 8 * 1024 * 1024  # never the whole file at once
    assert storage.size("gros.pdf") == size
    digest = hashlib.sha256()
    largest = 0
    with storage.open("gros.pdf") as stream:
        while chunk := stream.read(64 * 1024):
            largest = max(largest, len(chunk))
            digest.update(chunk)
    assert digest.hexdigest() == source.digest.hexdigest() and largest <= 64 * 1024
    storage.delete("gros.pdf")


def test_objects_follow_the_transaction_on_the_bucket(s3_app, db):
    """app/applications/stored_files.py, with the bucket as storage: an object stored by a transaction that
    does not commit is deleted; an object whose row is deleted goes once, and only if, that commits."""
    from app.applications import stored_files

    bucket = get_storage()
    bucket.put("annule.pdf", io.BytesIO(b"x"), 1, "application/pdf")
    stored_files.delete_unless_committed("annule.pdf")
    db.session.rollback()
    assert not bucket.exists("annule.pdf")

    bucket.put("garde.pdf", io.BytesIO(b"x"), 1, "application/pdf")
    stored_files.delete_unless_committed("garde.pdf")
    db.session.commit()
    db.session.rollback()  # a later rollback does not touch what was committed
    assert bucket.exists("garde.pdf")

    stored_files.delete_once_committed("garde.pdf")
    db.session.rollback()
    assert bucket.exists("garde.pdf")  # the deletion of its row was rolled back
    stored_files.delete_once_committed("garde.pdf")
    db.session.commit()
    assert not bucket.exists("garde.pdf")


# --- the site on the bucket -------------------------------------------------------------------------


def test_uploads_land_in_the_bucket_and_are_served_behind_the_checks(s3_app, client, auth, db):
    response, application = reply_upload(client, db, CLEAN, name="statuts signés.pdf")
    assert response.status_code == 302
    [document] = documents(db)
    storage = get_storage()
    assert isinstance(storage, S3Storage)
    assert [item.key for item in storage.objects()] == [document.stored_name]
    assert "statuts" not in document.stored_name and len(document.stored_name) >= 32  # a random key
    assert not os.path.exists(s3_app.config["UPLOAD_FOLDER"]) or not os.listdir(s3_app.config["UPLOAD_FOLDER"])

    own = client.get(f"/suivi/{application.access_token}/documents/{document.id}")
    assert own.status_code == 200 and own.data == CLEAN
    assert "statuts" in own.headers["Content-Disposition"]
    url = f"/espace-referent/candidatures/{application.id}/documents/{document.id}"
    auth.login_as(make_referent(departements=("59",)))  # another département
    assert client.get(url).status_code == 404
    auth.login_as(make_referent(departements=("33",)))
    served = client.get(url)
    assert served.status_code == 200 and served.data == CLEAN
    assert served.headers["Content-Length"] == str(len(CLEAN))


def test_a_refused_reply_leaves_no_object_behind(s3_app, client, db):
    application = make_application()
    db.session.commit()
    data = {
        "body": "Deux pièces.",
        "attachments": [(io.BytesIO(CLEAN), "bonne.pdf"), (io.BytesIO(b"MZ\x90\x00 pas un pdf"), "mauvaise.pdf")],
    }
    response = client.post(f"/suivi/{application.access_token}/message", data=data, content_type="multipart/form-data")
    assert response.status_code == 200  # re-rendered with the error next to the field
    assert documents(db) == []
    assert list(get_storage().objects()) == []  # the good file, written first, went with the rollback


def test_removing_a_document_and_purging_drafts_delete_the_objects(s3_app, client, db):
    from app.applications.jobs import purge_expired_drafts
    from tests.test_application_wizard import step_url

    response, token = wizard_upload(client, CLEAN)
    assert response.status_code == 302
    [document] = documents(db)
    removed = client.post(step_url(token, 4), data={"action": f"supprimer_document-{document.id}"})
    assert removed.status_code == 302
    assert list(get_storage().objects()) == []

    response = client.post(
        step_url(token, 4),
        data={"doc_statuts": (io.BytesIO(CLEAN), "statuts.pdf"), "action": "televerser"},
        content_type="multipart/form-data",
    )
    assert len(list(get_storage().objects())) == 1
    from app.applications.models import Application
    from app.formatting import utcnow

    db.session.execute(
        sa.update(Application)
        .where(Application.status == ApplicationStatus.DRAFT)
        .values(draft_expires_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    assert purge_expired_drafts() == 1
    assert list(get_storage().objects()) == []


def test_storage_unreachable_is_a_french_error_and_nothing_half_written(app, client, db, tmp_path):
    app.config.update(
        STORAGE_BACKEND="s3",
        S3_ENDPOINT_URL="http://127.0.0.1:9",  # nothing listens there
        S3_BUCKET="absent",
        S3_ACCESS_KEY_ID="x",
        S3_SECRET_ACCESS_KEY="y",
        S3_PATH_STYLE=True,
        S3_TIMEOUT_SECONDS=2,
    )
    app.extensions["storage"] = storage_from_config(app.config)
    response, _application = reply_upload(client, db, CLEAN)
    assert response.status_code == 200
    assert "Le dépôt des fichiers est momentanément indisponible" in response.get_data(as_text=True).replace(
        "&#39;", "'"
    )
    assert documents(db) == []
    with pytest.raises(StorageError):
        get_storage().check()


# --- commands --------------------------------------------------------------------------------------


def test_migrate_local_to_s3_is_idempotent_and_resumable(s3_app, runner, tmp_path):
    folder = tmp_path / "anciens"
    folder.mkdir()
    files = {f"{i:032x}.pdf": f"%PDF-1.7 document {i}".encode() * (i + 1) for i in range(6)}
    for key, content in files.items():
        (folder / key).write_bytes(content)
    bucket = get_storage()
    first_key = sorted(files)[0]
    bucket.put(first_key, io.BytesIO(files[first_key]), len(files[first_key]), "application/pdf")  # an earlier run

    result = runner.invoke(args=["storage", "migrate-local-to-s3", "--source", str(folder)])
    assert result.exit_code == 0, result.output
    assert "5 fichier(s) copié(s)" in result.output and "1 déjà présent(s)" in result.output
    for key, content in files.items():
        with bucket.open(key) as stream:
            assert stream.read() == content
    again = runner.invoke(args=["storage", "migrate-local-to-s3", "--source", str(folder)])
    assert "0 fichier(s) copié(s)" in again.output and "6 déjà présent(s)" in again.output
    assert sorted(files) == [item.key for item in bucket.objects()]


def test_migrate_needs_the_bucket_configured(runner, tmp_path):
    result = runner.invoke(args=["storage", "migrate-local-to-s3", "--source", str(tmp_path)])
    assert result.exit_code != 0 and "STORAGE_BACKEND=s3" in result.output


def test_orphans_are_listed_then_deleted(s3_app, runner, client, db):
    response, _application = reply_upload(client, db, CLEAN)
    assert response.status_code == 302
    bucket = get_storage()
    bucket.put("0" * 32 + ".pdf", io.BytesIO(b"orphelin"), 8, "application/pdf")
    time.sleep(1.1)
    listed = runner.invoke(args=["storage", "orphans", "--older-than-hours", "0"])
    assert listed.exit_code == 0 and "orphelin : " + "0" * 32 + ".pdf" in listed.output
    assert len(list(bucket.objects())) == 2
    deleted = runner.invoke(args=["storage", "orphans", "--delete", "--older-than-hours", "0"])
    assert "1 objet(s) orphelin(s) supprimé(s)" in deleted.output
    assert [item.key for item in bucket.objects()] == [documents(db)[0].stored_name]  # the referenced one stays


def test_backup_and_restore_cover_the_bucket(s3_app, runner, client, db, tmp_path):
    import tarfile

    response, _application = reply_upload(client, db, CLEAN)
    assert response.status_code == 302
    [document] = documents(db)
    result = runner.invoke(args=["backup", "--dest", str(tmp_path / "sauvegardes")])
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "sauvegardes").iterdir()
    with tarfile.open(folder / "uploads.tar.gz") as archive:
        assert archive.getnames() == [f"uploads/{document.stored_name}"]
    get_storage().delete(document.stored_name)
    db.session.remove()
    restored = runner.invoke(args=["restore", str(folder), "--yes"])
    assert restored.exit_code == 0, restored.output
    with get_storage().open(document.stored_name) as stream:
        assert stream.read() == CLEAN
