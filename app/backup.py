"""``flask backup`` and ``flask restore``: the database and the uploaded files, together.

A backup is one folder ``<BACKUP_FOLDER>/tig-<AAAAMMJJ-HHMMSS>/`` holding:

- ``database.sqlite3`` (SQLite: the online backup API, consistent while the site runs), or
  ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``, which must be on PATH; otherwise the
  command prints the equivalent ``pg_dump`` line to run by hand and fails);
- ``uploads.tar.gz``: the stored files (documents of applications and messages): the folder
  ``UPLOAD_FOLDER`` with the local storage, every object of the bucket with the S3 storage (read
  through ``app/storage.py``, streamed);
- ``manifest.json``: date, database kind, Alembic revision, sizes and SHA-256 of both files.

``flask restore <folder>`` checks the manifest checksums, then replaces the database content
(SQLite: backup API in the other direction; PostgreSQL: ``pg_restore --clean --if-exists``) and the
stored files: the local folder is replaced (the current one kept aside as
``<UPLOAD_FOLDER>.avant-restauration-<date>``); in a bucket, every object of the archive is written back
(objects the archive does not hold are left: ``flask storage orphans`` lists those no document uses).
Stop the site and the worker before restoring. ``flask backup --keep N`` (or ``BACKUP_KEEP``) then
deletes all but the N most recent backups of the folder: run it daily from cron or a systemd timer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.storage import LocalStorage, Storage, StorageError, get_storage
from app.storage_cli import copy_objects


class BackupError(RuntimeError):
    pass


@dataclass
class BackupResult:
    folder: Path
    database_file: Path
    uploads_file: Path


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def backup_root() -> Path:
    configured = current_app.config.get("BACKUP_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_copy(source_path, target_path) -> None:
    """Copy a SQLite database with its online backup API (consistent even while it is in use)."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def libpq_url(url: sa.engine.URL) -> str:
    """The SQLAlchemy URL as pg_dump/pg_restore understand it (no driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_dump_command(url: sa.engine.URL, target: Path) -> list[str]:
    return [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
        f"--dbname={libpq_url(url)}",
    ]


def _alembic_revision() -> str | None:
    try:
        with db.engine.connect() as connection:
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def create_backup(destination: Path | None = None, now: datetime | None = None) -> BackupResult:
    now = now or datetime.now(UTC)
    folder = (destination or backup_root()) / f"tig-{now:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=False)
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        database_file = folder / "database.sqlite3"
        db.session.remove()
        _sqlite_copy(url.database, database_file)
    elif url.get_backend_name() == "postgresql":
        database_file = folder / "database.dump"
        command = pg_dump_command(url, database_file)
        if not shutil.which("pg_dump"):
            shutil.rmtree(folder)
            shown = " ".join(pg_dump_command(url.set(password="***") if url.password else url, database_file))
            raise BackupError(f"pg_dump est introuvable sur ce serveur. Commande à lancer à la main :\n  {shown}")
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(folder)
            raise BackupError(f"pg_dump a échoué : {result.stderr.strip()}")
    else:
        raise BackupError(f"Base de données non prise en charge : {url.get_backend_name()}")

    uploads_file = folder / "uploads.tar.gz"
    storage = get_storage()
    with tarfile.open(uploads_file, "w:gz") as archive:
        if isinstance(storage, LocalStorage):
            if storage.folder.is_dir():
                archive.add(storage.folder, arcname="uploads")
        else:
            _archive_objects(storage, archive)
    manifest = {
        "created_at": now.isoformat(),
        "database": url.get_backend_name(),
        "alembic_revision": _alembic_revision(),
        "files": {
            path.name: {"bytes": path.stat().st_size, "sha256": _sha256(path)} for path in (database_file, uploads_file)
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return BackupResult(folder, database_file, uploads_file)


def _archive_objects(storage: Storage, archive: tarfile.TarFile) -> None:
    """Every object of ``storage`` into ``archive`` under ``uploads/<key>``, streamed one by one."""
    for item in storage.objects():
        info = tarfile.TarInfo(f"uploads/{item.key}")
        info.size = item.size
        info.mtime = int(item.modified_at.timestamp())
        info.mode = 0o640
        with contextlib.closing(storage.open(item.key)) as stream:
            archive.addfile(info, stream)


def prune_backups(root: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` most recent backups of ``root`` (names sort by date); returns them."""
    if keep < 1:
        return []
    backups = sorted(p for p in root.glob("tig-*") if p.is_dir() and (p / "manifest.json").is_file())
    removed = backups[:-keep]
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def restore_backup(folder: Path, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{folder} n'est pas une sauvegarde (manifest.json absent).")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file() or _sha256(path) != expected["sha256"]:
            raise BackupError(f"Le fichier {name} de la sauvegarde est absent ou altéré : restauration annulée.")
    url = db.engine.url
    if manifest["database"] != url.get_backend_name():
        raise BackupError(
            f"Sauvegarde {manifest['database']} et base {url.get_backend_name()} : restauration impossible."
        )

    if url.get_backend_name() == "postgresql" and not shutil.which("pg_restore"):
        raise BackupError("pg_restore est introuvable sur ce serveur : installez le client PostgreSQL.")

    # Uploads first, into a staging folder: a bad archive stops everything before the database changes.
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    staging = uploads.parent / f".restauration-{now:%Y%m%d-%H%M%S}"
    try:
        with tarfile.open(folder / "uploads.tar.gz", "r:gz") as archive:
            archive.extractall(staging, filter="data")  # refuses absolute paths, "..", devices, links out
    except (tarfile.TarError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"Archive des fichiers déposés refusée ({error}) : restauration annulée.") from error

    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(folder / "database.sqlite3", url.database)
    else:
        command = [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(folder / "database.dump"),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise BackupError(f"pg_restore a échoué : {result.stderr.strip()}")

    restored = staging / "uploads"
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        try:
            copy_objects(LocalStorage(restored), storage)
        except StorageError as error:
            raise BackupError(
                f"Base restaurée, mais fichiers non copiés dans le compartiment ({error.detail}) : relancez "
                f"« flask storage migrate-local-to-s3 --source {restored} », qui reprend là où la copie s'est arrêtée."
            ) from error
        shutil.rmtree(staging, ignore_errors=True)
        return
    if uploads.exists():
        uploads.rename(uploads.parent / f"{uploads.name}.avant-restauration-{now:%Y%m%d-%H%M%S}")
    if restored.is_dir():
        restored.rename(uploads)
    else:
        uploads.mkdir(parents=True)
    shutil.rmtree(staging, ignore_errors=True)


@click.command("backup")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier où créer la sauvegarde (défaut : BACKUP_FOLDER ou instance/backups).",
)
@click.option(
    "--keep",
    type=int,
    default=None,
    help="Ne garder que les N sauvegardes les plus récentes du dossier (défaut : BACKUP_KEEP, 0 = toutes).",
)
@with_appcontext
def backup_command(dest: Path | None, keep: int | None) -> None:
    """Sauvegarde la base de données et les fichiers déposés."""
    try:
        result = create_backup(dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    keep = current_app.config.get("BACKUP_KEEP", 0) if keep is None else keep
    for folder in prune_backups(result.folder.parent, keep):
        click.echo(f"Ancienne sauvegarde supprimée : {folder.name}")
    click.echo(f"Sauvegarde créée : {result.folder}")
    click.echo(f"  base : {result.database_file.name} ({result.database_file.stat().st_size} octets)")
    click.echo(f"  fichiers déposés : {result.uploads_file.name} ({result.uploads_file.stat().st_size} octets)")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def restore_command(folder: Path, yes: bool) -> None:
    """Remplace la base et les fichiers déposés par une sauvegarde (arrêtez le site et le worker avant)."""
    if not yes:
        click.confirm("La base de données et les fichiers déposés actuels vont être remplacés. Continuer ?", abort=True)
    try:
        restore_backup(folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Sauvegarde restaurée depuis {folder}.")
