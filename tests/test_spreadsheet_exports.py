"""The applications export opened with openpyxl, column by column: real dates in Paris time with a
French format, counts as numbers, texts as texts (formula-like ones with ``quotePrefix`` and no
apostrophe), header row frozen, autofilter, widths. The CSV keeps its texts."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from app.applications.exports import COLUMNS, DANGEROUS_PREFIXES, XLSX_DATETIME_FORMAT, Kind
from app.formatting import paris_to_utc
from tests.factories import make_application, make_referent

BASE = "/espace-referent/candidatures"
WINTER = datetime(2031, 1, 15, 9, 5)  # Paris wall-clock times
SUMMER = datetime(2031, 7, 14, 23, 30)
FORMULAS = ["=1+1", '+33 "x"', "-2", "@SOMME(A1)", "\tTab"]


@pytest.fixture
def exported(client, db, auth):
    make_application("33", structure_name="Association d'hiver", posts=3, submitted_at=paris_to_utc(WINTER))
    make_application(
        "33",
        structure_name=FORMULAS[0],
        contact_first_name=FORMULAS[1],
        contact_last_name="",
        contact_email="=x@example.org",
        rna=FORMULAS[2],
        commune=FORMULAS[3],
        siret="73282932000074",
        posts=12,
        submitted_at=paris_to_utc(SUMMER),
    )
    auth.login_as(make_referent(departements=("33",)))
    xlsx = client.get(f"{BASE}/export.xlsx?onglet=toutes")
    csv_response = client.get(f"{BASE}/export.csv?onglet=toutes")
    assert xlsx.status_code == csv_response.status_code == 200
    return load_workbook(io.BytesIO(xlsx.data)).active, csv_response.data


def _rows_by_structure(sheet):
    header = [cell.value for cell in sheet[1]]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    return header, rows


def test_every_column_has_its_type_and_style(exported):
    sheet, _ = exported
    header, rows = _rows_by_structure(sheet)
    assert header == [column.header for column in COLUMNS]
    assert set(rows) == {"Association d'hiver", "=1+1"}
    for index, column in enumerate(COLUMNS):
        for structure, row in rows.items():
            cell = row[index]
            where = f"{column.header} / {structure}"
            if column.kind is Kind.DATETIME:
                assert cell.is_date and isinstance(cell.value, datetime), where
                assert cell.number_format == XLSX_DATETIME_FORMAT, where
            elif column.kind is Kind.COUNT:
                assert cell.data_type == "n" and isinstance(cell.value, int), where
            elif cell.value is not None:
                assert cell.data_type == "s" and isinstance(cell.value, str), where
                assert not cell.value.startswith("'"), where
                assert cell.quotePrefix is cell.value.startswith(DANGEROUS_PREFIXES), where
            assert cell.data_type != "f", where


def test_values_dates_in_paris_time_and_counts(exported):
    sheet, _ = exported
    header, rows = _rows_by_structure(sheet)
    winter, summer = rows["Association d'hiver"], rows["=1+1"]
    submitted = header.index("Déposée le")
    assert winter[submitted].value == WINTER and summer[submitted].value == SUMMER
    assert winter[header.index("Dernier changement de statut")].value == WINTER
    posts = header.index("Nombre de postes")
    assert (winter[posts].value, summer[posts].value) == (3, 12)
    # Texts a spreadsheet would run are kept exactly as typed (no apostrophe), as text.
    assert summer[header.index("Structure")].value == "=1+1"
    assert summer[header.index("RNA")].value == "-2"
    assert summer[header.index("Contact")].value == '+33 "x"'
    assert summer[header.index("Courriel du contact")].value == "=x@example.org"
    assert summer[header.index("SIRET")].value == "73282932000074"  # an identifier: text, leading zeros kept


def test_sheet_frozen_filtered_and_sized(exported):
    sheet, _ = exported
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{sheet.max_row}"
    assert all(cell.font.b for cell in sheet[1])
    for index, column in enumerate(COLUMNS, start=1):
        width = sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width
        assert width >= len(column.header), column.header
    assert sheet.column_dimensions["H"].width >= len("00/00/0000 00:00")


def test_csv_is_unchanged_text(exported):
    _, data = exported
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    by_structure = {row[1]: row for row in rows[1:]}
    summer = by_structure["'=1+1"]
    assert summer[header.index("Déposée le")] == "14/07/2031 à 23 h 30"
    assert by_structure["Association d'hiver"][header.index("Déposée le")] == "15/01/2031 à 9 h 05"
    assert summer[header.index("Nombre de postes")] == "12"
    assert summer[header.index("RNA")] == "'-2"
