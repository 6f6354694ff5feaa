"""``flask backup`` / ``flask restore``: the database and the uploaded files come back together."""

from __future__ import annotations

import json
import tarfile
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa

from app.mail.models import OutboxMessage


def add_message(db, to: str) -> None:
    db.session.add(
        OutboxMessage(to_address=to, subject="Sauvegarde", kind="auth_security_notice", context={}, attachments=[])
    )
    db.session.commit()


def addresses(db) -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(OutboxMessage.to_address)))


def test_backup_then_restore_brings_back_database_and_uploads(app, db, runner, tmp_path):
    uploads = Path(app.config["UPLOAD_FOLDER"])
    (uploads / "candidatures" / "12").mkdir(parents=True)
    (uploads / "candidatures" / "12" / "statuts.pdf").write_bytes(b"%PDF-1.7 statuts")
    add_message(db, "avant@example.org")

    result = runner.invoke(args=["backup", "--dest", str(tmp_path / "sauvegardes")])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde créée" in result.output
    [folder] = list((tmp_path / "sauvegardes").iterdir())
    assert folder.name.startswith("tig-")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"] == db.engine.url.get_backend_name()
    assert set(manifest["files"]) == {
        "uploads.tar.gz",
        "database.sqlite3" if manifest["database"] == "sqlite" else "database.dump",
    }
    with tarfile.open(folder / "uploads.tar.gz") as archive:
        assert "uploads/candidatures/12/statuts.pdf" in archive.getnames()

    # Life goes on: a row added, a file lost, another added.
    add_message(db, "apres@example.org")
    (uploads / "candidatures" / "12" / "statuts.pdf").unlink()
    (uploads / "nouveau.pdf").write_bytes(b"%PDF nouveau")

    refused = runner.invoke(args=["restore", str(folder)], input="n\n")
    assert refused.exit_code != 0
    assert addresses(db) == ["apres@example.org", "avant@example.org"]

    result = runner.invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde restaurée" in result.output
    assert addresses(db) == ["avant@example.org"]
    assert (uploads / "candidatures" / "12" / "statuts.pdf").read_bytes() == b"%PDF-1.7 statuts"
    assert not (uploads / "nouveau.pdf").exists()
    # The replaced uploads folder is kept aside, never deleted.
    [kept] = [p for p in uploads.parent.iterdir() if p.name.startswith("uploads.avant-restauration-")]
    assert (kept / "nouveau.pdf").exists()


def test_restore_refuses_an_altered_backup(app, db, runner, tmp_path):
    add_message(db, "avant@example.org")
    assert runner.invoke(args=["backup", "--dest", str(tmp_path)]).exit_code == 0
    [folder] = [p for p in tmp_path.iterdir() if p.name.startswith("tig-")]
    database_file = next(p for p in folder.iterdir() if p.name.startswith("database."))
    database_file.write_bytes(database_file.read_bytes()[:-10] + b"0123456789")
    add_message(db, "apres@example.org")
    result = runner.invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code != 0
    assert "altéré" in result.output
    assert addresses(db) == ["apres@example.org", "avant@example.org"]


def test_restore_refuses_a_folder_that_is_not_a_backup(runner, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path), "--yes"])
    assert result.exit_code != 0
    assert "n'est pas une sauvegarde" in result.output


def test_uploads_archive_with_path_traversal_is_not_extracted_outside(app, db, runner, tmp_path):
    assert runner.invoke(args=["backup", "--dest", str(tmp_path)]).exit_code == 0
    [folder] = [p for p in tmp_path.iterdir() if p.name.startswith("tig-")]
    evil = tmp_path / "evil.txt"
    evil.write_text("pirate")
    with tarfile.open(folder / "uploads.tar.gz", "w:gz") as archive:
        archive.add(evil, arcname="../../pirate.txt")
    manifest = json.loads((folder / "manifest.json").read_text())
    from app.backup import _sha256

    manifest["files"]["uploads.tar.gz"]["sha256"] = _sha256(folder / "uploads.tar.gz")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    add_message(db, "apres@example.org")
    result = runner.invoke(args=["restore", str(folder), "--yes"])
    assert result.exit_code != 0
    assert "Archive des fichiers déposés refusée" in result.output
    assert addresses(db) == ["apres@example.org"]  # the database was left alone
    assert not (Path(app.config["UPLOAD_FOLDER"]).parent.parent / "pirate.txt").exists()


def test_backup_keeps_only_the_most_recent_ones(app, db, runner, tmp_path):
    from datetime import datetime

    from app.backup import create_backup

    root = tmp_path / "sauvegardes"
    for day in (1, 2, 3):
        create_backup(root, now=datetime(2026, 11, day, 2, 0, tzinfo=UTC))
    (root / "tig-notes-a-garder").mkdir()  # not a backup: never touched
    result = runner.invoke(args=["backup", "--dest", str(root), "--keep", "2"])
    assert result.exit_code == 0, result.output
    assert "Ancienne sauvegarde supprimée : tig-20261101-020000" in result.output
    assert "tig-20261102-020000" in result.output
    names = sorted(p.name for p in root.iterdir())
    assert names[0] == "tig-20261103-020000" and len(names) == 3 and "tig-notes-a-garder" in names


def test_keep_zero_keeps_everything(app, db, runner, tmp_path):
    from datetime import datetime

    from app.backup import create_backup

    root = tmp_path / "sauvegardes"
    create_backup(root, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert runner.invoke(args=["backup", "--dest", str(root), "--keep", "0"]).exit_code == 0
    assert len(list(root.iterdir())) == 2
