"""``flask storage …``: check the storage, move local files into the bucket, find orphans.

- ``flask storage check``: the configured storage answers (and can be written, for a local folder).
- ``flask storage migrate-local-to-s3 [--source DOSSIER]``: copies every file of the local folder
  (``UPLOAD_FOLDER`` by default) into the configured S3 bucket, streamed, under the same keys. Idempotent
  and resumable: an object already in the bucket with the same size is skipped (an S3 object appears only
  once completely written, so an interrupted copy is simply done again). The local files are left in
  place: delete them once the site runs on the bucket.
- ``flask storage orphans [--delete] [--older-than-hours N]``: objects that no document references
  (a process killed between writing a file and committing its row); listed, or deleted with
  ``--delete``. Recent objects (N hours, 24 by default) are left alone: they may belong to a request
  still running.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.storage import LocalStorage, S3Storage, Storage, StorageError, get_storage


@dataclass
class CopyReport:
    copied: int = 0
    skipped: int = 0
    bytes_copied: int = 0


def copy_objects(source: Storage, target: Storage, echo=lambda _line: None) -> CopyReport:
    """Copy every object of ``source`` missing from ``target`` (same key, same size: already there)."""
    report = CopyReport()
    for item in source.objects():
        if target.size(item.key) == item.size:
            report.skipped += 1
            continue
        with contextlib.closing(source.open(item.key)) as stream:
            target.put(item.key, stream, item.size, "application/octet-stream")
        report.copied += 1
        report.bytes_copied += item.size
        echo(f"copié : {item.key} ({item.size} octets)")
    return report


def referenced_keys() -> set[str]:
    from app.applications.models import ApplicationDocument

    return set(db.session.scalars(sa.select(ApplicationDocument.stored_name)))


def find_orphans(storage: Storage, older_than: timedelta, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    known = referenced_keys()
    return [item.key for item in storage.objects() if item.key not in known and item.modified_at < now - older_than]


@click.group("storage")
def storage_group() -> None:
    """Stockage des fichiers déposés (dossier local ou compartiment S3)."""


@storage_group.command("check")
@with_appcontext
def check_command() -> None:
    """Vérifie que le stockage configuré répond."""
    storage = get_storage()
    try:
        storage.check()
    except StorageError as error:
        raise click.ClickException(f"Stockage {storage!r} indisponible : {error.detail}") from error
    click.echo(f"Stockage {storage!r} : disponible.")


@storage_group.command("migrate-local-to-s3")
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier local à copier (défaut : UPLOAD_FOLDER).",
)
@with_appcontext
def migrate_command(source: Path | None) -> None:
    """Copie les fichiers du dossier local dans le compartiment S3 (reprend là où il s'était arrêté)."""
    target = get_storage()
    if not isinstance(target, S3Storage):
        raise click.ClickException(
            "Configurez d'abord le compartiment : STORAGE_BACKEND=s3, S3_BUCKET, S3_ENDPOINT_URL…"
        )
    folder = source or Path(current_app.config["UPLOAD_FOLDER"])
    if not folder.is_dir():
        raise click.ClickException(f"Dossier introuvable : {folder}")
    try:
        report = copy_objects(LocalStorage(folder), target, click.echo)
    except StorageError as error:
        raise click.ClickException(
            f"Copie interrompue ({error.detail}) : relancez la commande, elle reprendra où elle s'est arrêtée."
        ) from error
    click.echo(
        f"{report.copied} fichier(s) copié(s) ({report.bytes_copied} octets), {report.skipped} déjà présent(s) "
        f"dans {target!r}."
    )


@storage_group.command("orphans")
@click.option("--delete", is_flag=True, help="Supprimer les objets orphelins (sinon : les lister).")
@click.option("--older-than-hours", type=int, default=24, show_default=True, help="Ignorer les objets plus récents.")
@with_appcontext
def orphans_command(delete: bool, older_than_hours: int) -> None:
    """Liste (ou supprime) les fichiers stockés qu'aucun document ne référence."""
    storage = get_storage()
    orphans = find_orphans(storage, timedelta(hours=older_than_hours))
    for key in orphans:
        if delete:
            storage.delete(key)
        click.echo(("supprimé : " if delete else "orphelin : ") + key)
    click.echo(f"{len(orphans)} objet(s) orphelin(s){' supprimé(s)' if delete else ''}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(storage_group)
