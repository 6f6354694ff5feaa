from flask import render_template

from app.eligibility import bp


@bp.get("/eligibilite")
def checker():
    return render_template("public/coming_soon.html", title="Tester mon éligibilité")
