"""The documents people upload: checked, scanned, stored, served back — one pipeline for every upload
(wizard documents, replies, requested complements, référents' attachments).

``accept_upload`` streams the file to a temporary file on disk (never whole in memory; the size limit
stops it early), then, before anything reaches the storage:

1. the name: no folder part, no invisible character (only kept, sanitised, for display);
2. the type, from the content (``filetype``: PDF, JPEG, PNG only);
3. the antivirus (``app/antivirus.py``): a file found infected is refused, never stored;
4. PDFs: active content (JavaScript, automatic actions…) removed (``app/pdf_safety.py``);

then stores it under a random key (``app/storage.py``: local folder or S3 bucket) with its SHA-256
(``app/applications/stored_files.py`` then ties the object to the request's transaction).
Nothing is served publicly: ``download_response`` streams a document after the caller's authorization
check, and only when its scan allows it.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import filetype
from flask import Response, abort, current_app, send_file

from app import antivirus, pdf_safety
from app.antivirus import ScanStatus
from app.storage import StorageError, get_storage

ACCEPTED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
FORMATS_HINT = "Formats acceptés : PDF, JPEG ou PNG. Taille maximale : {max_mb} Mo."
_CHUNK = 64 * 1024


class UploadRefused(ValueError):
    """The file cannot be accepted; ``str(error)`` is the French message shown next to the field."""


@dataclass(frozen=True)
class StoredFile:
    original_filename: str
    stored_name: str
    content_type: str
    size_bytes: int
    sha256: str
    scan_status: ScanStatus = ScanStatus.NOT_SCANNED
    scan_detail: str = ""
    removed_content: tuple[str, ...] = field(default=())  # PDF active content taken out before storing


def formats_hint(max_bytes: int) -> str:
    return FORMATS_HINT.format(max_mb=max_bytes // (1024 * 1024))


def sanitize_filename(name: str | None) -> str:
    """A display name without path, control characters or oddities ('../../x.pdf' → 'x.pdf')."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '<>:"|?*')
    name = " ".join(name.split()).strip(". ")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "document"


def is_plain_filename(name: str | None) -> bool:
    """A name as browsers send it: no folder part, no control character. '../../etc/passwd.pdf' is
    only ever sent by a hand-made request: refused rather than quietly renamed."""
    name = name or ""
    return not (
        "/" in name or "\\" in name or name.startswith("..") or any(unicodedata.category(c) == "Cc" for c in name)
    )


def has_file(storage) -> bool:
    """Whether a werkzeug FileStorage holds a chosen file (an empty input sends a nameless part)."""
    return bool(storage is not None and getattr(storage, "filename", ""))


def _digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def accept_upload(upload, max_bytes: int) -> StoredFile:
    """Check, scan and store one uploaded file (a werkzeug ``FileStorage``). Raises ``UploadRefused``
    with a French message; nothing is stored then."""
    config = current_app.config
    display_name = sanitize_filename(upload.filename)
    if not is_plain_filename(upload.filename):
        raise UploadRefused(
            f"Le nom du fichier « {display_name} » n'est pas accepté : il ne doit contenir ni chemin (« / », « \\ », "
            "« .. ») ni caractère invisible. Renommez le fichier puis envoyez-le de nouveau."
        )
    with tempfile.TemporaryDirectory(prefix="tig-envoi-") as work:
        received = Path(work) / "recu"
        size = 0
        with received.open("wb") as output:
            while chunk := upload.stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused(
                        f"Le fichier « {display_name} » dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo : "
                        "réduisez-le (par exemple en le numérisant en noir et blanc) puis envoyez-le de nouveau."
                    )
                output.write(chunk)
        if not size:
            raise UploadRefused(f"Le fichier « {display_name} » est vide : choisissez un autre fichier.")
        with received.open("rb") as handle:
            kind = filetype.guess(handle.read(8192))
        if kind is None or kind.mime not in ACCEPTED_TYPES:
            raise UploadRefused(
                f"Le fichier « {display_name} » n'est pas au format PDF, JPEG ou PNG : enregistrez-le dans "
                "l'un de ces formats puis envoyez-le de nouveau."
            )

        with received.open("rb") as handle:
            scan = antivirus.scan(handle, config)
        if scan.status is ScanStatus.INFECTED:
            raise UploadRefused(
                f"Le fichier « {display_name} » a été refusé par l'antivirus : il contient un virus ou un programme "
                f"malveillant ({scan.detail}). Il n'a pas été enregistré. Analysez votre ordinateur, puis envoyez "
                "une copie saine du document."
            )
        if scan.status is ScanStatus.ERROR and config.get("ANTIVIRUS_REQUIRED"):
            raise UploadRefused(
                f"Le fichier « {display_name} » n'a pas pu être analysé par l'antivirus, momentanément indisponible : "
                "il n'a pas été enregistré. Réessayez dans quelques minutes ; vos autres réponses sont enregistrées."
            )

        kept, removed = received, set()
        if kind.mime == "application/pdf":
            cleaned = Path(work) / "nettoye"
            try:
                removed = pdf_safety.neutralise(received, cleaned)
            except pdf_safety.UnreadablePdf as error:
                reason = "est protégé par un mot de passe" if error.protected else "est endommagé ou illisible"
                raise UploadRefused(
                    f"Le fichier « {display_name} » {reason} : enregistrez-le de nouveau en PDF (par exemple avec "
                    "« Imprimer » puis « Enregistrer au format PDF ») puis envoyez-le."
                ) from error
            if removed:
                kept = cleaned

        stored_size, sha256 = _digest(kept)
        key = f"{secrets.token_hex(16)}.{ACCEPTED_TYPES[kind.mime]}"
        storage = get_storage()
        with kept.open("rb") as handle:
            try:
                storage.put(key, handle, stored_size, kind.mime)
            except StorageError as error:
                raise UploadRefused(f"Le fichier « {display_name} » n'a pas été enregistré. {error}") from error
    detail = scan.detail
    if removed:
        detail = (detail + " ; " if detail else "") + "contenu actif retiré du PDF : " + ", ".join(sorted(removed))
    return StoredFile(
        original_filename=display_name,
        stored_name=key,
        content_type=kind.mime,
        size_bytes=stored_size,
        sha256=sha256,
        scan_status=scan.status,
        scan_detail=detail[:300],
        removed_content=tuple(sorted(removed)),
    )


def store_upload(upload, folder=None, max_bytes: int = 0) -> StoredFile:
    """``accept_upload`` under its former name; ``folder`` is ignored (the storage is configured by
    ``STORAGE_BACKEND``), kept so that callers written for the local folder keep working."""
    return accept_upload(upload, max_bytes)


def delete_stored(folder, stored_name: str) -> None:
    """Delete a stored object now (the caller has committed the deletion of its row); ``folder`` ignored."""
    with contextlib.suppress(StorageError, ValueError):  # an orphan at worst: `flask storage orphans` removes it
        get_storage().delete(stored_name)


def downloadable(document) -> bool:
    """Served only when clean, or unscanned while the antivirus is disabled (never infected or pending)."""
    if document.scan_status is ScanStatus.CLEAN:
        return True
    return document.scan_status is ScanStatus.NOT_SCANNED and not antivirus.is_enabled(current_app.config)


def download_response(document) -> Response:
    """Stream ``document`` from the storage as an attachment. The caller has checked who may read it;
    here: 404 unless its scan allows serving it, or if its object is missing."""
    if not downloadable(document):
        abort(404)
    try:
        stream = get_storage().open(document.stored_name)
    except (FileNotFoundError, ValueError):
        abort(404)
    except StorageError:
        abort(503)
    response = send_file(
        stream,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_filename,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Length"] = str(document.size_bytes)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def human_size(size_bytes: int) -> str:
    """'1,2 Mo', '350 ko' (French units)."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):.1f} Mo".replace(".", ",")
    return f"{max(1, round(size_bytes / 1024))} ko"
