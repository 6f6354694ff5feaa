"""Public information pages. Texts live in the templates; facts and lists come from data."""

from flask import current_app, jsonify, render_template, request

from app import territories
from app.eligibility.engine import SOCIAL_UTILITY_PURPOSES, active_regime, all_regimes
from app.health import check_health
from app.public import bp
from app.public.forms import ReferentSearchForm
from app.public.france_map import build_tile_map
from app.public.pages import SITE_SECTIONS
from app.webinars.services import upcoming_webinars

# Key figures shown on the home page (sources: ministère de la Justice, see domain notes).
KEY_FIGURES = {
    "posts_2019": 18000,
    "posts_2023": 36000,
    "sentences_2022": 16560,
    "average_hours_2022": 93,
    "average_age_2022": 26,
}


@bp.get("/")
def index():
    return render_template("public/index.html", webinars=upcoming_webinars(limit=3), figures=KEY_FIGURES)


@bp.get("/agence")
def agency():
    return render_template("public/agency.html")


@bp.get("/experimentation-ess")
def ess_experimentation():
    return render_template(
        "public/ess_experimentation.html",
        regime=active_regime(),
        all_regimes=all_regimes(),
        purposes=SOCIAL_UTILITY_PURPOSES,
        tile_map=build_tile_map(),
    )


@bp.get("/accueillir-un-tig")
def hosting():
    return render_template("public/hosting.html")


@bp.get("/referents")
def referents():
    form = ReferentSearchForm(request.args)
    query = (form.q.data or "").strip()[:100]
    results = territories.search_departements(query)
    return render_template("public/referents.html", form=form, query=query, departements=results)


@bp.get("/mentions-legales")
def legal_notice():
    return render_template("public/legal_notice.html")


@bp.get("/accessibilite")
def accessibility():
    return render_template("public/accessibility.html")


@bp.get("/donnees-personnelles")
def personal_data():
    return render_template("public/personal_data.html")


@bp.get("/plan-du-site")
def sitemap():
    return render_template("public/sitemap.html", sections=SITE_SECTIONS)


@bp.get("/healthz")
def healthz():
    """For the load balancer and supervision: JSON, 503 only when the database is down (app/health.py)."""
    health = check_health(current_app._get_current_object())  # type: ignore[attr-defined]
    response = jsonify(health.as_dict())
    response.status_code = health.http_status
    response.headers["Cache-Control"] = "no-store"
    return response
