"""The back-office dashboard: counts per status, stale applications, webinars' fill rate, monthly chart."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.applications import stats
from app.applications.models import Application
from app.applications.models import ApplicationStatus as S
from app.formatting import utcnow
from tests.factories import make_application, make_referent, make_webinar

URL = "/espace-referent/"


def test_monthly_submissions_buckets_in_paris_time(db):
    now = datetime(2026, 11, 25, 12)
    make_application("33", submitted_at=datetime(2026, 11, 3, 9))
    make_application("33", submitted_at=datetime(2026, 10, 31, 23, 30))  # 1 November 00:30 in Paris
    make_application("33", submitted_at=datetime(2026, 1, 10))
    make_application("33", submitted_at=datetime(2025, 11, 30))  # 13 months ago: outside
    make_application("33", status=S.DRAFT, submitted_at=datetime(2026, 11, 3))
    make_application("59", submitted_at=datetime(2026, 11, 3))
    result = stats.monthly_submissions(db.session, Application.departement_code.in_(["33"]), now)
    assert len(result) == 12
    assert result[0] == (date(2025, 12, 1), 0)
    assert result[-1] == (date(2026, 11, 1), 2)
    assert dict(result)[date(2026, 1, 1)] == 1
    assert sum(count for _, count in result) == 3


def test_bar_chart_geometry():
    chart = stats.bar_chart([(date(2026, 1, 1), 0), (date(2026, 2, 1), 4), (date(2026, 3, 1), 2)])
    assert [bar.value for bar in chart.bars] == [0, 4, 2]
    assert chart.bars[0].height == 0
    assert chart.bars[1].height == 2 * chart.bars[2].height
    assert chart.bars[1].y + chart.bars[1].height == chart.axis_y
    assert chart.bars[0].label == "janvier 2026"
    assert [value for _, value in chart.gridlines] == [0, 1, 2, 3, 4]
    empty = stats.bar_chart([(date(2026, 1, 1), 0)])
    assert empty.bars[0].height == 0


def test_dashboard_counts_stale_webinars_and_chart_scoped(client, db, auth):
    alice = make_referent(name="Alice Gironde", departements=("33",))
    bruno = make_referent(name="Bruno Nord", departements=("59",))
    admin = make_referent(name="Adèle Nationale", departements=(), is_admin=True)
    now = utcnow()
    make_application("33", structure_name="Nouvelle structure")
    make_application(
        "33",
        structure_name="Vieille structure",
        status=S.WAITING_APPLICANT,
        submitted_at=now - timedelta(days=40),
        status_changed_at=now - timedelta(days=20),
    )
    make_application(
        "33", structure_name="Dossier récent", status=S.IN_REVIEW, status_changed_at=now - timedelta(days=3)
    )
    make_application("33", structure_name="Ancien refus", status=S.REFUSED, status_changed_at=now - timedelta(days=60))
    make_application(
        "59", structure_name="Structure du Nord", status=S.IN_REVIEW, status_changed_at=now - timedelta(days=30)
    )
    make_application("33", status=S.DRAFT)
    webinar = make_webinar(capacity=20, departements=("33",), title="Accueillir des personnes en TIG en Gironde")

    auth.login_as(alice)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count("<h1") == 1
    # Counts per status, each a link to the filtered queue.
    tiles = dict(re.findall(r'statut=([a-z_]+)">[^<]+<span class="fr-sr-only"> : (\d+) candidatures?</span></a>', text))
    assert tiles["deposee"] == "1" and tiles["en_attente_demandeur"] == "1" and tiles["en_instruction"] == "1"
    assert tiles["refusee"] == "1" and tiles["habilitee"] == "0"
    assert "brouillon" not in tiles
    # Stale open applications highlighted; final ones and recent ones are not.
    stale = text[text.index('id="titre-attente"') : text.index('id="titre-webinaires"')]
    assert "Vieille structure" in stale and "bo-stale" in stale
    assert "Dossier récent" not in stale and "Ancien refus" not in stale and "Structure du Nord" not in stale
    # Webinars with their fill rate.
    assert webinar.title in text and "0&nbsp;sur&nbsp;20" in text and "0&nbsp;%" in text  # never broken
    # Accessible chart: SVG image with title and description, plus the data table.
    assert 'role="img" aria-labelledby="graphique-titre graphique-desc"' in text
    assert '<title id="graphique-titre">' in text and '<desc id="graphique-desc">' in text
    assert "Candidatures déposées par mois (données du graphique)" in text
    this_month = stats.month_label(date(now.year, now.month, 1)).capitalize()
    assert re.search(rf"<td>{this_month}</td><td>(\d+)</td>", text).group(1) == "3"

    auth.login_as(bruno)
    text = client.get(URL).get_data(as_text=True)
    assert "Structure du Nord" in text and "Vieille structure" not in text
    assert webinar.title not in text

    auth.login_as(admin)
    text = client.get(URL).get_data(as_text=True)
    assert "Structure du Nord" in text and "Vieille structure" in text and webinar.title in text
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 6
