"""Login, second factor, logout, forgotten password, new password (reset and invitation)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for

from app.auth import bp, devices, services
from app.auth import session as auth_session
from app.auth.forms import CodeForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from app.auth.models import Referent
from app.extensions import db
from app.ratelimits import limit

security_log = logging.getLogger("app.auth.security")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path of this site (no scheme, no host, no ``//``), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def _client_ip() -> str:
    return request.remote_addr or "inconnue"


def _throttle_settings() -> dict:
    config = current_app.config
    return {
        "max_failures": config["LOGIN_MAX_FAILURES"],
        "max_failures_ip": config["LOGIN_MAX_FAILURES_PER_IP"],
        "lock_minutes": config["LOGIN_LOCK_MINUTES"],
        "device_cookie": request.cookies.get(devices.COOKIE_NAME),
        "secret_key": config["SECRET_KEY"],
        "device_max_age_seconds": _device_max_age(),
    }


def _device_max_age() -> int:
    return current_app.config["LOGIN_TRUSTED_DEVICE_DAYS"] * 86400


def _finish_login(referent: Referent, attempt, next_url: str | None):
    services.mark_logged_in(referent, attempt)
    db.session.commit()
    security_log.info("Connexion de %s depuis %s", referent.email, _client_ip())
    auth_session.start_session(session, referent)
    flash(f"Bienvenue, {referent.name}.", "success")
    response = redirect(next_url or url_for("backoffice.dashboard"))
    # This browser is now a trusted device of the account: its own lock from now on.
    response.set_cookie(
        devices.COOKIE_NAME,
        devices.remember(
            request.cookies.get(devices.COOKIE_NAME), referent, current_app.config["SECRET_KEY"], _device_max_age()
        ),
        max_age=_device_max_age(),
        path=f"{bp.url_prefix}/",  # sent only to the login pages' area
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/connexion", methods=["GET", "POST"])
@limit("login")
def login():
    next_url = safe_next(request.values.get("next"))
    if session.get(auth_session.REFERENT_ID) and request.method == "GET":
        return redirect(next_url or url_for("backoffice.dashboard"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            referent, attempt = services.authenticate(
                form.email.data, form.password.data, _client_ip(), **_throttle_settings()
            )
        except services.TooManyAttempts as exc:
            db.session.commit()
            security_log.warning("Connexion refusée (blocage) pour %r depuis %s", form.email.data, _client_ip())
            error, status = str(exc), 429
        except services.InvalidCredentials as exc:
            db.session.commit()
            security_log.info("Échec de connexion pour %r depuis %s", form.email.data, _client_ip())
            error = str(exc)
        else:
            if referent.totp_secret:
                db.session.commit()
                auth_session.start_mfa(session, referent, next_url)
                return redirect(url_for("auth.login_code"))
            return _finish_login(referent, attempt, next_url)
        form.password.data = ""
    return render_template(
        "auth/login.html", form=form, error=error, next_url=next_url, form_has_errors=bool(error)
    ), status


@bp.route("/connexion/code", methods=["GET", "POST"])
@limit("login")
def login_code():
    referent_id = auth_session.pending_mfa_referent_id(session)
    referent = db.session.get(Referent, referent_id) if referent_id else None
    if referent is None or not referent.is_active or not referent.totp_secret:
        auth_session.end_session(session)
        flash("Votre connexion a expiré. Saisissez de nouveau votre adresse et votre mot de passe.", "warning")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            attempt = services.reserve_code_attempt(referent, _client_ip(), **_throttle_settings())
        except services.TooManyAttempts as exc:
            auth_session.end_session(session)
            flash(str(exc), "error")
            return redirect(url_for("auth.login"))
        try:
            services.verify_totp(referent, form.code.data)
        except services.InvalidCode as exc:
            db.session.commit()  # the attempt stays written as a failure
            form.code.errors.append(str(exc))
        else:
            next_url = safe_next(session.get(auth_session.MFA_NEXT))
            return _finish_login(referent, attempt, next_url)
    return render_template("auth/login_code.html", form=form), status


@bp.post("/deconnexion")
def logout():
    services.revoke_session(session.get(auth_session.SESSION_ID))
    db.session.commit()
    auth_session.end_session(session)
    flash("Déconnexion effectuée. À bientôt sur l'espace référent.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limit("password_reset")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)  # the same work whatever the address
        db.session.commit()
        flash(
            "Si un compte actif correspond à cette adresse, un courriel va y être envoyé dans quelques minutes avec "
            "un lien pour choisir un nouveau mot de passe. Ce lien est valable "
            f"{current_app.config['ACCOUNT_TOKEN_HOURS']} heures.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


def _token_page(token: str, salt: str, max_age_seconds: int, kind: str):
    try:
        referent = services.load_token(token, current_app.config["SECRET_KEY"], salt, max_age_seconds)
    except services.InvalidToken as exc:
        return render_template("auth/invalid_link.html", message=str(exc), kind=kind), 410 if isinstance(
            exc, services.ExpiredToken
        ) else 404
    form = NewPasswordForm(account_email=referent.email)
    if form.validate_on_submit():
        services.set_password(referent, form.password.data)
        if kind == "reset":
            from app.auth.notifications import queue_security_notice

            queue_security_notice(referent, "votre mot de passe a été changé avec le lien « mot de passe oublié ».")
        db.session.commit()
        security_log.info("Mot de passe choisi par %s (%s)", referent.email, kind)
        auth_session.end_session(session)
        flash(
            "Votre mot de passe est enregistré. Connectez-vous avec votre adresse électronique et ce mot de passe.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/new_password.html", form=form, referent=referent, kind=kind)


@bp.route("/nouveau-mot-de-passe/<token:token>", methods=["GET", "POST"])
def reset_password(token: str):
    hours = current_app.config["ACCOUNT_TOKEN_HOURS"]
    return _token_page(token, services.RESET_SALT, hours * 3600, "reset")


@bp.route("/activer-mon-compte/<token:token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    days = current_app.config["ACCOUNT_INVITATION_DAYS"]
    return _token_page(token, services.INVITATION_SALT, days * 86400, "invitation")
