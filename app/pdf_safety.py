"""Active content of uploaded PDFs (JavaScript, automatic actions, launch of programs, embedded files)
is removed before the file is stored, with pikepdf (qpdf): a référent opening an applicant's document
runs nothing. What the reader sees (pages, text, images, links to web pages) is kept, and so is a filled
form's content; only the scripts and actions go. A PDF that cannot be read (damaged, or protected by a
password) is refused: nobody could read it at the other end either.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

# Actions that run something or fetch/send data when triggered (PDF 32000-1, 12.6.4).
DANGEROUS_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/RichMediaExecute",
        "/Rendition",
        "/Movie",
        "/Sound",
        "/Hide",
    }
)
# Keys that hold scripts, automatic triggers or hidden payloads wherever they appear. /OpenAction is
# handled apart: most PDFs carry one that only says which page to show first (a destination array).
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/RichMedia", "/XFA"})

LABELS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/OpenAction": "action à l'ouverture",
    "/AA": "action automatique",
    "/EmbeddedFiles": "fichier joint",
    "/RichMedia": "contenu multimédia",
    "/XFA": "formulaire XFA",
}


class UnreadablePdf(ValueError):
    def __init__(self, protected: bool):
        self.protected = protected
        super().__init__("PDF protégé par un mot de passe" if protected else "PDF illisible")


def _clean(container, found: set[str], seen: set) -> None:
    """Remove the active keys and dangerous actions of ``container`` and of the direct objects inside it."""
    if isinstance(container, pikepdf.Dictionary | pikepdf.Stream):
        for key in list(container.keys()):
            value = container.get(key)
            if key in ACTIVE_KEYS:
                found.add(LABELS[key])
                del container[key]
            elif key == "/OpenAction" and not isinstance(value, pikepdf.Array):
                # An action run at opening (a destination, an array, only shows a page: kept).
                found.add(LABELS[key])
                del container[key]
            elif isinstance(value, pikepdf.Dictionary) and str(value.get("/S", "")) in DANGEROUS_ACTIONS:
                found.add(f"action {str(value.get('/S'))[1:]}")
                del container[key]
            elif isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect:
                _clean(value, found, seen)
    elif isinstance(container, pikepdf.Array):
        for item in list(container):
            if isinstance(item, pikepdf.Dictionary | pikepdf.Array) and not item.is_indirect:
                _clean(item, found, seen)


def _neutralise_open(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    for obj in pdf.objects:  # every indirect object; direct ones are reached from them
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            if isinstance(obj, pikepdf.Dictionary) and str(obj.get("/S", "")) in DANGEROUS_ACTIONS:
                # An action object referenced from elsewhere: made harmless where it stands.
                found.add(f"action {str(obj.get('/S'))[1:]}")
                for key in list(obj.keys()):
                    del obj[key]
                continue
            _clean(obj, found, set())
    _clean(pdf.trailer, found, set())
    return found


def active_content(path: Path) -> set[str]:
    """What would be removed from the PDF at ``path`` (empty: nothing active). ``UnreadablePdf`` if unreadable."""
    with _open(path) as pdf:
        return _neutralise_open(pdf)


def neutralise(source: Path, target: Path) -> set[str]:
    """Write to ``target`` the PDF ``source`` without its active content, and say what was removed (empty
    set: nothing found, ``target`` not written). Checked again after writing: what remains is inert."""
    with _open(source) as pdf:
        found = _neutralise_open(pdf)
        if not found:
            return found
        pdf.save(target)
    if active_content(target):  # pragma: no cover - a structure the cleaning missed: refuse rather than store
        raise UnreadablePdf(protected=False)
    return found


def _open(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as error:
        raise UnreadablePdf(protected=True) from error
    except (pikepdf.PdfError, RuntimeError, ValueError) as error:
        raise UnreadablePdf(protected=False) from error
