"""CSV and XLSX exports of the référents' (filtered, scoped) queue.

Spreadsheet formula injection is neutralised: a text cell starting with = + - @ tab or carriage
return is prefixed with an apostrophe, so Excel and LibreOffice show it as text instead of running it.
CSV: UTF-8 with a BOM and ``;`` separators, as French Excel expects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.applications.validators import format_phone
from app.formatting import short_datetime_fr
from app.territories import departement_label

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADERS = (
    "Référence",
    "Structure",
    "Type de structure",
    "SIRET",
    "RNA",
    "Département",
    "Statut",
    "Déposée le",
    "Dernier changement de statut",
    "Suivie par",
    "Contact",
    "Courriel du contact",
    "Téléphone du contact",
    "Nombre de postes",
)


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def row_values(row) -> list[str]:
    """One queue row (see ``queue.queue_select`` with the export's extra columns) as texts."""
    return [
        row.reference or "",
        row.structure_name,
        row.structure_type.label if row.structure_type else "",
        row.siret or "",
        row.rna or "",
        departement_label(row.departement_code),
        row.status.label,
        short_datetime_fr(row.submitted_at),
        short_datetime_fr(row.status_changed_at),
        row.assigned_name or "",
        f"{row.contact_first_name} {row.contact_last_name}".strip(),
        row.contact_email,
        format_phone(row.contact_phone),
        str(row.posts_count),
    ]


def to_csv(rows: Iterable[Sequence], headers: Sequence[str] = HEADERS) -> bytes:
    """The CSV every back-office export uses (the queue's, a webinar's registrations)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([neutralise(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Iterable[Sequence[str]], title: str = "Candidatures") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in HEADERS]
    for values in rows:
        texts = [neutralise(v) for v in values]
        sheet.append(texts)
        # openpyxl would still read a leading "=" as a formula: force every cell to text.
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"
        widths = [max(w, min(len(t), 60)) for w, t in zip(widths, texts, strict=False)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
