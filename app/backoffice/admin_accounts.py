"""« Comptes »: national administrators list, invite, edit, deactivate and reactivate accounts."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from app import territories
from app.auth import services
from app.auth.forms import ReferentForm
from app.auth.models import Referent, ReferentDepartement
from app.auth.notifications import queue_invitation, queue_security_notice
from app.backoffice import bp
from app.backoffice.access import admin_required, current_referent
from app.database import page_number
from app.extensions import db
from app.forms import BaseForm, select_choices

PER_PAGE = 25
security_log = logging.getLogger("app.auth.security")
STATUS_CHOICES = select_choices(
    [("actifs", "Comptes actifs"), ("desactives", "Comptes désactivés"), ("tous", "Tous les comptes")]
)


class AccountFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField("Rechercher un nom ou une adresse", validators=[Optional()])
    departement = SelectField("Département", validators=[Optional()])
    statut = SelectField("Statut", choices=STATUS_CHOICES, default="actifs", validators=[Optional()])


class EditReferentForm(ReferentForm):
    """Same fields as the invitation, without the address (the login identifier stays)."""

    email = None


def _departement_choices():
    return territories.departement_choices(blank=None)


def _get_referent_or_404(referent_id: int) -> Referent:
    referent = db.session.get(Referent, referent_id)
    if referent is None:
        abort(404)
    return referent


@bp.get("/comptes")
@admin_required
def accounts_list():
    filters = AccountFilterForm(request.args)
    filters.departement.choices = territories.departement_choices(blank="Tous les départements")
    query = sa.select(Referent)
    if filters.q.data:
        pattern = f"%{filters.q.data.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(Referent.name).like(pattern), Referent.email.like(pattern)))
    if filters.departement.data:
        query = query.where(
            Referent.id.in_(
                sa.select(ReferentDepartement.referent_id).where(
                    ReferentDepartement.departement_code == filters.departement.data
                )
            )
        )
    status = filters.statut.data or "actifs"
    if status == "actifs":
        query = query.where(Referent.is_active.is_(True))
    elif status == "desactives":
        query = query.where(Referent.is_active.is_(False))
    query = query.order_by(Referent.is_admin.desc(), sa.func.lower(Referent.name))
    page = db.paginate(query, page=request.args.get("page", 1, type=page_number), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("backoffice/accounts/list.html", page=page, filters=filters, args=args)


@bp.route("/comptes/inviter", methods=["GET", "POST"])
@admin_required
def accounts_invite():
    form = ReferentForm()
    form.departements.choices = _departement_choices()
    if form.validate_on_submit():
        try:
            referent = services.create_referent(
                form.email.data, form.name.data, form.departements.data, is_admin=form.is_admin.data
            )
        except services.EmailTaken as exc:
            form.email.errors.append(str(exc))
        else:
            queue_invitation(referent, invited_by=current_referent())
            db.session.commit()
            security_log.info("Compte %s créé par %s", referent.email, current_referent().email)
            flash(
                f"Compte créé. Une invitation a été envoyée à {referent.email} pour choisir un mot de passe.", "success"
            )
            return redirect(url_for("backoffice.accounts_list"))
    return render_template("backoffice/accounts/invite.html", form=form)


@bp.route("/comptes/<int:referent_id>", methods=["GET", "POST"])
@admin_required
def accounts_edit(referent_id: int):
    referent = _get_referent_or_404(referent_id)
    form = EditReferentForm(obj=referent if request.method == "GET" else None)
    form.departements.choices = _departement_choices()
    if request.method == "GET":
        form.departements.data = referent.departement_codes
    is_self = referent.id == current_referent().id
    if form.validate_on_submit():
        if is_self and not form.is_admin.data:
            form.is_admin.errors.append("Vous ne pouvez pas retirer votre propre rôle d'administrateur national.")
        else:
            referent.name = form.name.data.strip()
            referent.is_admin = bool(form.is_admin.data)
            services.set_departements(referent, form.departements.data)
            db.session.commit()
            security_log.info(
                "Compte %s modifié par %s (administrateur : %s, départements : %s)",
                referent.email,
                current_referent().email,
                referent.is_admin,
                ",".join(referent.departement_codes),
            )
            flash(f"Le compte de {referent.name} est enregistré.", "success")
            return redirect(url_for("backoffice.accounts_list"))
    return render_template("backoffice/accounts/edit.html", form=form, referent=referent, is_self=is_self)


@bp.post("/comptes/<int:referent_id>/desactiver")
@admin_required
def accounts_deactivate(referent_id: int):
    referent = _get_referent_or_404(referent_id)
    if referent.id == current_referent().id:
        flash("Vous ne pouvez pas désactiver votre propre compte.", "error")
        return redirect(url_for("backoffice.accounts_edit", referent_id=referent.id))
    services.set_active(referent, False)
    db.session.commit()
    security_log.info("Compte %s désactivé par %s", referent.email, current_referent().email)
    flash(f"Le compte de {referent.name} est désactivé : il ne peut plus se connecter.", "success")
    return redirect(url_for("backoffice.accounts_edit", referent_id=referent.id))


@bp.post("/comptes/<int:referent_id>/reactiver")
@admin_required
def accounts_reactivate(referent_id: int):
    referent = _get_referent_or_404(referent_id)
    services.set_active(referent, True)
    db.session.commit()
    security_log.info("Compte %s réactivé par %s", referent.email, current_referent().email)
    flash(f"Le compte de {referent.name} est réactivé.", "success")
    return redirect(url_for("backoffice.accounts_edit", referent_id=referent.id))


@bp.post("/comptes/<int:referent_id>/invitation")
@admin_required
def accounts_resend_invitation(referent_id: int):
    referent = _get_referent_or_404(referent_id)
    if referent.password_hash or not referent.is_active:
        flash("Ce compte est déjà activé (ou désactivé) : aucune invitation n'a été envoyée.", "warning")
    else:
        queue_invitation(referent, invited_by=current_referent())
        db.session.commit()
        flash(f"Une nouvelle invitation a été envoyée à {referent.email}.", "success")
    return redirect(url_for("backoffice.accounts_edit", referent_id=referent.id))


@bp.post("/comptes/<int:referent_id>/double-authentification")
@admin_required
def accounts_reset_totp(referent_id: int):
    referent = _get_referent_or_404(referent_id)
    services.disable_totp(referent)
    queue_security_notice(referent, f"la double authentification a été désactivée par {current_referent().name}.")
    db.session.commit()
    security_log.info("Double authentification de %s désactivée par %s", referent.email, current_referent().email)
    flash(
        f"La double authentification de {referent.name} est désactivée. Il ou elle devra la réactiver "
        "à sa prochaine connexion si elle est obligatoire.",
        "success",
    )
    return redirect(url_for("backoffice.accounts_edit", referent_id=referent.id))
