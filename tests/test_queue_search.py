"""The queue's text search runs once per page, on expressions its trigram indexes serve, and finds
the same applications as before: in every tab, on every page, and when it finds more than the cap."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.applications.models import SEARCH_INDEXES, Application
from app.applications.models import ApplicationStatus as S
from app.applications.queue import QueueFilters, queue_page, tab_counts, text_condition, with_search_done
from tests.factories import make_application, make_referent
from tests.queries import recorded_statements

BASE = "/espace-referent/candidatures"


def _scope(codes):
    return Application.departement_code.in_(codes)


def _searches(statements: list[str]) -> list[str]:
    return [statement for statement in statements if " LIKE " in statement.upper()]


@pytest.mark.parametrize("text", ["jardin", "12345678901234", "W331", "TIG-20"])
def test_a_queue_page_searches_once(client, db, auth, text):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    make_application("33", structure_name="Les jardins du port", siret="12345678901234")
    make_application("33", status=S.IN_REVIEW, assigned_referent_id=alice.id)
    db.session.commit()
    auth.login_as(alice)
    db.session.remove()
    for tab in ("nouvelles", "toutes"):
        with recorded_statements(db.engine) as statements:
            response = client.get(BASE, query_string={"q": text, "onglet": tab})
        assert response.status_code == 200
        assert len(_searches(statements)) == 1, _searches(statements)


def test_search_done_once_gives_the_counts_and_pages_of_the_search_as_a_condition(db):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    for number in range(7):
        make_application("33", structure_name=f"Jardin {number}")
    make_application("33", status=S.IN_REVIEW, assigned_referent_id=alice.id, structure_name="Jardin suivi")
    make_application("33", status=S.WAITING_APPLICANT, structure_name="Jardin en attente")
    make_application("33", status=S.APPROVED, structure_name="Jardin accepté")
    make_application("33", structure_name="Verger")
    make_application("24", structure_name="Jardin d'ailleurs")
    scope = _scope(["33"])
    for tab in ("nouvelles", "suivies", "en-attente", "traitees", "toutes"):
        for page_number in (1, 2, 3):
            filters = QueueFilters(tab=tab, q="  jardin ", page=page_number)
            done = with_search_done(db.session, filters, scope)
            assert done.matching is not None and len(done.matching) == 10
            assert tab_counts(db.session, done, scope, alice.id) == tab_counts(db.session, filters, scope, alice.id)
            searched = queue_page(db.session, done, scope, alice.id, per_page=3)
            expected = queue_page(db.session, filters, scope, alice.id, per_page=3)
            assert [row.id for row in searched.rows] == [row.id for row in expected.rows]
            assert (searched.total, searched.pages, searched.capped) == (expected.total, expected.pages, False)
    nothing = with_search_done(db.session, QueueFilters(q="pommier"), scope)
    assert nothing.matching == () and tab_counts(db.session, nothing, scope, alice.id)["toutes"] == 0
    assert with_search_done(db.session, QueueFilters(q=""), scope).matching is None


def test_a_search_that_finds_more_than_the_cap_stays_a_condition(db):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    for number in range(5):
        make_application("33", structure_name=f"Jardin {number}")
    scope = _scope(["33"])
    filters = with_search_done(db.session, QueueFilters(tab="toutes", q="jardin"), scope, cap=3)
    assert filters.matching is None
    assert tab_counts(db.session, filters, scope, alice.id, cap=3)["toutes"] == 4  # « plus de 3 »
    page = queue_page(db.session, filters, scope, alice.id, per_page=1, cap=3)
    assert page.capped and len(page.rows) == 1


def _bare(expression: str) -> str:
    """An SQL expression without table names, casts, quotes or parentheses: comparable across writers."""
    return re.sub(r"applications\.|::text|[()\"\s]", "", expression).lower()


@pytest.mark.parametrize(
    ("text", "contains", "equals"),
    [
        ("jardin", {"name", "rna"}, set()),
        ("Jardin d'été", {"name"}, set()),
        ("732 829 320", {"name", "siret", "rna", "reference"}, set()),
        ("w123", {"name", "rna"}, set()),
        ("tig-2026-0000", {"name", "reference"}, set()),
        ("732 829 320 00012", {"name", "reference"}, {"siret"}),
        ("w331234567", {"name"}, {"rna"}),
        ("tig-2026-000042", {"name"}, {"reference"}),
    ],
)
def test_each_searched_column_has_its_index(db, text, contains, equals):
    """Every LIKE of the search is on an expression of SEARCH_INDEXES (whose trigram indexes serve
    « contains »), a whole identifier is compared with its column (which has its own index), and a
    column is searched only when the text can occur in it."""
    sql = str(text_condition(text).compile(dialect=db.engine.dialect))
    searched = {_bare(part) for part in re.findall(r"(\S+)\s+LIKE", sql)}
    assert searched == {_bare(SEARCH_INDEXES[column]) for column in contains}
    compared = {_bare(part) for part in re.findall(r"(\S+)\s+=", sql)}
    assert compared == {_bare(SEARCH_INDEXES[column]).removeprefix("upper") for column in equals}
    indexed = {column.name for column in Application.__table__.columns if column.index or column.unique}
    assert compared <= indexed


def test_a_whole_identifier_finds_its_application(db):
    alice = make_referent(email="alice@justice.fr", departements=("33",))
    found = make_application("33", siret="73282932000074", rna="W331234567")
    make_application("33", siret="73282932000075", rna="W331234568")
    scope = _scope(["33"])
    for text in ("732 829 320 00074", "w331234567", found.reference.lower(), found.reference):
        done = with_search_done(db.session, QueueFilters(tab="toutes", q=text), scope)
        assert done.matching == (found.id,), text
        assert tab_counts(db.session, done, scope, alice.id)["toutes"] == 1


@pytest.mark.postgresql_only
def test_the_trigram_indexes_are_on_the_searched_expressions(db):
    definitions = db.session.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'applications'")
    ).all()
    indexed = {
        name.removeprefix("ix_applications_search_"): _bare(re.search(r"USING gin \((.*) gin_trgm_ops\)", sql).group(1))
        for name, sql in definitions
        if "gin_trgm_ops" in sql
    }
    assert indexed == {name: _bare(expression) for name, expression in SEARCH_INDEXES.items()}
