from flask import render_template

from app.webinars import bp


@bp.get("/webinaires")
def index():
    return render_template("public/coming_soon.html", title="Webinaires d'information")
