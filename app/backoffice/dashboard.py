"""Back-office home (``/espace-referent/``): applications by status, the stale ones, the fill rate of
the coming webinars and the submissions of the last twelve months, within the référent's départements."""

from flask import render_template

from app.applications import stats
from app.applications.models import Application
from app.backoffice import bp
from app.backoffice.access import current_referent, scope_filter
from app.extensions import db
from app.formatting import utcnow
from app.webinars.services import fill_rates


@bp.get("/")
def dashboard():
    referent = current_referent()
    scope = scope_filter(Application.departement_code, referent)
    now = utcnow()
    monthly = stats.monthly_submissions(db.session, scope, now)
    stale_total, stale_rows = stats.stale_applications(db.session, scope, now)
    webinars = fill_rates(None if referent.is_admin else referent.departement_codes, now=now)
    return render_template(
        "backoffice/dashboard.html",
        status_counts=stats.status_counts(db.session, scope),
        stale_total=stale_total,
        stale_rows=stale_rows,
        stale_days=stats.STALE_DAYS,
        monthly=monthly,
        chart=stats.bar_chart(monthly),
        month_label=stats.month_label,
        webinars=webinars,
    )
