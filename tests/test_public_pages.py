"""Public pages: status, titles, one <h1>, data-driven content, referents search, error pages, assets."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from markupsafe import escape

from app import territories
from app.extensions import db
from app.formatting import date_fr, datetime_fr, number_fr, short_datetime_fr, time_range_fr
from app.public.france_map import build_tile_map
from app.public.pages import SITE_SECTIONS
from app.static_assets import ONE_YEAR, dsfr_version
from tests.queries import recorded_statements

PUBLIC_URLS = {
    "/": "Accueil",
    "/agence": "L'agence du travail d'intérêt général (ATIGIP)",
    "/experimentation-ess": "Le TIG dans l'économie sociale et solidaire et les sociétés à mission",
    "/accueillir-un-tig": "Accueillir une personne en travail d'intérêt général",
    "/referents": "Référents TIG par département",
    "/mentions-legales": "Mentions légales",
    "/accessibilite": "Déclaration d'accessibilité",
    "/donnees-personnelles": "Données personnelles",
    "/plan-du-site": "Plan du site",
}


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "pas de <title>"
    return match.group(1).strip().replace("&#39;", "'")


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


def table_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr id=\"departement-([0-9AB]+)\">", body)


@pytest.mark.parametrize("url, title", PUBLIC_URLS.items())
def test_public_page_has_its_title_and_one_h1(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert title_of(response.text) == f"{title} – TIG Partenaires – Ministère de la Justice"
    assert h1_count(response.text) == 1


def test_titles_are_distinct(client):
    titles = {url: title_of(client.get(url).text) for url in PUBLIC_URLS}
    assert len(set(titles.values())) == len(titles)


def test_inner_pages_have_a_breadcrumb_and_home_has_none(client):
    assert "fr-breadcrumb" not in client.get("/").text
    for url in PUBLIC_URLS:
        if url != "/":
            html = client.get(url).text
            assert 'class="fr-breadcrumb"' in html, url
            assert 'aria-current="page"' in html.split('class="fr-breadcrumb"', 1)[1], url


def test_home_has_three_calls_to_action_and_key_figures(client):
    html = client.get("/").text
    for label, href in [
        ("Tester mon éligibilité", "/eligibilite"),
        ("Déposer une candidature", "/candidature"),
        ("M'inscrire à un webinaire", "/webinaires"),
    ]:
        assert f'<a href="{href}">{escape(label)}</a>' in html
    assert number_fr(36000) in html and number_fr(18000) in html and number_fr(16560) in html
    assert "93 heures" in html and "26 ans" in html
    assert "Voir tous les webinaires" in html


def test_home_shows_the_next_three_webinars(app, db, client):
    from datetime import timedelta

    from tests.factories import make_webinar

    assert "Aucun webinaire n'est programmé pour le moment" in client.get("/").text
    webinars = [make_webinar(starts_in=timedelta(days=days)) for days in (9, 3, 5, 7)]
    make_webinar(starts_in=timedelta(days=-2))  # past: never on the home page
    db.session.commit()
    html = client.get("/").text
    shown = [w.title for w in sorted(webinars, key=lambda w: w.starts_at)[:3]]
    assert [html.index(title) for title in shown] == sorted(html.index(title) for title in shown)
    assert webinars[0].title not in html  # the fourth one, in nine days
    assert "Aucun webinaire n'est programmé pour le moment" not in html


@pytest.mark.parametrize("regime_id", ["experimentation-2020", "ouverture-ess-2025"])
def test_ess_page_lists_the_regime_departements_and_draws_the_map(app, client, regime_id):
    from app.eligibility.engine import load_regime

    app.config["ELIGIBILITY_REGIME"] = regime_id
    regime = load_regime(regime_id)
    (listed,) = regime.departement_lists.values()
    html = client.get("/experimentation-ess").text
    listing = html.split(f'id="liste-{listed.key}"', 1)[1].split("</ul>", 1)[0]
    assert len(listed.codes) == 20
    for departement in listed.departements:
        assert f"{departement.code} – {departement.name}".replace("'", "&#39;") in listing
    assert listing.count("<li>") == 20
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg
    assert f'<title id="carte-{listed.key}-titre">' in svg
    assert f'aria-labelledby="carte-{listed.key}-titre carte-{listed.key}-description"' in svg
    assert svg.count('class="tig-map__tile tig-map__tile--on"') == 20
    assert svg.count('class="tig-map__tile') == 101
    for code in ("971", "972", "973", "974", "976", "2A", "2B"):
        assert f">{code}</text>" in svg
    for code in listed.codes:
        label = territories.get_departement(code).label.replace("'", "&#39;")
        assert f"<title>{label} (dans la liste)</title>" in svg
    assert "2019-222" in html and "2019-1462" in html


def test_tile_map_places_every_departement_once_without_overlap():
    tile_map = build_tile_map()
    codes = [tile.departement.code for tile in tile_map.tiles]
    assert sorted(codes) == sorted(d.code for d in territories.all_departements())
    positions = {(tile.x, tile.y) for tile in tile_map.tiles}
    assert len(positions) == 101
    assert all(
        t.x >= 0 and t.x + t.size <= tile_map.width and t.y >= 0 and t.y + t.size <= tile_map.height
        for t in tile_map.tiles
    )
    by_code = {tile.departement.code: tile for tile in tile_map.tiles}
    assert by_code["59"].y < by_code["75"].y < by_code["13"].y  # north above Paris above Marseille
    assert by_code["29"].x < by_code["75"].x < by_code["67"].x  # Brest west of Paris west of Strasbourg
    assert min(by_code[c].y for c in ("971", "972", "973", "974", "976")) > max(
        t.y for t in tile_map.tiles if not t.departement.is_overseas
    )


def test_hosting_page_has_faq_accordions_and_the_path(client):
    html = client.get("/accueillir-un-tig").text
    assert 'class="fr-accordions-group' in html
    questions = re.findall(r'class="fr-accordion__btn" aria-expanded="false" aria-controls="(faq-\d+)"', html)
    assert 8 <= len(questions) <= 12
    for target in questions:
        assert f'id="{target}"' in html
    assert "131-24" in html and "20 et 400 heures" in html and "18 mois" in html
    assert html.count('class="tig-timeline__step"') >= 4


@pytest.mark.parametrize(
    "query, code",
    [("gironde", "33"), ("33", "33"), ("2a", "2A"), ("Corse-du-Sud", "2A"), ("reunion", "974"), ("1", "01")],
)
def test_referents_search_finds_the_right_row(client, query, code):
    response = client.get("/referents", query_string={"q": query})
    assert response.status_code == 200
    rows = table_rows(response.text)
    assert rows == [code]
    email = territories.get_departement(code).referent_email
    assert f'<a href="mailto:{email}">{email}</a>' in response.text
    assert f'value="{query}"' in response.text  # what was typed stays in the field


def test_referents_without_query_lists_all_departements(client):
    rows = table_rows(client.get("/referents").text)
    assert len(rows) == 101
    assert rows[0] == "01" and rows[-1] == "976"


def test_referents_search_by_partial_name(client):
    rows = table_rows(client.get("/referents?q=savoie").text)
    assert rows == ["73", "74"]


def test_referents_no_result_message(client):
    response = client.get("/referents?q=atlantide")
    assert response.status_code == 200
    assert "Aucun résultat" in response.text
    assert "<table" not in response.text
    assert "Aucun département ne correspond à « atlantide »" in response.text


def test_referents_search_survives_odd_input(client):
    for query in ["<script>", "x" * 500, "%", "'", "  "]:
        response = client.get("/referents", query_string={"q": query})
        assert response.status_code == 200
        assert "<script>" not in response.text.split("<main", 1)[1]


def test_referents_search_field_has_label_and_hint(client):
    html = client.get("/referents").text
    assert '<label class="fr-label" for="q">Rechercher un département' in html
    assert "par exemple : 33 ou Gironde" in html
    assert 'method="get"' in html


def test_accessibility_page_shows_the_configured_status(app, client):
    app.config["ACCESSIBILITY_STATUS"] = "totalement conforme"
    html = client.get("/accessibilite").text
    assert "<strong>totalement conforme</strong>" in html
    assert "RGAA" in html and "4.1" in html and "axe-core" in html and "Défenseur des droits" in html


def test_accessibility_statement_without_audit_says_non_conforme_and_why(client):
    # No audit yet: the RGAA requires « non conforme »; « partiellement conforme » would need a list of
    # non-conformities that nobody has established.
    html = client.get("/accessibilite").text.replace("&#39;", "'")
    assert "<strong>non conforme</strong>" in html
    assert "Aucun audit de conformité au RGAA n'a encore été réalisé" in html
    assert "partiellement conforme" not in html and "Aucun contenu non accessible n'est connu" not in html
    assert "Accessibilité : non conforme" in html  # the footer says the same


def test_personal_data_page_uses_configured_retention(app, client):
    app.config["DRAFT_RETENTION_DAYS"] = 45
    app.config["WEBINAR_RETENTION_DAYS"] = 200
    html = client.get("/donnees-personnelles").text
    assert "45 jours après sa dernière modification" in html
    assert "200 jours après la date du webinaire" in html
    assert "CNIL" in html and "rectifi" in html and "opposer" in html


def test_legal_notice_names_editor_host_and_licence(client):
    html = client.get("/mentions-legales").text
    assert "ATIGIP" in html and "Directeur de la publication" in html
    assert "ministère de la Justice" in html.split("Hébergement", 1)[1]
    assert "à compléter" not in html
    assert "etalab" in html


def test_sitemap_lists_every_public_page(app, client):
    html = client.get("/plan-du-site").text
    with app.test_request_context():
        from flask import url_for

        for page in (page for section in SITE_SECTIONS for page in section.pages):
            assert f'<a href="{url_for(page.endpoint)}">' in html
    for url in PUBLIC_URLS:
        assert f'<a href="{url}">' in html


def test_healthz_answers_json_after_a_database_round_trip(app, client):
    with recorded_statements(db.engine) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    # The embedded defaults: counters in memory (no Redis to check), files in a local folder.
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "non utilisé", "storage": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "SELECT 1" in statements


def test_404_page_in_french(client):
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    assert "Page non trouvée" in response.text
    assert title_of(response.text).startswith("Page non trouvée (erreur 404)")
    assert h1_count(response.text) == 1
    assert 'lang="fr"' in response.text


def test_405_page_in_french(client):
    response = client.post("/agence")
    assert response.status_code == 405
    assert "Méthode non autorisée" in response.text
    assert h1_count(response.text) == 1


def test_view_that_raises_gives_the_french_500_page(app):
    @app.get("/test-erreur")
    def broken_view():
        raise RuntimeError("boom")

    response = app.test_client().get("/test-erreur")
    assert response.status_code == 500
    assert "Erreur inattendue" in response.text
    assert "boom" not in response.text
    assert h1_count(response.text) == 1


@pytest.mark.parametrize(
    "code, title",
    [
        (400, "Requête incorrecte"),
        (403, "Accès refusé"),
        (413, "Fichier trop volumineux"),
        (503, "Service momentanément indisponible"),
    ],
)
def test_other_error_pages_in_french(app, code, title):
    from flask import abort

    @app.get(f"/test-abort-{code}")
    def aborting():
        abort(code)

    response = app.test_client().get(f"/test-abort-{code}")
    assert response.status_code == code
    assert f"<h1>{title}</h1>" in response.text
    assert f"Erreur {code}" in response.text


def test_dsfr_assets_are_served_with_long_cache(app, client):
    version = dsfr_version(app.config["DSFR_DIST"])
    assert version != "0"
    response = client.get(f"/dsfr/{version}/dsfr.min.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert f"max-age={ONE_YEAR}" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert b".fr-header" in response.data


@pytest.mark.parametrize(
    "path",
    ["/dsfr/0.0.1/dsfr.min.css", "/dsfr/{v}/dsfr.min.css.map", "/dsfr/{v}/../package.json", "/dsfr/{v}/absent.css"],
)
def test_dsfr_assets_refuse_wrong_version_suffix_or_path(app, client, path):
    version = dsfr_version(app.config["DSFR_DIST"])
    response = client.get(path.format(v=version))
    assert response.status_code == 404


def test_dates_and_numbers_in_french():
    assert date_fr(date(2022, 2, 2)) == "mercredi 2 février 2022"
    assert date_fr(date(2022, 2, 2), "long") == "2 février 2022"
    # Stored naive UTC, shown in Paris time (UTC+1 in winter, UTC+2 in summer).
    assert datetime_fr(datetime(2022, 2, 2, 13, 30)) == "mercredi 2 février 2022 à 14 h 30"
    assert datetime_fr(datetime(2022, 7, 6, 12, 0)) == "mercredi 6 juillet 2022 à 14 h 00"
    assert time_range_fr(datetime(2022, 2, 2, 13, 30), datetime(2022, 2, 2, 15, 0)) == (
        "mercredi 2 février 2022, de 14 h 30 à 16 h 00 (heure de Paris)"
    )
    # Tables too write hours "14 h 30" (the applicant's history showed "25/11/2026 13:04").
    assert short_datetime_fr(datetime(2022, 2, 2, 13, 30)) == "02/02/2022 à 14 h 30"
    assert short_datetime_fr(datetime(2022, 7, 6, 7, 5)) == "06/07/2022 à 9 h 05"
    assert number_fr(36000) == "36\u202f000"
    assert date_fr(None) == "" and datetime_fr(None) == ""
    # The first of the month is written "1er" in French.
    assert date_fr(date(2022, 2, 1)) == "mardi 1er février 2022"
    assert date_fr(date(2022, 3, 1), "long") == "1er mars 2022"


def test_too_large_page_states_the_configured_limit(app):
    from flask import abort

    app.config["UPLOAD_MAX_BYTES"] = 4 * 1024 * 1024

    @app.get("/test-abort-413-limit")
    def too_large():
        abort(413)

    assert "4 Mo au plus" in app.test_client().get("/test-abort-413-limit").text


def test_search_field_is_not_marked_optional(client):
    # In a search form every field is optional: the "(optionnel)" marker would only add noise.
    text = client.get("/referents").text
    assert "Rechercher un département" in text
    assert "Rechercher un département (optionnel)" not in text
