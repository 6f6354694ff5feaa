"""The webinars in the back office: schedule, edit, cancel, registrations, waiting list, exports, mails.

A référent manages the webinars of their départements (a regional one lists the region's
départements); a national administrator manages all. Any other id answers 404.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for

from app.applications.exports import to_csv
from app.backoffice import bp
from app.backoffice.access import current_referent, get_in_scope_or_404
from app.backoffice.actions import Confirmation, perform
from app.database import page_number
from app.extensions import db
from app.formatting import paris_to_utc, short_datetime_fr, to_paris, utcnow
from app.mail.models import OutboxMessage
from app.territories import departement_label
from app.webinars import services
from app.webinars.forms import CancelWebinarForm, ConfirmForm, WebinarForm
from app.webinars.models import Registration, RegistrationStatus, Webinar

PER_PAGE = 20
STATUS_TABS = [
    ("confirmed", "Confirmés"),
    ("waiting", "Liste d'attente"),
    ("cancelled", "Annulés"),
    ("all", "Tous"),
]


def _webinar_or_404(webinar_id: int) -> Webinar:
    return get_in_scope_or_404(Webinar, webinar_id, lambda w: w.departement_codes)


def _scope_codes() -> list[str] | None:
    referent = current_referent()
    return None if referent.is_admin else referent.departement_codes


def _registration_of(webinar: Webinar, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.webinar_id != webinar.id:
        abort(404)
    return registration


def _form_data(form: WebinarForm) -> services.WebinarData:
    starts_at = paris_to_utc(datetime.combine(form.date.data, form.start_time.data))
    deadline = paris_to_utc(datetime.combine(form.deadline_date.data, form.deadline_time.data))
    return services.WebinarData(
        title=form.title.data,
        description=form.description.data or "",
        starts_at=starts_at,
        duration_minutes=form.duration_minutes.data,
        capacity=form.capacity.data,
        registration_deadline=deadline,
        waitlist_enabled=form.waitlist_enabled.data,
        organiser_name=form.organiser_name.data,
        organiser_email=form.organiser_email.data,
        hosts=form.hosts.data or "",
        audience=form.audience.data or "",
        departement_codes=form.departement_codes,
        region=form.scope_region,
        join_url=form.join_url.data or "",
    )


def _check_times(form: WebinarForm, data: services.WebinarData, *, creating: bool) -> bool:
    ok = True
    if creating and data.starts_at <= utcnow():
        form.date.errors.append("La date et l'heure du webinaire doivent être dans le futur.")
        ok = False
    if data.registration_deadline > data.starts_at:
        form.deadline_time.errors.append("L'heure limite d'inscription doit précéder le début du webinaire.")
        ok = False
    return ok


@bp.get("/webinaires")
def webinars_list():
    now = utcnow()
    period = request.args.get("periode", "a-venir")
    if period not in {"a-venir", "passes"}:
        period = "a-venir"
    query = services.scoped_webinars_query(_scope_codes())
    if period == "a-venir":
        query = query.where(Webinar.starts_at > now).order_by(Webinar.starts_at, Webinar.id)
    else:
        query = query.where(Webinar.starts_at <= now).order_by(Webinar.starts_at.desc(), Webinar.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=page_number), per_page=PER_PAGE, error_out=False)
    counts = services.seat_counts([w.id for w in page.items])
    cards = [services.WebinarCard(w, *counts.get(w.id, (0, 0))) for w in page.items]
    return render_template("backoffice/webinars/list.html", cards=cards, page=page, period=period)


@bp.route("/webinaires/nouveau", methods=["GET", "POST"])
def webinar_create():
    referent = current_referent()
    form = WebinarForm(referent)
    if request.method == "GET":
        form.organiser_email.data = referent.email
        form.organiser_name.data = referent.name
        if not referent.is_admin:
            form.departements.data = ", ".join(referent.departement_codes)
    if form.validate_on_submit():
        data = _form_data(form)
        if _check_times(form, data, creating=True):
            webinar = services.create_webinar(data)
            db.session.commit()
            flash(f"Le webinaire « {webinar.title} » est créé et publié.", "success")
            return redirect(url_for("backoffice.webinar_detail", webinar_id=webinar.id))
    return render_template("backoffice/webinars/form.html", form=form, webinar=None)


@bp.route("/webinaires/<int:webinar_id>/modifier", methods=["GET", "POST"])
def webinar_edit(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    if webinar.is_cancelled:
        flash("Ce webinaire est annulé : il ne peut plus être modifié.", "error")
        return redirect(url_for("backoffice.webinar_detail", webinar_id=webinar.id))
    form = WebinarForm(current_referent())
    if request.method == "GET":
        start, deadline = to_paris(webinar.starts_at), to_paris(webinar.registration_deadline)
        form.title.data = webinar.title
        form.description.data = webinar.description
        form.date.data, form.start_time.data = start.date(), start.time().replace(tzinfo=None)
        form.duration_minutes.data = webinar.duration_minutes
        form.capacity.data = webinar.capacity
        form.deadline_date.data, form.deadline_time.data = deadline.date(), deadline.time().replace(tzinfo=None)
        form.waitlist_enabled.data = webinar.waitlist_enabled
        form.organiser_name.data = webinar.organiser_name
        form.organiser_email.data = webinar.organiser_email
        form.hosts.data = webinar.hosts
        form.audience.data = webinar.audience
        form.region.data = webinar.region or ""
        form.departements.data = "" if webinar.region else ", ".join(webinar.departement_codes)
        form.join_url.data = webinar.join_url
    if form.validate_on_submit():
        data = _form_data(form)
        if _check_times(form, data, creating=False):
            try:
                changed = services.update_webinar(webinar.id, data)
            except services.CapacityTooLow as error:
                db.session.rollback()
                form.capacity.errors.append(error.message)
            else:
                db.session.commit()
                if changed:
                    flash(
                        "Les modifications sont enregistrées. Le nouvel horaire et l'invitation mise à jour sont "
                        "envoyés aux personnes inscrites.",
                        "success",
                    )
                else:
                    flash("Les modifications sont enregistrées.", "success")
                free = webinar.capacity - services.count_status(webinar.id, RegistrationStatus.CONFIRMED)
                waiting = services.count_status(webinar.id, RegistrationStatus.WAITING)
                if free > 0 and waiting:
                    flash(
                        f"{free} place{'s' if free > 1 else ''} libre{'s' if free > 1 else ''} et {waiting} "
                        f"personne{'s' if waiting > 1 else ''} en attente : attribuez les places avec le bouton "
                        "« Attribuer » ou une par une depuis la liste d'attente.",
                        "info",
                    )
                return redirect(url_for("backoffice.webinar_detail", webinar_id=webinar.id))
    return render_template("backoffice/webinars/form.html", form=form, webinar=webinar)


@bp.get("/webinaires/<int:webinar_id>")
def webinar_detail(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    status = request.args.get("statut", "confirmed")
    if status not in dict(STATUS_TABS):
        status = "confirmed"
    counts = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count(Registration.id))
            .where(Registration.webinar_id == webinar.id)
            .group_by(Registration.status)
        ).all()
    )
    tab_counts = {s.value: counts.get(s, 0) for s in RegistrationStatus}
    tab_counts["all"] = sum(counts.values())
    query = sa.select(Registration).where(Registration.webinar_id == webinar.id)
    if status != "all":
        query = query.where(Registration.status == RegistrationStatus(status))
    query = query.order_by(Registration.created_at, Registration.id)
    page = db.paginate(query, page=request.args.get("page", 1, type=page_number), per_page=50, error_out=False)
    confirmed = tab_counts["confirmed"]
    # Waiting positions for the page, computed once (no per-row query).
    waiting_ids = [r.id for r in services.waiting_list(webinar.id)] if tab_counts["waiting"] else []
    positions = {rid: index + 1 for index, rid in enumerate(waiting_ids)}
    return render_template(
        "backoffice/webinars/detail.html",
        webinar=webinar,
        page=page,
        status=status,
        tabs=STATUS_TABS,
        tab_counts=tab_counts,
        seats_free=max(webinar.capacity - confirmed, 0),
        positions=positions,
        action_form=ConfirmForm(),
        join_link_due=services.join_link_due_at(webinar),
        now=utcnow(),
    )


@bp.post("/webinaires/<int:webinar_id>/inscriptions/<int:registration_id>/promouvoir")
def webinar_promote(webinar_id: int, registration_id: int):
    webinar = _webinar_or_404(webinar_id)
    registration = _registration_of(webinar, registration_id)
    then = url_for("backoffice.webinar_detail", webinar_id=webinar.id, statut="waiting")
    if not ConfirmForm().validate_on_submit():
        return redirect(then)
    return perform(
        lambda: services.promote_registration(registration.id),
        success=f"{registration.full_name} a une place : la confirmation et l'invitation lui sont envoyées.",
        then=then,
    )


@bp.post("/webinaires/<int:webinar_id>/promouvoir-suivants")
def webinar_promote_next(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    then = url_for("backoffice.webinar_detail", webinar_id=webinar.id)
    if not ConfirmForm().validate_on_submit():
        return redirect(then)

    def confirmation(promoted: list) -> Confirmation:
        if not promoted:
            return "Aucune place libre ou personne en attente : rien n'a changé.", "info"
        many = len(promoted) > 1
        return f"{len(promoted)} personne{'s' if many else ''} de la liste d'attente {'ont' if many else 'a'} reçu une place."

    return perform(lambda: services.promote_next(webinar.id), success=confirmation, then=then)


@bp.post("/webinaires/<int:webinar_id>/inscriptions/<int:registration_id>/renvoyer-invitation")
def webinar_resend_invite(webinar_id: int, registration_id: int):
    webinar = _webinar_or_404(webinar_id)
    registration = _registration_of(webinar, registration_id)
    then = url_for("backoffice.webinar_detail", webinar_id=webinar.id)
    if not ConfirmForm().validate_on_submit():
        return redirect(then)
    return perform(
        lambda: services.resend_invite(registration.id),
        success=f"L'invitation est renvoyée à {registration.email}.",
        then=then,
    )


@bp.post("/webinaires/<int:webinar_id>/envoyer-lien")
def webinar_send_join_link(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    then = url_for("backoffice.webinar_detail", webinar_id=webinar.id)
    if not ConfirmForm().validate_on_submit():
        return redirect(then)

    def confirmation(sent: int) -> Confirmation:
        if not sent:
            return "Toutes les personnes confirmées ont déjà reçu le lien de connexion.", "info"
        return f"Le lien de connexion est envoyé à {sent} personne{'s' if sent > 1 else ''}."

    return perform(lambda: services.send_join_links_now(webinar.id), success=confirmation, then=then)


@bp.route("/webinaires/<int:webinar_id>/annuler", methods=["GET", "POST"])
def webinar_cancel(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    if webinar.is_cancelled:
        flash("Ce webinaire est déjà annulé.", "info")
        return redirect(url_for("backoffice.webinar_detail", webinar_id=webinar.id))
    form = CancelWebinarForm()
    if form.validate_on_submit():
        return perform(
            lambda: services.cancel_webinar(webinar.id, reason=form.reason.data or ""),
            success=lambda notified: (
                f"Le webinaire est annulé. {notified} personne{'s' if notified > 1 else ''} "
                f"{'sont prévenues' if notified > 1 else 'est prévenue'} par courriel."
            ),
            then=url_for("backoffice.webinar_detail", webinar_id=webinar.id),
        )
    active = services.count_status(webinar.id, RegistrationStatus.CONFIRMED) + services.count_status(
        webinar.id, RegistrationStatus.WAITING
    )
    return render_template("backoffice/webinars/cancel.html", webinar=webinar, form=form, active=active)


EXPORT_HEADERS = (
    "Statut",
    "Position en liste d'attente",
    "Nom",
    "Prénom",
    "Courriel",
    "Structure",
    "Type de structure",
    "Département",
    "Fonction",
    "Question",
    "Inscrit le",
    "Lien de connexion envoyé le",
    "Annulé le",
)


@bp.get("/webinaires/<int:webinar_id>/inscrits.csv")
def webinar_export_csv(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.webinar_id == webinar.id)
        .order_by(Registration.created_at, Registration.id)
    ).all()
    positions = {r.id: i + 1 for i, r in enumerate(services.waiting_list(webinar.id))}
    rows = []
    for r in registrations:
        rows.append(
            (
                r.status.short_label,
                positions.get(r.id, ""),
                r.last_name,
                r.first_name,
                r.email,
                r.structure_name,
                r.structure_type.label,
                departement_label(r.departement_code),
                r.role,
                r.question,
                short_datetime_fr(r.created_at),
                short_datetime_fr(r.join_link_sent_at),
                short_datetime_fr(r.cancelled_at),
            )
        )
    response = current_app.response_class(to_csv(rows, EXPORT_HEADERS), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="webinaire-{webinar.id}-inscrits.csv"'
    return response


@bp.get("/webinaires/<int:webinar_id>/courriels")
def webinar_mails(webinar_id: int):
    webinar = _webinar_or_404(webinar_id)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.webinar_id == webinar.id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=page_number), per_page=50, error_out=False)
    return render_template("backoffice/webinars/mails.html", webinar=webinar, page=page)
