"""CSV and XLSX exports of the référents' (filtered, scoped) queue.

Each column is declared once with its kind (text, date and time, count): the CSV writes every cell
as text, the XLSX writes real dates (Europe/Paris wall-clock time, shown as ``jj/mm/aaaa hh:mm``)
and real numbers, so that a spreadsheet sorts and adds them up.

Formula injection: a text starting with = + - @ tab or carriage return would run as a formula.
The CSV has no cell types, so such a text gets a leading apostrophe (French Excel and LibreOffice
read it as "text"). The XLSX stores it as a string cell with the ``quotePrefix`` style: the text is
shown as typed, without an apostrophe, and stays text even when the cell is edited.
CSV: UTF-8 with a BOM and ``;`` separators, as French Excel expects.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.applications.validators import format_phone
from app.formatting import short_datetime_fr, to_paris
from app.territories import departement_label

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
XLSX_DATE_FORMAT = "dd/mm/yyyy"
MAX_COLUMN_WIDTH = 60


class Kind(enum.Enum):
    TEXT = "text"
    DATETIME = "datetime"  # naive UTC as stored
    DATE = "date"  # a day (no time, no zone)
    COUNT = "count"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT


COLUMNS = (
    Column("Référence"),
    Column("Structure"),
    Column("Type de structure"),
    Column("SIRET"),
    Column("RNA"),
    Column("Département"),
    Column("Statut"),
    Column("Déposée le", Kind.DATETIME),
    Column("Dernier changement de statut", Kind.DATETIME),
    Column("Suivie par"),
    Column("Contact"),
    Column("Courriel du contact"),
    Column("Téléphone du contact"),
    Column("Nombre de postes", Kind.COUNT),
)
HEADERS = tuple(column.header for column in COLUMNS)


def neutralise(value) -> str:
    """A CSV cell's text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def row_values(row) -> list:
    """One queue row (see ``queue.queue_select`` with the export's extra columns) as the values of
    ``COLUMNS``: texts, naive UTC datetimes (or None), an int."""
    return [
        row.reference or "",
        row.structure_name,
        row.structure_type.label if row.structure_type else "",
        row.siret or "",
        row.rna or "",
        departement_label(row.departement_code),
        row.status.label,
        row.submitted_at,
        row.status_changed_at,
        row.assigned_name or "",
        f"{row.contact_first_name} {row.contact_last_name}".strip(),
        row.contact_email,
        format_phone(row.contact_phone),
        int(row.posts_count or 0),
    ]


def _csv_text(value) -> str:
    if isinstance(value, datetime):
        return short_datetime_fr(value)
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return neutralise(value)


def to_csv(rows: Iterable[Sequence], headers: Sequence[str] = HEADERS) -> bytes:
    """The CSV every back-office export uses (the queue's, a webinar's registrations)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([_csv_text(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _paris_wall_clock(value: datetime) -> datetime:
    """Spreadsheets have no time zones: the Paris time a référent reads everywhere else."""
    return to_paris(value).replace(tzinfo=None)


def to_xlsx(rows: Iterable[Sequence], title: str = "Candidatures", columns: Sequence[Column] = COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column.header) for column in columns]
    row_number = 1
    for values in rows:
        row_number += 1
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            cell = sheet.cell(row=row_number, column=index + 1)
            if value is None or value == "":
                continue
            if column.kind is Kind.DATETIME:
                cell.value = _paris_wall_clock(value)
                cell.number_format = XLSX_DATETIME_FORMAT
                shown = len("00/00/0000 00:00")
            elif column.kind is Kind.DATE:
                cell.value = value
                cell.number_format = XLSX_DATE_FORMAT
                shown = len("00/00/0000")
            elif column.kind is Kind.COUNT:
                cell.value = int(value)
                shown = len(str(value))
            else:
                text = str(value)
                cell.value = text
                cell.data_type = "s"  # never a formula, whatever the text
                if text.startswith(DANGEROUS_PREFIXES):
                    cell.quotePrefix = True
                shown = len(text)
            widths[index] = max(widths[index], min(shown, MAX_COLUMN_WIDTH))
    last_column = get_column_letter(len(columns))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_column}{row_number}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
