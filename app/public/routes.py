"""Public information pages. Texts live in the templates; facts and lists come from data."""
import sqlalchemy as sa
from flask import jsonify, render_template, request

from app import territories
from app.extensions import db
from app.public import bp


@bp.get("/")
def index():
    from app.webinars.services import upcoming_webinars

    return render_template("public/index.html", webinars=upcoming_webinars(limit=3))


@bp.get("/agence")
def agency():
    return render_template("public/agency.html")


@bp.get("/experimentation-ess")
def ess_experimentation():
    return render_template("public/ess_experimentation.html", departements=territories.experimental_departements())


@bp.get("/accueillir-un-tig")
def hosting():
    return render_template("public/hosting.html")


@bp.get("/referents")
def referents():
    query = request.args.get("q", "").strip()[:100]
    results = territories.search_departements(query)
    return render_template("public/referents.html", query=query, departements=results)


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
    return render_template("public/sitemap.html")


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok", database="ok")
