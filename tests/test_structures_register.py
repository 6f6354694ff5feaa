"""The register of host structures: the decision's facts and their rules, the « Habiliter » decision that
fills the register (renewal of the same record, public bodies by right, reopening), the attestation,
the back office's list, filters, exports and structure page, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.applications import review
from app.applications.attestation import attestation_pdf
from app.applications.models import ApplicationStatus as S
from app.applications.models import ApplicationTutor
from app.eligibility.structures import StructureType
from app.structures.facts import (
    EXPIRING_SOON_MONTHS,
    Approval,
    DecisionFacts,
    InvalidFacts,
    Period,
    add_months,
    check_decision,
    check_period,
)
from app.structures.models import (
    Habilitation,
    HostStructure,
    PostStatus,
    Standing,
    StructureEvent,
    StructureEventKind,
    StructureStatus,
    status_condition,
    status_on,
)
from app.structures.register import structure_of
from tests.factories import APPROVAL, _paris_today, make_application, make_referent
from tests.pdf_text import pdf_text

BASE = "/espace-referent"
AUTHORITY = "directeur du SPIP de la Gironde"


@pytest.fixture
def alice(db):
    return make_referent(email="alice@justice.fr", name="Alice Gironde", departements=("33",))


def decided(day: date, departement: str = "33", referent=None, starts_on=None, ends_on=None, **columns):
    """An application filed a month before ``day`` and decided « Habiliter » on ``day``: its structure."""
    submitted_at = datetime.combine(day - timedelta(days=30), time(9))
    application = make_application(departement, status=S.SENT_FOR_DECISION, submitted_at=submitted_at, **columns)
    referent = referent or make_referent(departements=(departement,))
    approval = Approval(DecisionFacts(decided_on=day, authority=AUTHORITY), starts_on=starts_on, ends_on=ends_on)
    review.apply_action(application, "approve", referent, "Avis favorables.", approval=approval)
    return structure_of(application)


def structure_events(db, structure):
    return [
        e.kind
        for e in db.session.scalars(
            sa.select(StructureEvent).filter_by(structure_id=structure.id).order_by(StructureEvent.id)
        )
    ]


# --- the decision's facts (pure rules) ---------------------------------------------------------------


def test_dates_that_cannot_be_are_refused_with_the_field_and_a_french_message():
    asked, today = date(2026, 3, 1), date(2026, 6, 1)
    opinions = ("prosecutor_opinion_on", "jap_opinion_on", "prefect_opinion_on")
    good = DecisionFacts(date(2026, 5, 1), AUTHORITY, date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3))
    assert check_decision(good, asked_on=asked, today=today, opinions=opinions) == {}

    before_deposit = DecisionFacts(date(2026, 2, 1), AUTHORITY)
    assert (
        "précéder le dépôt"
        in check_decision(before_deposit, asked_on=asked, today=today, opinions=opinions)["decided_on"]
    )
    future = DecisionFacts(date(2026, 6, 2), AUTHORITY)
    assert "futur" in check_decision(future, asked_on=asked, today=today, opinions=opinions)["decided_on"]
    late_opinion = DecisionFacts(date(2026, 5, 1), " ", prefect_opinion_on=date(2026, 5, 2))
    errors = check_decision(late_opinion, asked_on=asked, today=today, opinions=opinions)
    assert "postérieur à la décision" in errors["prefect_opinion_on"] and "autorité" in errors["authority"]
    early_opinion = DecisionFacts(date(2026, 5, 1), AUTHORITY, jap_opinion_on=date(2026, 1, 1))
    assert (
        "précéder le dépôt"
        in check_decision(early_opinion, asked_on=asked, today=today, opinions=opinions)["jap_opinion_on"]
    )

    decided_on = date(2026, 5, 1)
    assert check_period(Period(decided_on, date(2031, 5, 1)), decided_on=decided_on) == {}
    assert (
        "avant la décision"
        in check_period(Period(date(2026, 4, 1), date(2031, 4, 1)), decided_on=decided_on)["starts_on"]
    )
    assert (
        "postérieure à son début"
        in check_period(Period(decided_on, date(2026, 4, 1)), decided_on=decided_on)["ends_on"]
    )
    assert "cinq ans au plus" in check_period(Period(decided_on, date(2031, 5, 2)), decided_on=decided_on)["ends_on"]


def test_the_status_computed_in_python_and_in_sql_agree(db):
    today = _paris_today()
    ends = [
        today - timedelta(days=1),
        today,
        add_months(today, EXPIRING_SOON_MONTHS),
        add_months(today, EXPIRING_SOON_MONTHS) + timedelta(days=1),
        None,
    ]
    rows = []
    for index, ends_on in enumerate(ends):
        for standing in Standing:
            rows.append(
                HostStructure(
                    name=f"S{index}{standing.value}",
                    structure_type=StructureType.ASSOCIATION,
                    departement_code="33",
                    standing=standing,
                    habilitation_ends_on=ends_on,
                )
            )
    db.session.add_all(rows)
    db.session.flush()
    for status in StructureStatus:
        in_sql = set(
            db.session.scalars(sa.select(HostStructure.id).where(status_condition(status, today, EXPIRING_SOON_MONTHS)))
        )
        in_python = {
            s.id for s in rows if status_on(s.standing, s.habilitation_ends_on, today, EXPIRING_SOON_MONTHS) is status
        }
        assert in_sql == in_python, status


# --- the decision fills the register ---------------------------------------------------------------


def test_habiliter_enters_the_structure_its_habilitation_and_its_posts(db, alice):
    application = make_application("33", status=S.SENT_FOR_DECISION, posts=2, siret="73282932000074")
    application.posts[0].tutors = [
        ApplicationTutor(first_name="Zoé", last_name="Ngô", role="Cheffe d'équipe", birth_place="Lyon")
    ]
    application.posts[1].minors_allowed = True
    today = _paris_today()
    approval = Approval(DecisionFacts(today, AUTHORITY, prosecutor_opinion_on=today, jap_opinion_on=today))
    review.apply_action(application, "approve", alice, "Avis favorables.", approval=approval)

    structure = structure_of(application)
    assert structure is not None
    assert (structure.name, structure.siret, structure.departement_code) == (
        application.structure_name,
        "73282932000074",
        "33",
    )
    assert structure.contact_email == application.contact_email
    [habilitation] = structure.habilitations
    assert (habilitation.starts_on, habilitation.ends_on) == (today, today.replace(year=today.year + 5))
    assert habilitation.application_id == application.id and not habilitation.is_renewal
    assert structure.standing is Standing.HABILITATED and structure.habilitation_ends_on == habilitation.ends_on
    assert structure.status_on(today, EXPIRING_SOON_MONTHS) is StructureStatus.VALID
    posts = structure.inscribed_posts
    assert [p.title for p in posts] == [p.title for p in application.posts]
    assert posts[0].tutor_lines() == ["Zoé Ngô, Cheffe d'équipe, né(e) à Lyon"]
    assert posts[1].minors_allowed and all(p.inscribed_on == today for p in posts)
    assert structure_events(db, structure)[:2] == [StructureEventKind.REGISTERED, StructureEventKind.HABILITATED]
    assert (application.decision_date, application.decision_authority) == (today, AUTHORITY)

    text = " ".join(pdf_text(attestation_pdf(application)).split())
    assert f"Décision du {today.day}" in text and AUTHORITY in text
    assert "Avis du procureur de la République le" in text and "préfet" not in text.split("Avis du procureur")[1]
    assert f"au {habilitation.ends_on.day}" in text
    assert "Décision enregistrée le" not in text and alice.name not in text  # the facts, not who typed them


def test_a_new_decision_for_the_same_siret_or_rna_extends_the_same_record(db, alice):
    today = _paris_today()
    first_day = today - timedelta(days=365 * 5 - 60)  # ends in about two months
    first = decided(first_day, rna="W331234567", structure_name="Les Jardins")
    first_end = first.habilitation_ends_on
    assert first.status_on(today, EXPIRING_SOON_MONTHS) is StructureStatus.EXPIRING

    renewal = make_application(
        "33", status=S.SENT_FOR_DECISION, rna="W331234567", structure_name="Les Jardins partagés", posts=2
    )
    renewal.posts[1].title = "Accueil du public"
    review.apply_action(renewal, "approve", alice, "Renouvellement.", approval=APPROVAL)

    assert structure_of(renewal).id == first.id
    db.session.expire_all()
    structure = db.session.get(HostStructure, first.id)
    assert db.session.scalar(sa.select(sa.func.count(HostStructure.id))) == 1
    assert structure.name == "Les Jardins partagés"
    old, new = structure.habilitations
    assert new.is_renewal and new.starts_on == first_end + timedelta(days=1)  # no day lost
    assert structure.habilitation_ends_on == new.ends_on
    assert structure.status_on(today, EXPIRING_SOON_MONTHS) is StructureStatus.VALID
    # The post of the same title is updated, the new one added: no duplicate on the list.
    assert sorted(p.title for p in structure.inscribed_posts) == ["Accueil du public", "Entretien des espaces verts 1"]
    assert StructureEventKind.RENEWED in structure_events(db, structure)
    # Another département is another record (the départemental list is per département).
    other = decided(today - timedelta(days=1), "24", rna="W331234567")
    assert other.id != first.id


def test_a_public_body_is_habilitated_by_right_with_its_posts(db, alice):
    public = make_application("33", status=S.SENT_FOR_DECISION, structure_type=StructureType.PUBLIC_BODY, posts=2)
    today = _paris_today()
    approval = Approval(DecisionFacts(today, AUTHORITY, prefect_opinion_on=today))
    review.apply_action(public, "approve", alice, "Postes inscrits.", approval=approval)
    structure = structure_of(public)
    assert structure.standing is Standing.BY_RIGHT and structure.habilitation_ends_on is None
    assert structure.habilitations == [] and len(structure.inscribed_posts) == 2
    assert structure.status_on(today + timedelta(days=365 * 20), EXPIRING_SOON_MONTHS) is StructureStatus.BY_RIGHT
    assert public.prefect_opinion_on is None  # no préfet's opinion on a public body's posts
    assert StructureEventKind.POSTS_INSCRIBED_BY_RIGHT in structure_events(db, structure)


def test_facts_that_cannot_be_change_nothing(db, alice):
    application = make_application("33", status=S.SENT_FOR_DECISION)
    tomorrow = _paris_today() + timedelta(days=1)
    for approval in (
        Approval(DecisionFacts(tomorrow, AUTHORITY)),
        Approval(DecisionFacts(_paris_today(), AUTHORITY), ends_on=_paris_today() - timedelta(days=1)),
    ):
        with pytest.raises(InvalidFacts):
            review.apply_action(application, "approve", alice, "Avis favorables.", approval=approval)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(HostStructure.id))) == 0
    assert application.status is S.SENT_FOR_DECISION


def test_reopening_an_approved_application_cancels_what_its_decision_entered(db, alice):
    application = make_application("33", status=S.SENT_FOR_DECISION, posts=2)
    review.apply_action(application, "approve", alice, "Avis favorables.", approval=APPROVAL)
    structure = structure_of(application)
    review.apply_action(application, "reopen", alice, "Erreur de saisie du SPIP.")
    db.session.expire_all()
    structure = db.session.get(HostStructure, structure.id)
    assert structure.habilitations == [] and structure.inscribed_posts == []
    assert all(p.status is PostStatus.REMOVED and "Erreur de saisie" in p.removal_reason for p in structure.posts)
    assert structure.status_on(_paris_today(), EXPIRING_SOON_MONTHS) is StructureStatus.EXPIRED
    assert structure_events(db, structure)[-1] is StructureEventKind.DECISION_CANCELLED
    assert application.decision_date is None and application.decision_authority is None
    assert db.session.scalar(sa.select(sa.func.count(Habilitation.id))) == 0
    # Reversible only by a new decision: it enters the same record again.
    review.apply_action(application, "send_for_decision", alice)
    review.apply_action(application, "approve", alice, "Avis favorables.", approval=APPROVAL)
    assert structure_of(application).id == structure.id
    assert len(structure.habilitations) == 1 and len(structure.inscribed_posts) == 2


# --- the decision form -----------------------------------------------------------------------------


def test_the_decision_form_refuses_dates_that_cannot_be_next_to_the_field_and_keeps_what_was_typed(
    client, db, auth, alice
):
    application = make_application("33", status=S.SENT_FOR_DECISION, submitted_at=datetime(2026, 3, 2, 9))
    db.session.commit()
    auth.login_as(alice)
    url = f"{BASE}/candidatures/{application.id}/actions/approve"
    page = client.get(url).get_data(as_text=True)
    for label in ("Date de la décision", "Autorité qui a pris la décision", "avis du préfet"):
        assert label in page
    typed = {
        "decided_on": "2026-02-15",  # before the deposit
        "authority": AUTHORITY,
        "prosecutor_opinion_on": "2026-03-20",
        "jap_opinion_on": "32/13/2026",  # no such date
        "reason": "Observations gardées",
    }
    response = client.post(url, data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers.get("Location") is None
    assert 'href="#jap_opinion_on"' in html  # summary at the top
    assert "Saisissez une date valide" in html
    assert "Observations gardées" in html and "32/13/2026" in html and AUTHORITY in html  # nothing lost
    # The form is valid, the facts are not: the service's message is next to the field.
    response = client.post(url, data={**typed, "jap_opinion_on": "2026-03-21"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        '<p class="fr-message fr-message--error" id="decided_on-error-1">La décision ne peut pas précéder le dépôt '
        "de la demande, le 2 mars 2026" in html
    )
    response = client.post(url, data={**typed, "decided_on": "2026-03-19", "jap_opinion_on": "2026-03-21"})
    assert "ne peut pas être postérieur à la décision du 19 mars 2026" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(HostStructure.id))) == 0

    response = client.post(url, data={**typed, "decided_on": "2026-03-25", "jap_opinion_on": "2026-03-21"})
    assert response.status_code == 302
    db.session.expire_all()
    [structure] = db.session.scalars(sa.select(HostStructure)).all()
    assert structure.habilitation_ends_on == date(2031, 3, 25)
    detail = client.get(f"{BASE}/candidatures/{application.id}").get_data(as_text=True)
    assert "Décision du 25 mars 2026 – directeur du SPIP de la Gironde." in detail
    assert f"/espace-referent/structures/{structure.id}" in detail


# --- list, filters, exports, page ------------------------------------------------------------------


@pytest.fixture
def register(db, alice):
    """Five structures of the Gironde and one of the Nord, with different ends and posts."""
    today = _paris_today()
    in_three_months = add_months(today, 3) - timedelta(days=5 * 365 + 1)
    structures = {
        "valid": decided(today - timedelta(days=10), structure_name="Ressourcerie du Port", referent=alice),
        "soon": decided(in_three_months, structure_name="Jardins de Cenon", referent=alice, commune="Cenon"),
        "expired": decided(today - timedelta(days=6 * 365), structure_name="Ancienne Régie", referent=alice),
        "public": decided(
            today - timedelta(days=5),
            structure_name="Commune de Bègles",
            structure_type=StructureType.PUBLIC_BODY,
            referent=alice,
        ),
        "nord": decided(today - timedelta(days=3), "59", structure_name="Restos du Nord"),
    }
    structures["valid"].posts[0].minors_allowed = True
    db.session.commit()
    return structures


def _names(html: str, structures) -> set[str]:
    return {key for key, structure in structures.items() if structure.name in html}


def test_list_filters_search_and_scope(client, auth, register, alice):
    auth.login_as(alice)
    html = client.get(f"{BASE}/structures").get_data(as_text=True)
    assert _names(html, register) == {"valid", "soon", "expired", "public"}  # never the Nord
    assert "Structures d&#39;accueil" in html and "Expire bientôt" in html and "Habilitée de droit" in html

    def listed(**args):
        return _names(client.get(f"{BASE}/structures", query_string=args).get_data(as_text=True), register)

    assert listed(statut="valide") == {"valid"}
    assert listed(statut="expire_bientot") == {"soon"}
    assert listed(statut="expiree") == {"expired"}
    assert listed(statut="de_droit") == {"public"}
    assert listed(expire_dans="6") == {"soon"}
    assert listed(expire_dans="1") == set()
    assert listed(mineurs="oui") == {"valid"}
    assert listed(q="cenon") == {"soon"}
    assert listed(q=register["valid"].rna) == {"valid"}
    # Not one of her départements: refused next to the field, and the scope holds anyway.
    html = client.get(f"{BASE}/structures", query_string={"departement": "59"}).get_data(as_text=True)
    assert "Choisissez l&#39;un de vos départements" in html and "nord" not in _names(html, register)
    response = client.get(f"{BASE}/structures", query_string={"statut": "n-importe", "expire_dans": "7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choisissez un état de l&#39;habilitation dans la liste." in html
    assert client.get(f"{BASE}/structures/{register['nord'].id}").status_code == 404


def test_structure_page_shows_habilitation_posts_applications_and_history(client, auth, register, alice):
    auth.login_as(alice)
    structure = register["valid"]
    html = client.get(f"{BASE}/structures/{structure.id}").get_data(as_text=True)
    assert structure.name in html and "Valide" in html
    assert "Entretien des espaces verts 1" in html and "Paul Durand, Jardinier" in html
    assert "Entrée au registre" in html and "Habilitation accordée" in html and "par Alice Gironde" in html
    assert "Candidature TIG-" in html


def test_exports_of_the_structures_and_of_the_departemental_list_of_posts(client, auth, register, alice):
    auth.login_as(alice)
    response = client.get(f"{BASE}/structures/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Structure", "Type de structure", "SIRET"]
    assert {row[0] for row in rows[1:]} == {register[k].name for k in ("valid", "soon", "expired", "public")}
    valid_row = next(row for row in rows if row[0] == register["valid"].name)
    assert valid_row[7] == f"{register['valid'].habilitation_ends_on:%d/%m/%Y}" and valid_row[9] == "1"

    workbook = load_workbook(io.BytesIO(client.get(f"{BASE}/structures/export.xlsx").data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    end_column = header.index("Fin de l'habilitation")
    posts_column = header.index("Postes inscrits")
    values = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    valid = values[register["valid"].name]
    assert isinstance(valid[end_column].value, datetime) and valid[end_column].number_format == "dd/mm/yyyy"
    assert valid[end_column].value.date() == register["valid"].habilitation_ends_on
    assert valid[posts_column].value == 1 and isinstance(valid[posts_column].value, int)
    assert values[register["public"].name][end_column].value is None

    # The départemental list: the inscribed posts of the structures that may host today, never the expired.
    response = client.get(f"{BASE}/structures/postes.csv", query_string={"departement": "33"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Département", "Structure"] and "Tuteurs" in rows[0]
    assert {row[1] for row in rows[1:]} == {register[k].name for k in ("valid", "soon", "public")}
    workbook = load_workbook(io.BytesIO(client.get(f"{BASE}/structures/postes.xlsx").data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    first = [cell.value for cell in sheet[2]]
    assert isinstance(first[header.index("Heures par semaine")], int)
    assert isinstance(first[header.index("Inscrit le")], datetime)
    assert register["nord"].name not in {row[1].value for row in sheet.iter_rows(min_row=2)}


def test_the_side_menu_leads_to_the_register(client, auth, db, alice):
    auth.login_as(alice)
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert f'href="{BASE}/structures"' in html and "Structures d&#39;accueil" in html
