"""The référents' queue does what it says: « Appliquer les filtres » (which sends every field, empty ones
included) never shows a false error, and every link of the page that leads to the same list — the
exports, the tabs, the pages — reproduces every filter. The export's rows are compared with the list's
rows for each filter, as a référent would check them."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from openpyxl import load_workbook

from app.applications.models import ApplicationStatus as S
from app.eligibility.structures import StructureType as T
from tests.factories import make_application, make_referent

BASE = "/espace-referent/candidatures"
# What the filter form sends when « Appliquer les filtres » is pressed with nothing chosen.
EMPTY_FORM = {"onglet": "toutes", "q": "", "departement": "", "type_structure": "", "statut": "", "du": "", "au": ""}
FILTERS = [
    {},
    {"departement": "24"},
    {"type_structure": "cooperative"},
    {"type_structure": "societe_a_mission"},
    {"statut": "en_instruction"},
    {"du": "2026-02-01"},
    {"au": "2026-02-28"},
    {"du": "01/02/2026", "au": "31/03/2026"},
    {"q": "solidaire"},
    {"tri": "nom"},
    {"tri": "anciennes", "onglet": "nouvelles"},
    {"onglet": "traitees"},
    {"onglet": "en-attente", "departement": "33"},
    {"type_structure": "association", "departement": "33", "statut": "deposee", "du": "2026-01-01", "tri": "statut"},
]


@pytest.fixture
def queue(db, client, auth):
    referent = make_referent(email="referente@justice.fr", departements=("33", "24"))
    kinds = [T.ASSOCIATION, T.COOPERATIVE, T.MISSION_COMPANY, T.PUBLIC_BODY, T.ESS_COMPANY]
    statuses = [S.SUBMITTED, S.IN_REVIEW, S.WAITING_APPLICANT, S.APPROVED, S.REFUSED, S.CLOSED]
    names = ["Épicerie solidaire", "Bâtir ensemble", "Mairie", "Zèbre solidaire", "Atelier vélo", "Jardins"]
    for index in range(18):
        make_application(
            "33" if index % 3 else "24",
            structure_name=f"{names[index % len(names)]} {index}",
            structure_type=kinds[index % len(kinds)],
            status=statuses[index % len(statuses)],
            submitted_at=datetime(2026, 1 + index % 4, 1 + index, 10),
            assigned_referent_id=referent.id if index % 4 == 0 else None,
        )
    make_application("59", structure_name="Hors de mes départements")
    auth.login_as(referent)
    return client


def _page(client, params: dict) -> str:
    response = client.get(BASE, query_string=params)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def _list_references(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r"(TIG-\d{4}-\d{6})", body)


def _link(html: str, label: str) -> str:
    match = re.search(r'<a[^>]*href="([^"]+)"[^>]*>\s*' + re.escape(label), html)
    assert match, label
    return match.group(1)


def _filters_of(url: str) -> dict:
    """The filters a link carries (the page number and the tab apart)."""
    return {k: v for k, v in parse_qsl(urlsplit(url).query) if k not in ("page", "onglet") and v}


def _normalised(params: dict) -> dict:
    """The filters as the page links write them (dates as ISO, defaults omitted)."""
    out = {}
    for key, value in params.items():
        if key in ("onglet",) or not value or (key == "tri" and value == "recentes"):
            continue
        if key in ("du", "au") and "/" in value:
            day, month, year = value.split("/")
            out[key] = f"{year}-{month}-{day}"
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "aucun")
def test_export_reproduces_the_filtered_list(queue, filters):
    html = _page(queue, {**EMPTY_FORM, **filters})
    assert "resume-erreurs" not in html and "<title>Erreur" not in html, "no false error"
    listed = _list_references(html)
    assert "Hors de mes départements" not in html

    csv_url = _link(html, "Exporter en CSV")
    assert _filters_of(csv_url) == _normalised(filters), "the export link carries every filter"
    rows = list(csv.reader(io.StringIO(queue.get(csv_url).get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == listed

    xlsx_url = _link(html, "Exporter en Excel")
    assert _filters_of(xlsx_url) == _normalised(filters)
    sheet = load_workbook(io.BytesIO(queue.get(xlsx_url).data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == listed


@pytest.mark.parametrize("filters", FILTERS[1:], ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()))
def test_tabs_and_pages_keep_every_filter(queue, filters):
    html = _page(queue, {**EMPTY_FORM, **filters})
    links = re.findall(r'href="(/espace-referent/candidatures\?[^"]*)"', html)
    assert links
    for url in links:
        if "onglet=" in url and set(_filters_of(url)) == set():  # « Effacer les filtres »
            continue
        assert _filters_of(url) == _normalised(filters), url


def test_empty_dates_alone_are_no_error(queue):
    for params in ({"du": "", "au": ""}, {"du": " ", "au": ""}, EMPTY_FORM):
        html = _page(queue, params)
        assert "Saisissez une date valide" not in html and "resume-erreurs" not in html


def test_a_wrong_date_is_still_an_error(queue):
    html = _page(queue, {**EMPTY_FORM, "du": "31/02/2026"})
    assert "Saisissez une date valide, par exemple 31/01/2026." in html
