"""The référents' queue counts at most COUNT_CAP applications: « plus de 1 000 »,
a pagination without a last page, and exact figures below the cap."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.applications.models import Application
from app.applications.models import ApplicationStatus as S
from app.applications.queue import COUNT_CAP, QueueFilters, page_window, queue_page, tab_counts
from app.eligibility.structures import StructureType
from tests.factories import make_application, make_referent

BASE = "/espace-referent/candidatures"


def _scope(codes):
    return Application.departement_code.in_(codes)


def _bulk_submitted(db, count, departement="33"):
    now = datetime(2026, 3, 1, 12)
    db.session.execute(
        sa.insert(Application),
        [
            {
                "reference": f"T{number:09d}",
                "status": S.SUBMITTED,
                "access_token": secrets.token_urlsafe(24),
                "structure_type": StructureType.ASSOCIATION,
                "structure_name": f"Structure {number}",
                "departement_code": departement,
                "contact_email": f"c{number}@example.org",
                "submitted_at": now - timedelta(minutes=number),
                "status_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(count)
        ],
    )
    db.session.flush()


def test_counts_stop_at_the_cap(db):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    for _ in range(4):
        make_application("33")
    make_application("33", status=S.IN_REVIEW, assigned_referent_id=alice.id)
    counts = tab_counts(db.session, QueueFilters(), _scope(["33"]), alice.id, cap=3)
    assert counts == {"nouvelles": 4, "suivies": 1, "en-attente": 0, "traitees": 0, "toutes": 4}

    page = queue_page(db.session, QueueFilters(tab="toutes"), _scope(["33"]), alice.id, per_page=1, cap=3)
    assert page.capped and page.total == 3 and page.pages == 4 and len(page.rows) == 1
    exact = queue_page(db.session, QueueFilters(tab="toutes"), _scope(["33"]), alice.id, per_page=1, cap=10)
    assert not exact.capped and exact.total == 5 and exact.pages == 5


def test_a_far_page_counts_far_enough_to_show_the_next_pages(db):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    for _ in range(12):
        make_application("33")
    page = queue_page(db.session, QueueFilters(page=6), _scope(["33"]), alice.id, per_page=1, cap=3)
    assert page.page == 6 and page.capped and page.total == 8
    assert page.window() == [1, None, 4, 5, 6, 7, 8, None]
    last = queue_page(db.session, QueueFilters(page=11), _scope(["33"]), alice.id, per_page=1, cap=3)
    assert last.page == 11 and not last.capped and last.total == 12 and last.pages == 12


def test_open_ended_window_has_no_last_page():
    assert page_window(1, 41, open_ended=True) == [1, 2, 3, None]
    assert page_window(6, 12) == [1, None, 4, 5, 6, 7, 8, None, 12]


def _text(response):
    """The page with French thousands separators (narrow no-break spaces) as plain spaces."""
    return response.get_data(as_text=True).replace("\u202f", " ")


def test_queue_page_says_more_than_1000(client, db, auth):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    _bulk_submitted(db, COUNT_CAP + 30)
    db.session.commit()
    auth.login_as(alice)
    response = client.get(BASE)
    assert response.status_code == 200
    html = _text(response)
    assert 'Nouvelles&nbsp;<span class="bo-tabs__count">(plus de 1 000)</span>' in html
    assert "Plus de 1 000 candidatures – page 1" in html
    assert "sur 41" not in html and "Dernière page" not in html
    assert "Page suivante" in html and "Structure 0<" in html.replace("</a>", "<")
    deeper = _text(client.get(BASE, query_string={"page": 41}))
    assert "1 030 candidatures" in deeper
    assert "page 41 sur 42" in deeper and "Dernière page" in deeper
