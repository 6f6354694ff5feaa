"""Public webinar pages: listing, details + registration, calendar file, registration management."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import contains_eager, lazyload

from app.database import read_only_request
from app.extensions import csrf, db
from app.formatting import utcnow
from app.ratelimits import limit
from app.territories import get_departement, normalize_code
from app.urls import absolute_url
from app.webinars import bp, ical, services
from app.webinars.forms import ConfirmForm, RegistrationForm
from app.webinars.models import Registration, RegistrationStatus, Webinar

# Flash category of the messages shown inside the page's own status box or form section (_flashes.html
# leaves "page:" messages to the page): one alert per event.
REGISTRATION_NOTICE = "page:inscription"


@cache
def _webinar_query():
    """A webinar by ``id``, built once; its départements are read by the page only (a POST that registers
    never needs them)."""
    return db.select(Webinar).options(lazyload(Webinar.departements)).filter(Webinar.id == sa.bindparam("id"))


@cache
def _registration_query():
    """A registration by its ``token``, with its webinar in the same query (every page of a
    registration shows it), not the départements (none of these pages shows them). Built once."""
    return (
        db.select(Registration)
        .join(Registration.webinar)
        .options(contains_eager(Registration.webinar).lazyload(Webinar.departements))
        .filter(Registration.token == sa.bindparam("token"))
    )


def _registration_or_404(token: str) -> Registration:
    registration = db.session.scalar(_registration_query(), {"token": token})
    if registration is None:
        abort(404)
    return registration


def _calendar_response(data: bytes, method: str, filename: str) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Type"] = ical.content_type(method)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/webinaires")
def index():
    code = normalize_code(request.args.get("departement"))
    departement = get_departement(code) if code else None
    upcoming, past = services.public_webinars(departement.code if departement else None)
    return render_template("webinars/index.html", upcoming=upcoming, past=past, departement=departement)


@bp.route("/webinaires/<int:webinar_id>", methods=["GET", "POST"])
@csrf.exempt  # RegistrationForm checks its token: a failed check shows the form back as typed
@limit("registration")  # POSTs only: each one may send a mail
def detail(webinar_id: int):
    webinar = db.session.scalars(_webinar_query(), {"id": webinar_id}).one_or_none()
    if webinar is None:
        abort(404)
    now = utcnow()
    form = RegistrationForm()
    if request.method == "GET" and len(webinar.departement_codes) == 1:
        form.departement.data = webinar.departement_codes[0]  # the likely answer, still editable
    if webinar.registration_open(now) and form.validate_on_submit():
        data = services.RegistrationData(
            last_name=form.last_name.data,
            first_name=form.first_name.data,
            email=form.email.data,
            structure_name=form.structure_name.data,
            structure_type=form.structure_type_enum,
            departement_code=form.departement.data,
            role=form.role.data,
            question=form.question.data or "",
        )
        try:
            services.register(webinar.id, data)
        except services.AlreadyRegistered as error:
            services.send_management_link(error.registration)
        except services.WebinarError as error:
            db.session.rollback()
            flash(error.message, "error")
            # The fragment names the message: the form's own address ends in #inscription, which the browser
            # would otherwise keep across the redirect and scroll to instead.
            return redirect(url_for("webinars.detail", webinar_id=webinar.id, _anchor="message-inscription"))
        db.session.commit()
        # The same answer whether the address was already registered or not (nobody learns who is): the
        # status, the waiting-list position and the management link go to the address, by mail. Shown
        # above the form, where the person is looking: the page opens with the focus on it.
        flash(
            f"Votre demande d'inscription est enregistrée. Un courriel vient d'être envoyé à {form.email.data} : il "
            "indique si votre place est confirmée ou si vous êtes sur la liste d'attente, avec le lien pour consulter "
            "ou annuler votre inscription. Sans nouvelles d'ici quelques minutes, vérifiez vos courriers indésirables.",
            REGISTRATION_NOTICE,
        )
        return redirect(url_for("webinars.detail", webinar_id=webinar.id, _anchor="message-inscription"))
    if request.method == "POST" and not webinar.registration_open(now):
        flash("Les inscriptions à ce webinaire sont closes.", "error")
        return redirect(url_for("webinars.detail", webinar_id=webinar.id))
    confirmed, waiting = services.seat_counts([webinar.id])[webinar.id]
    card = services.WebinarCard(webinar, confirmed, waiting)
    return render_template("webinars/detail.html", webinar=webinar, card=card, form=form, now=now)


@bp.get("/webinaires/<int:webinar_id>/calendrier.ics")
def calendar(webinar_id: int):
    webinar = db.get_or_404(Webinar, webinar_id)
    data = ical.publish_for(webinar, now=utcnow(), page_url=absolute_url("webinars.detail", webinar_id=webinar.id))
    return _calendar_response(data, "PUBLISH", f"webinaire-{webinar.id}.ics")


@cache
def _manage_query():
    return _registration_query().add_columns(Registration.waiting_position_column())


@bp.get("/inscription/<token:token>")
def manage(token: str):
    read_only_request()
    row = db.session.execute(_manage_query(), {"token": token}).first()
    if row is None:
        abort(404)
    registration, position = row
    return render_template(
        "webinars/manage.html",
        registration=registration,
        webinar=registration.webinar,
        can_cancel=services.can_cancel(registration),
        position=position if registration.status is RegistrationStatus.WAITING else None,
    )


@bp.get("/inscription/<token:token>/invitation.ics")
def invitation(token: str):
    registration = _registration_or_404(token)
    if registration.status is not RegistrationStatus.CONFIRMED or registration.webinar.is_cancelled:
        abort(404)
    data = ical.request_for(
        registration.webinar,
        ical.Attendee(registration.full_name, registration.email),
        now=utcnow(),
        page_url=absolute_url("webinars.manage", token=registration.token),
    )
    return _calendar_response(data, "REQUEST", "invitation.ics")


@bp.route("/inscription/<token:token>/annuler", methods=["GET", "POST"])
def cancel(token: str):
    registration = _registration_or_404(token)
    form = ConfirmForm()
    if registration.status is RegistrationStatus.CANCELLED:
        # An old cancel link opened again: nothing went wrong, nothing is left to do.
        flash("Cette inscription était déjà annulée : vous n'avez rien d'autre à faire.", REGISTRATION_NOTICE)
        return redirect(url_for("webinars.manage", token=token))
    if not services.can_cancel(registration):
        flash("Cette inscription ne peut plus être annulée en ligne.", REGISTRATION_NOTICE)
        return redirect(url_for("webinars.manage", token=token))
    if form.validate_on_submit():
        try:
            services.cancel_registration(registration.id)
        except services.WebinarError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("webinars.manage", token=token))
        db.session.commit()
        flash("Un courriel de confirmation de l'annulation vient de vous être envoyé.", REGISTRATION_NOTICE)
        return redirect(url_for("webinars.manage", token=token))
    return render_template("webinars/cancel.html", registration=registration, webinar=registration.webinar, form=form)
