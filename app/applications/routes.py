from flask import render_template

from app.applications import bp


@bp.get("/candidature")
def start():
    return render_template("public/coming_soon.html", title="Déposer une candidature")
