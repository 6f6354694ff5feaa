"""Back-office home (``/espace-referent/``). The page body belongs to the dashboard feature (D2):
it fills ``backoffice/dashboard.html`` and may add its context here."""
from flask import render_template

from app.backoffice import bp


@bp.get("/")
def dashboard():
    return render_template("backoffice/dashboard.html")
