"""The référents' back office: ONE blueprint, guarded as a whole.

Every route attached to ``bp`` (in the modules imported at the bottom, one per resource) is
behind ``guard()``: anonymous visitors are sent to the login page (with ``next``), a deactivated
account or a password changed elsewhere ends the session, and a session idle for longer than
``SESSION_IDLE_MINUTES`` expires, as does any session older than ``SESSION_MAX_HOURS`` or ended by
« Se déconnecter » (its id is on the revoked list). ``g.referent`` is the logged-in account; use the helpers of
``app.backoffice.access`` (``current_referent``, ``require_admin``, ``scope_filter``,
``get_in_scope_or_404``) rather than reading it directly.
"""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for

from app.auth import session as auth_session
from app.auth.models import Referent
from app.auth.services import is_revoked
from app.extensions import db

bp = Blueprint("backoffice", __name__, url_prefix="/espace-referent")

# Endpoints reachable while TOTP enrolment is still required (TOTP_REQUIRED=true).
TOTP_ENROLMENT_ENDPOINTS = {"backoffice.totp_setup"}


def _login_redirect():
    """To the login page, coming back here afterwards: the same page for a GET; for a form sent
    after the session ended, the page of that address when it has one, else the dashboard."""
    if request.method == "GET":
        target = request.full_path[:-1] if request.full_path.endswith("?") else request.full_path
    else:
        try:
            current_app.url_map.bind("localhost").match(request.path, method="GET")
            target = request.path
        except Exception:  # POST-only address (an action): back to the dashboard
            target = url_for("backoffice.dashboard")
    return redirect(url_for("auth.login", next=target))


@bp.before_request
def guard():
    referent_id = session.get(auth_session.REFERENT_ID)
    if not referent_id:
        flash("Connectez-vous pour accéder à l'espace référent.", "info")
        return _login_redirect()

    now = time.time()
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    last_seen = session.get(auth_session.LAST_SEEN) or 0
    if now - last_seen > idle_limit:
        auth_session.end_session(session)
        flash(
            f"Votre session a expiré après {current_app.config['SESSION_IDLE_MINUTES']} minutes d'inactivité. "
            "Connectez-vous de nouveau.",
            "warning",
        )
        return _login_redirect()

    if now - (session.get(auth_session.AUTHENTICATED_AT) or 0) > current_app.config["SESSION_MAX_HOURS"] * 3600:
        auth_session.end_session(session)
        flash(
            f"Par sécurité, une session dure au plus {current_app.config['SESSION_MAX_HOURS']} heures. "
            "Connectez-vous de nouveau.",
            "warning",
        )
        return _login_redirect()

    referent = db.session.get(Referent, referent_id)
    if (
        referent is None
        or not referent.is_active
        or not auth_session.matches_account(session, referent)
        or is_revoked(session.get(auth_session.SESSION_ID))
    ):
        auth_session.end_session(session)
        flash("Votre session a pris fin. Connectez-vous de nouveau.", "warning")
        return _login_redirect()

    session[auth_session.LAST_SEEN] = int(now)
    g.referent = referent

    if (
        current_app.config.get("TOTP_REQUIRED")
        and not referent.totp_secret
        and request.endpoint not in TOTP_ENROLMENT_ENDPOINTS
    ):
        flash("La double authentification est obligatoire : activez-la pour accéder à l'espace référent.", "warning")
        return redirect(url_for("backoffice.totp_setup"))
    return None


@bp.after_request
def no_store(response):
    """Back-office pages hold personal data: never kept by browsers or proxies."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# Side menu: (label, endpoint, administrators only); an item is active on its page and the pages below it.
MENU = [
    ("Tableau de bord", "backoffice.dashboard", False),
    ("Candidatures", "backoffice.applications_queue", False),
    ("Structures d'accueil", "backoffice.structures_list", False),
    ("Webinaires", "backoffice.webinars_list", False),
    ("Mon compte", "backoffice.account", False),
    ("Comptes", "backoffice.accounts_list", True),
]


@bp.app_context_processor
def backoffice_menu():
    def bo_menu():
        referent = g.get("referent")
        if referent is None:
            return []
        items = []
        for label, endpoint, admin_only in MENU:
            if admin_only and not referent.is_admin:
                continue
            url = url_for(endpoint)
            if endpoint == "backoffice.dashboard":
                active = request.path == url
            else:
                active = request.path == url or request.path.startswith(url + "/")
            items.append({"label": label, "url": url, "active": active})
        return items

    return {"bo_menu": bo_menu}


# The back office's pages, one module per resource (imported last: they attach their routes to ``bp``).
from app.backoffice import accounts, admin_accounts, applications, dashboard, structures, webinars  # noqa: E402,F401
