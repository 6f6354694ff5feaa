"""Storage of the documents applicants upload.

Files are recognised by their content (``filetype``: PDF, JPEG, PNG only), limited in size, stored
under ``UPLOAD_FOLDER`` (outside ``static/``) under a random name, with their SHA-256. The original
name is only kept, sanitised, for display. Nothing here is served publicly: the applicant downloads
their own files through their private link, the référents through the back office.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

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


def store_upload(storage, folder: str | Path, max_bytes: int) -> StoredFile:
    """Check and store one uploaded file. Raises ``UploadRefused`` with a French message."""
    display_name = sanitize_filename(storage.filename)
    if not is_plain_filename(storage.filename):
        raise UploadRefused(
            f"Le nom du fichier « {display_name} » n'est pas accepté : il ne doit contenir ni chemin (« / », « \\ », "
            "« .. ») ni caractère invisible. Renommez le fichier puis envoyez-le de nouveau."
        )
    stream = storage.stream
    data = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        data.extend(chunk)
        if len(data) > max_bytes:
            raise UploadRefused(
                f"Le fichier « {display_name} » dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo : "
                "réduisez-le (par exemple en le numérisant en noir et blanc) puis envoyez-le de nouveau."
            )
    if not data:
        raise UploadRefused(f"Le fichier « {display_name} » est vide : choisissez un autre fichier.")
    kind = filetype.guess(bytes(data[:8192]))
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise UploadRefused(
            f"Le fichier « {display_name} » n'est pas au format PDF, JPEG ou PNG : enregistrez-le dans "
            "l'un de ces formats puis envoyez-le de nouveau."
        )
    extension = ACCEPTED_TYPES[kind.mime]
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    (target / stored_name).write_bytes(bytes(data))
    return StoredFile(
        original_filename=display_name,
        stored_name=stored_name,
        content_type=kind.mime,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def stored_path(folder: str | Path, stored_name: str) -> Path:
    """Path of a stored file; the name is ours (hex + extension), checked anyway."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("nom de fichier stocké invalide")
    return Path(folder) / stored_name


def delete_stored(folder: str | Path, stored_name: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        stored_path(folder, stored_name).unlink(missing_ok=True)


def human_size(size_bytes: int) -> str:
    """'1,2 Mo', '350 ko' (French units)."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / (1024 * 1024):.1f} Mo".replace(".", ",")
    return f"{max(1, round(size_bytes / 1024))} ko"
