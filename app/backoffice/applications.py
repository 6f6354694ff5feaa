"""The référents' review of applications: queue, detail, actions, messages, notes, documents,
attestation and exports. Thin views: form → service (app.applications.review) → flash → redirect.

Scope: every query goes through ``scope_filter`` and every id through ``get_in_scope_or_404``: an
application of another département does not exist for the référent (404).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from app.applications import registry_check, review, stored_files
from app.applications.attestation import AttestationUnavailable, attestation_filename, attestation_pdf
from app.applications.documents import requirement_labels, requirements, supporting_documents
from app.applications.exports import row_values, to_csv, to_xlsx
from app.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationMessage,
    ApplicationNote,
    ApplicationPost,
    ApplicationStatus,
)
from app.applications.queue import (
    DEFAULT_SORT,
    DEFAULT_TAB,
    SORTS,
    TAB_LABELS,
    TABS,
    QueueFilters,
    page_window,
    queue_page,
    queue_select,
    tab_counts,
    with_search_done,
)
from app.applications.uploads import UploadRefused, download_response, has_file, human_size
from app.applications.validators import format_phone
from app.applications.workflow import OPEN_STATUSES, TransitionNotAllowed, allowed_transitions, get_transition
from app.backoffice import bp
from app.backoffice.access import current_referent, get_in_scope_or_404, in_scope, scope_filter
from app.backoffice.actions import DOMAIN_ERRORS, perform
from app.backoffice.application_forms import (
    ActionForm,
    ApprovalForm,
    ComplementsForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
)
from app.companies.facts import SOURCE_DETAIL
from app.companies.web import lookups_enabled, registry_access
from app.database import lock_for_update, page_number
from app.eligibility.engine import SOCIAL_UTILITY_PURPOSES, EligibilityPath
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import utcnow
from app.forms import choice_labels, select_choices
from app.ratelimits import limit
from app.structures.facts import Approval, DecisionFacts, InvalidFacts
from app.structures.register import structure_of
from app.territories import all_departements


def _scope():
    return scope_filter(Application.departement_code)


def _my_departement_codes() -> list[str]:
    referent = current_referent()
    if referent.is_admin:
        return [d.code for d in all_departements()]
    return referent.departement_codes


def _filters_from_request() -> tuple[QueueFilterForm, QueueFilters]:
    form = QueueFilterForm(_my_departement_codes(), formdata=request.args or None)
    filters = QueueFilters()
    tab = request.args.get("onglet", DEFAULT_TAB)
    filters.tab = tab if tab in TAB_LABELS else DEFAULT_TAB
    form.onglet.data = filters.tab
    filters.page = request.args.get("page", 1, type=page_number)  # 1 to 1,000,000: a huge number overflows SQL
    if request.args:
        form.validate()
    # Only valid values reach the query; invalid ones are shown as errors next to their field.
    if not form.q.errors:
        filters.q = (form.q.data or "").strip()
    for name, attribute in (("departement", "departement"), ("type_structure", "structure_type"), ("statut", "status")):
        field = getattr(form, name)
        if field.data and not field.errors and field.data in choice_labels(field.choices):
            setattr(filters, attribute, field.data)
    if not form.du.errors:
        filters.submitted_from = form.du.data
    if not form.au.errors:
        filters.submitted_to = form.au.data
    filters.sort = form.tri.data if form.tri.data in dict(SORTS) else DEFAULT_SORT
    form.tri.data = filters.sort
    return form, filters


@bp.get("/candidatures")
def applications_queue():
    form, filters = _filters_from_request()
    referent = current_referent()
    filters = with_search_done(db.session, filters, _scope())
    counts = tab_counts(db.session, filters, _scope(), referent.id)
    page = queue_page(db.session, filters, _scope(), referent.id)
    return render_template(
        "backoffice/applications/queue.html",
        form=form,
        filters=filters,
        tabs=TABS,
        counts=counts,
        page=page,
        window=page_window(page.page, page.pages),
    )


def _export_rows(filters: QueueFilters):
    posts_count = (
        sa.select(sa.func.count(ApplicationPost.id))
        .where(ApplicationPost.application_id == Application.id)
        .correlate(Application)
        .scalar_subquery()
        .label("posts_count")
    )
    select = queue_select(
        filters,
        _scope(),
        current_referent().id,
        Application.contact_first_name,
        Application.contact_last_name,
        Application.contact_email,
        Application.contact_phone,
        posts_count,
    )
    return [row_values(row) for row in db.session.execute(select)]


def _export_name(extension: str) -> str:
    return f"candidatures-{utcnow():%Y-%m-%d}.{extension}"


@bp.get("/candidatures/export.csv")
def applications_export_csv():
    _form, filters = _filters_from_request()
    data = to_csv(_export_rows(filters))
    response = current_app.response_class(data, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/candidatures/export.xlsx")
def applications_export_xlsx():
    _form, filters = _filters_from_request()
    data = to_xlsx(_export_rows(filters))
    response = current_app.response_class(
        data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- detail ------------------------------------------------------------------------------------------


def _get_application(application_id: int) -> Application:
    application = get_in_scope_or_404(Application, application_id, lambda a: a.departement_code)
    if application.status is ApplicationStatus.DRAFT:
        abort(404)  # drafts belong to the applicant until submitted
    return application


def _lock_application(application_id: int) -> Application:
    """For a change: take the write lock first, then read the application (its status cannot change
    under us: two référents deciding at once are served one after the other, the second sees the
    new status and gets a clear message)."""
    application = lock_for_update(Application, application_id)
    if (
        application is None
        or application.status is ApplicationStatus.DRAFT
        or not in_scope(application.departement_code)
    ):
        abort(404)
    return application


def _load_detail(application_id: int) -> Application:
    """The application with everything the page shows, in a bounded number of queries."""
    _get_application(application_id)
    return db.session.scalars(
        sa.select(Application)
        .where(Application.id == application_id)
        .options(
            selectinload(Application.posts),
            selectinload(Application.documents),
            selectinload(Application.events),
            selectinload(Application.messages).selectinload(ApplicationMessage.attachments),
            selectinload(Application.messages).selectinload(ApplicationMessage.referent),
            selectinload(Application.notes).selectinload(ApplicationNote.referent),
            selectinload(Application.assigned_referent),
            selectinload(Application.decided_by),
        )
        .execution_options(populate_existing=True)
    ).one()


def _complements_form(application: Application, formdata=None) -> ComplementsForm:
    form = ComplementsForm(formdata=formdata)
    form.documents.choices = select_choices((d.key, d.label) for d in requirements(application))
    return form


# Confirmation after each workflow action ({status}: the new status label).
ACTION_FLASHES = {
    "take": "Vous avez pris en charge la candidature : elle est « {status} » et le demandeur en est informé par courriel.",
    "resume": "L'instruction reprend : la candidature est « {status} ».",
    "send_for_decision": "La candidature est « {status} » ; le demandeur en est informé par courriel.",
    "approve": "Décision enregistrée : « {status} ». Le demandeur la reçoit par courriel avec l'attestation en PDF.",
    "refuse": "Décision enregistrée : « {status} ». Le demandeur la reçoit par courriel avec le motif.",
    "close": "Décision enregistrée : « {status} ». Le demandeur la reçoit par courriel avec le motif.",
    "reopen": "La candidature est rouverte et de nouveau « {status} » ; le demandeur en est informé par courriel.",
}


def _render_detail(application: Application, status: int = 200, **forms):
    referent = current_referent()
    transitions = allowed_transitions(application.status)
    try:
        path_label = EligibilityPath(application.eligibility_path).label if application.eligibility_path else ""
    except ValueError:  # a path of an older regime
        path_label = application.eligibility_path or ""
    context = dict(
        application=application,
        eligibility_path_label=path_label,
        phone_display=format_phone(application.contact_phone),
        human_size=human_size,
        transitions=transitions,
        action_form=ActionForm(),
        message_form=forms.get("message_form") or MessageForm(),
        note_form=forms.get("note_form") or NoteForm(),
        # "Suivre" an open application someone else (or nobody) follows; a new one is taken by the workflow.
        can_take=application.status in OPEN_STATUSES
        and application.status is not ApplicationStatus.SUBMITTED
        and application.assigned_referent_id != referent.id,
        social_purposes=SOCIAL_UTILITY_PURPOSES,
        documents_by_kind=supporting_documents(application),
        form_has_errors=any(f.errors for f in forms.values() if f is not None),
        requirement_labels=requirement_labels(application),
        registry=registry_check.stored(application),
        registry_lines=registry_check.fact_lines(application),
        registry_mismatches=registry_check.mismatches(application),
        registry_identifier=registry_check.identifier_of(application),
        registry_refresh=lookups_enabled(),
        registry_source_detail=SOURCE_DETAIL,
        registered_structure=structure_of(application) if application.status is ApplicationStatus.APPROVED else None,
    )
    return render_template("backoffice/applications/detail.html", **context), status


@bp.get("/candidatures/<int:application_id>")
def application_detail(application_id: int):
    return _render_detail(_load_detail(application_id))


def _detail_url(application: Application, anchor: str = "") -> str:
    return url_for("backoffice.application_detail", application_id=application.id) + (f"#{anchor}" if anchor else "")


def _back(application: Application, anchor: str = ""):
    return redirect(_detail_url(application, anchor))


@bp.post("/candidatures/<int:application_id>/prendre-en-charge")
def application_take(application_id: int):
    application = _lock_application(application_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return perform(
        lambda: review.take(application, current_referent()),
        success="Vous suivez désormais cette candidature.",
        then=_detail_url(application),
    )


@bp.post("/candidatures/<int:application_id>/annuaire")
@limit("company_lookup", shared=True)
def application_registry_refresh(application_id: int):
    """Ask the Annuaire des entreprises again (not its cached answer) and keep what it says."""
    application = _lock_application(application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not lookups_enabled():
        abort(404)
    outcome = registry_check.refresh(application, registry_access(), now=utcnow())
    db.session.commit()
    flash(*REGISTRY_FLASHES[outcome])
    return _back(application, "structure")


# What the référent is told after asking the register again.
REGISTRY_FLASHES = {
    "found": ("L'Annuaire des entreprises a été consulté : les informations vérifiées sont à jour.", "success"),
    "not_found": ("Ce numéro est introuvable dans l'Annuaire des entreprises.", "warning"),
    "unavailable": (
        "L'Annuaire des entreprises ne répond pas pour le moment : réessayez plus tard. Rien n'a été modifié.",
        "warning",
    ),
    "no_identifier": ("Sans SIRET ni numéro RNA, la structure ne peut pas être recherchée.", "warning"),
}


@bp.route("/candidatures/<int:application_id>/actions/<action>", methods=["GET", "POST"])
def application_action(application_id: int, action: str):
    application = _lock_application(application_id) if request.method == "POST" else _get_application(application_id)
    try:
        transition = get_transition(application.status, action)
    except TransitionNotAllowed as error:
        flash(str(error), "error")
        return _back(application)
    if transition.has_own_form:
        return redirect(url_for("backoffice.application_complements", application_id=application.id))
    if action == "approve":
        return _approve(application)
    form = ReasonForm() if transition.reason_required else ActionForm()
    if request.method == "GET":
        if not transition.reason_required:
            return _back(application)
        return render_template(
            "backoffice/applications/action.html", application=application, transition=transition, form=form
        )
    if not form.validate_on_submit():
        if not transition.reason_required:
            abort(400)
        return render_template(
            "backoffice/applications/action.html", application=application, transition=transition, form=form
        )
    reason = form.reason.data if transition.reason_required else ""
    return perform(
        lambda: review.apply_action(application, action, current_referent(), reason),
        success=lambda _transition: ACTION_FLASHES.get(action, "La candidature est désormais « {status} ».").format(
            status=application.status.label
        ),
        then=_detail_url(application),
    )


def _approve(application: Application):
    """« Habiliter »: the decision's facts are checked by the service; a date that cannot be is shown
    next to its field with everything typed kept."""
    public_body = application.structure_type is StructureType.PUBLIC_BODY
    form = ApprovalForm(public_body=public_body)
    template = "backoffice/applications/approve.html"
    if request.method == "GET":
        return render_template(template, application=application, form=form, public_body=public_body)
    if not form.validate_on_submit():
        return render_template(template, application=application, form=form, public_body=public_body)
    approval = Approval(
        DecisionFacts(
            decided_on=form.decided_on.data,
            authority=form.authority.data,
            prosecutor_opinion_on=form.prosecutor_opinion_on.data,
            jap_opinion_on=form.jap_opinion_on.data,
            prefect_opinion_on=None if public_body else form.prefect_opinion_on.data,
        ),
        starts_on=None if public_body else form.starts_on.data,
        ends_on=None if public_body else form.ends_on.data,
    )
    try:
        review.apply_action(application, "approve", current_referent(), form.reason.data, approval=approval)
    except InvalidFacts as error:
        db.session.rollback()
        for name, message in error.errors.items():
            form[name if name in form else "decided_on"].errors = [message]
        return render_template(template, application=application, form=form, public_body=public_body)
    except DOMAIN_ERRORS as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(application)
    db.session.commit()
    flash(ACTION_FLASHES["approve"].format(status=application.status.label), "success")
    return _back(application)


@bp.route("/candidatures/<int:application_id>/complements", methods=["GET", "POST"])
def application_complements(application_id: int):
    application = _lock_application(application_id) if request.method == "POST" else _get_application(application_id)
    if application.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.WAITING_APPLICANT):
        flash(
            f"Impossible de demander des compléments pour une candidature au statut « {application.status.label} ».",
            "error",
        )
        return _back(application)
    form = _complements_form(application, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        return perform(
            lambda: review.request_complements(application, current_referent(), form.items(), form.body.data or ""),
            success="La demande de compléments est envoyée au demandeur : la candidature est en attente de sa réponse.",
            then=_detail_url(application, "messages"),
            then_if_refused=_detail_url(application),
        )
    return render_template("backoffice/applications/complements.html", application=application, form=form)


@bp.post("/candidatures/<int:application_id>/messages")
def application_message(application_id: int):
    application = _get_application(application_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_detail(_load_detail(application_id), message_form=form)
    stored = []
    for storage in form.attachments.data or []:
        if not has_file(storage):
            continue
        try:
            stored.append(stored_files.store(storage, current_app.config["UPLOAD_MAX_BYTES"]))
        except UploadRefused as error:
            db.session.rollback()  # the files stored by this request go with it
            form.attachments.errors = [str(error)]
            return _render_detail(_load_detail(application_id), message_form=form)
    return perform(
        lambda: review.send_message(application, current_referent(), form.body.data, stored),
        success="Votre message est envoyé : le demandeur le reçoit par courriel avec le lien de sa page de suivi.",
        then=_detail_url(application, "messages"),
        then_if_refused=_detail_url(application),
    )


@bp.post("/candidatures/<int:application_id>/notes")
def application_note(application_id: int):
    application = _lock_application(application_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_detail(_load_detail(application_id), note_form=form)
    review.add_note(application, current_referent(), form.note.data)
    db.session.commit()
    flash("La note interne est enregistrée.", "success")
    return _back(application, "notes")


@bp.get("/candidatures/<int:application_id>/documents/<int:document_id>")
def application_document(application_id: int, document_id: int):
    application = _get_application(application_id)
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    return download_response(document)


@bp.get("/candidatures/<int:application_id>/attestation.pdf")
def application_attestation(application_id: int):
    application = _get_application(application_id)
    try:
        data = attestation_pdf(application)
    except AttestationUnavailable:
        abort(404)
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{attestation_filename(application)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
