"""Accounts in the back office: « Mon compte » (every référent) and « Comptes » (administrators)."""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, session, url_for

from app.auth import services
from app.auth import session as auth_session
from app.auth.forms import ChangePasswordForm, CodeForm, NotificationsForm, TotpDisableForm
from app.auth.notifications import queue_security_notice
from app.auth.passwords import verify_password
from app.backoffice import bp
from app.backoffice.access import current_referent
from app.extensions import db

TOTP_PENDING_SECRET = "totp_pending_secret"
security_log = logging.getLogger("app.auth.security")


def _account_page(**forms):
    referent = current_referent()
    # The forms not submitted are built without the request's data (formdata=None): otherwise, after a POST of
    # another form of the page, the notifications box came back unticked, since it was absent from that POST.
    if "notifications_form" not in forms:
        forms["notifications_form"] = NotificationsForm(formdata=None, obj=referent, prefix="notifications")
    if "password_form" not in forms:
        forms["password_form"] = ChangePasswordForm(formdata=None, account_email=referent.email, prefix="password")
    if "totp_disable_form" not in forms:
        forms["totp_disable_form"] = TotpDisableForm(formdata=None, prefix="totp")
    has_errors = any(form.errors for form in forms.values())
    return render_template("backoffice/account.html", referent=referent, form_has_errors=has_errors, **forms)


@bp.get("/mon-compte")
def account():
    return _account_page()


@bp.post("/mon-compte/notifications")
def account_notifications():
    referent = current_referent()
    form = NotificationsForm(prefix="notifications")
    if form.validate_on_submit():
        referent.notify_new_applications = bool(form.notify_new_applications.data)
        db.session.commit()
        flash(
            "Vous recevrez un courriel pour chaque nouvelle candidature et chaque nouveau message."
            if referent.notify_new_applications
            else "Vous ne recevrez plus de courriel pour les nouvelles candidatures et les nouveaux messages.",
            "success",
        )
        return redirect(url_for("backoffice.account"))
    return _account_page(notifications_form=form)


@bp.post("/mon-compte/mot-de-passe")
def account_password():
    referent = current_referent()
    form = ChangePasswordForm(account_email=referent.email, prefix="password")
    if form.validate_on_submit():
        try:
            services.change_password(referent, form.current_password.data, form.password.data)
        except services.InvalidCredentials:
            form.current_password.errors.append("Le mot de passe actuel est incorrect.")
        else:
            queue_security_notice(referent, "votre mot de passe a été modifié.")
            db.session.commit()
            security_log.info("Mot de passe modifié par %s", referent.email)
            auth_session.start_session(session, referent)  # stays logged in here; other sessions end
            flash("Votre mot de passe est modifié. Vos autres sessions ouvertes sont fermées.", "success")
            return redirect(url_for("backoffice.account"))
    return _account_page(password_form=form)


@bp.route("/mon-compte/double-authentification", methods=["GET", "POST"])
def totp_setup():
    referent = current_referent()
    if referent.totp_secret:
        flash("La double authentification est déjà activée sur votre compte.", "info")
        return redirect(url_for("backoffice.account"))
    secret = session.get(TOTP_PENDING_SECRET)
    if not secret:
        secret = services.new_totp_secret()
        session[TOTP_PENDING_SECRET] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.enable_totp(referent, secret, form.code.data)
        except services.InvalidCode as exc:
            form.code.errors.append(str(exc))
        else:
            queue_security_notice(referent, "la double authentification a été activée.")
            db.session.commit()
            security_log.info("Double authentification activée par %s", referent.email)
            session.pop(TOTP_PENDING_SECRET, None)
            flash("La double authentification est activée : un code vous sera demandé à chaque connexion.", "success")
            return redirect(url_for("backoffice.account"))
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "backoffice/totp_setup.html",
        form=form,
        secret=grouped,
        uri=services.totp_uri(secret, referent.email),
        required=current_app.config.get("TOTP_REQUIRED"),
    )


@bp.post("/mon-compte/double-authentification/desactiver")
def totp_disable():
    referent = current_referent()
    if current_app.config.get("TOTP_REQUIRED"):
        flash("La double authentification est obligatoire : elle ne peut pas être désactivée.", "error")
        return redirect(url_for("backoffice.account"))
    form = TotpDisableForm(prefix="totp")
    if form.validate_on_submit():
        if verify_password(referent.password_hash, form.password.data):
            services.disable_totp(referent)
            queue_security_notice(referent, "la double authentification a été désactivée.")
            db.session.commit()
            security_log.info("Double authentification désactivée par %s", referent.email)
            flash("La double authentification est désactivée.", "success")
            return redirect(url_for("backoffice.account"))
        form.password.errors.append("Le mot de passe actuel est incorrect.")
    return _account_page(totp_disable_form=form)
