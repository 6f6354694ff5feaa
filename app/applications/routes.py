"""The applicant's pages: start, wizard steps, confirmation, follow-up. Thin views: load (locked for a
change) → service → commit once → flash → redirect, or render."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import FileStorage, MultiDict

from app.applications import bp, drafts, process, registry_check, replies, stored_files, wizard
from app.applications import forms as f
from app.applications import steps as wizard_steps
from app.applications.attestation import AttestationUnavailable, attestation_filename, attestation_pdf
from app.applications.documents import COMPLEMENT, MESSAGE_ATTACHMENT
from app.applications.errors import ApplicationError, QuotaExceeded
from app.applications.history import public_events
from app.applications.models import Application, ApplicationStatus
from app.applications.pdf import application_summary_pdf
from app.applications.submission import summary_filename
from app.applications.uploads import UploadRefused, download_response, has_file, human_size
from app.applications.validators import InvalidValue, format_phone, format_siret
from app.companies.web import json_answer, look_up_typed, lookups_enabled, registry_access
from app.eligibility.documents import required_documents
from app.eligibility.engine import Answers, active_regime, evaluate
from app.eligibility.proposals import proposal_of
from app.eligibility.structures import StructureType
from app.extensions import csrf, db
from app.formatting import utcnow
from app.forms import form_token_valid
from app.ratelimits import limit
from app.territories import get_departement

RETURN_TO_REVIEW = "verification"


@bp.app_template_global()
def application_helpers():
    return {
        "format_phone": format_phone,
        "format_siret": format_siret,
        "human_size": human_size,
        "social_utility_labels": f.SOCIAL_UTILITY_LABELS,
        "next_steps": process.next_steps,
        "request_label": process.request_label,
        "registry_alternatives": registry_check.CANNOT_HOST_ALTERNATIVES,
    }


# --- start -------------------------------------------------------------------------------------------


@bp.route("/candidature", methods=["GET", "POST"])
@csrf.exempt  # StartForm checks its token: a failed check shows the address back with a French message
@limit("application_submit")  # each draft sends a mail: no mail bombing through this form
def start():
    form = f.StartForm()
    if request.method == "GET":
        answers = Answers.from_query(request.args)
        if answers is None and request.args.get("structure_type"):
            # Type and département without the ESS answers: still worth carrying.
            partial = {k: request.args.get(k, "") for k in ("structure_type", "departement")}
            form.reponses.data = urlencode(partial)
        elif answers is not None:
            form.reponses.data = urlencode(answers.to_query())
    answers, partial_type, partial_dept = _carried_answers(form.reponses.data)
    refusal = _refusal(answers, partial_type, partial_dept)
    if refusal is not None:
        # Answers that cannot lead to a habilitation are never carried into the wizard: the page says why.
        return render_template("applications/start_refused.html", **refusal)
    if form.validate_on_submit():
        config = current_app.config
        try:
            application = drafts.create_draft(
                form.email.data,
                now=utcnow(),
                retention_days=config["DRAFT_RETENTION_DAYS"],
                answers=answers,
                structure_type=partial_type,
                departement_code=partial_dept,
            )
        except InvalidValue as error:  # pragma: no cover - the form already checked the address
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"Votre brouillon est créé. Nous avons envoyé à {application.contact_email} le lien pour le reprendre "
                f"pendant {config['DRAFT_RETENTION_DAYS']} jours.",
                "success",
            )
            return redirect(url_for(".step", token=application.access_token, number=1))
    structure_type = answers.structure_type if answers else partial_type
    departement = answers.departement if answers else partial_dept
    needed = required_documents(structure_type, departement) if structure_type else None
    return render_template(
        "applications/start.html",
        form=form,
        structure_type=structure_type,
        departement=departement,
        documents=needed,
        all_documents=[
            (t, required_documents(t, departement)) for t in StructureType if t is not StructureType.OTHER_COMPANY
        ],
        steps=wizard_steps.STEPS,
    )


def _refusal(answers: Answers | None, structure_type: StructureType | None, departement: str | None) -> dict | None:
    """What the start page says to a structure whose carried answers cannot lead to a habilitation."""
    regime = active_regime()
    query: dict[str, Any]
    if answers is not None:
        outcome = evaluate(answers, regime)
        verdict = None if outcome.eligible else outcome.verdict
        query = answers.to_query()
    elif structure_type is not None and departement:
        verdict = drafts.ineligibility_reason(structure_type, departement, regime)
        query = {"structure_type": structure_type.value, "departement": departement}
    else:
        return None
    if verdict is None:
        return None
    return {
        "verdict": verdict,
        "departement": get_departement(query["departement"]),
        "result_url": url_for("eligibility.result" if answers is not None else "eligibility.checker", **query),
    }


def _carried_answers(encoded: str | None):
    """(Answers or None, structure type, département) from the hidden field of the start form."""
    if not encoded:
        return None, None, None
    data = MultiDict(parse_qsl(encoded[:2000]))
    answers = Answers.from_query(data)
    if answers is not None:
        return answers, answers.structure_type, answers.departement
    try:
        structure_type = StructureType(data.get("structure_type", ""))
    except ValueError:
        return None, None, None
    departement = get_departement(data.get("departement"))
    return None, structure_type, departement.code if departement else None


# --- loading by token ----------------------------------------------------------------------------------


class LinkProblem(Exception):
    def __init__(self, response):
        self.response = response


@bp.errorhandler(LinkProblem)
def link_problem(error: LinkProblem):
    return error.response


def _load(token: str, *, for_update: bool = False) -> Application:
    """The application of the link (locked when the request changes it), or the page that explains
    why the link no longer works."""
    application = drafts.get_by_token(token, for_update=for_update)
    if application is None:
        raise LinkProblem(
            (render_template("applications/link_expired.html", title="Lien introuvable", expired=False), 404)
        )
    if drafts.is_expired(application, utcnow()):
        raise LinkProblem(
            (
                render_template(
                    "applications/link_expired.html", title="Lien expiré", expired=True, application=application
                ),
                410,
            )
        )
    return application


@bp.get("/candidature/reprendre/<token:token>")
def resume(token: str):
    application = _load(token)
    if not application.is_draft:
        return redirect(url_for(".followup", token=token))
    return redirect(url_for(".step", token=token, number=wizard_steps.resume_number(application)))


# --- wizard ---------------------------------------------------------------------------------------------


def _is_final_submit() -> bool:
    """A POST of the declaration step with its box ticked: the one that submits the application (mails
    to the applicant and the référents). The other steps, served by the same view, are not counted."""
    return "accept" in request.form  # DeclarationForm.accept, the certification box


def _has_upload() -> bool:
    return any(has_file(storage) for storage in request.files.values())


def _draft_key() -> str:
    return "brouillon:" + str((request.view_args or {}).get("token", ""))


def _searching() -> bool:
    """A POST of step 1 that may call the Annuaire des entreprises (« Rechercher », or a number typed)."""
    return request.form.get("action") == wizard.SEARCH or bool((request.form.get("identifiant") or "").strip())


@bp.route("/candidature/<token:token>/etape/<int:number>", methods=["GET", "POST"])
@csrf.exempt  # checked below: a failed check shows the typed answers back, never a bare 400 page
@limit("company_lookup", only_when=_searching, shared=True)
@limit("application_submit", only_when=_is_final_submit)
@limit("application_step")
@limit("application_step_per_draft", key=_draft_key)
@limit("application_upload", only_when=_has_upload)
@limit("application_upload_per_draft", key=_draft_key, only_when=_has_upload)
def step(token: str, number: int):
    application = _load(token, for_update=request.method == "POST")
    step_ = wizard_steps.step_at(application, number)
    if step_ is None:
        abort(404)
    editing = not application.is_draft
    visit = wizard.Visit(
        application=application,
        step=step_,
        number=number,
        editing=editing,
        returning_to_review=request.args.get("retour") == RETURN_TO_REVIEW and not editing,
        now=utcnow(),
        settings=wizard.Settings.from_config(current_app.config, active_regime(), registry_access()),
    )
    outcome = wizard.refusal(visit)
    if outcome is None:
        if request.method == "POST" and not form_token_valid(request.form):
            # The draft's private link is the credential; the lost token only means a lost session cookie.
            outcome = wizard.show_unsaved(visit, request.form)
        elif request.method == "POST":
            outcome = wizard.save_step(visit, request.form, request.files)
        else:
            outcome = wizard.show_step(visit)
    db.session.commit()
    for message, category in outcome.flashes:
        flash(message, category)
    if outcome.go is not None:
        return redirect(_destination(visit, outcome.go))
    return render_template(outcome.template, **outcome.context, **_context(visit))


def _form_action(visit: wizard.Visit) -> str:
    path = url_for(".step", token=visit.application.access_token, number=visit.number)
    return path + (f"?retour={RETURN_TO_REVIEW}" if visit.returning_to_review else "")


def _destination(visit: wizard.Visit, go: wizard.Go) -> str:
    token = visit.application.access_token
    anchor = f"#{go.anchor}" if go.anchor else ""
    if go.to == wizard.HERE:
        return _form_action(visit) + anchor
    if go.to == wizard.FOLLOWUP:
        return url_for(".followup", token=token) + anchor
    if go.to == wizard.START:
        return url_for(".start")
    if go.to == wizard.CONFIRMATION:
        return url_for(".confirmation", token=token)
    return url_for(".step", token=token, number=wizard_steps.number_of(visit.application, go.to)) + anchor


def _context(visit: wizard.Visit) -> dict:
    application, step_ = visit.application, visit.step
    previous = wizard_steps.previous_step(application, step_)
    return {
        "application": application,
        "step": step_,
        "number": visit.number,
        "total": len(wizard_steps.visible_steps(application)),
        "next_step": wizard_steps.next_step(application, step_),
        "previous_number": wizard_steps.number_of(application, previous.key) if previous else None,
        "editing": visit.editing,
        "return_to_review": visit.returning_to_review,
        "form_action": _form_action(visit),
        "review_number": wizard_steps.number_of(application, "review"),
    }


@bp.get("/candidature/<token:token>/annuaire")
@limit("company_lookup", methods=("GET",), shared=True)
def registry_lookup(token: str):
    """The lookup on blur of step 1 (registry-lookup.js): the notice to show and the fields to fill, as
    JSON. Without JavaScript, « Rechercher » posts the step, which does the same."""
    _load(token)
    if not lookups_enabled():
        abort(404)
    lookup, error = look_up_typed(request.args.get("identifiant"))
    db.session.commit()  # the registry's answer, kept for the step's save
    values = registry_check.form_values(lookup)
    departement = get_departement(values.get("departement_code"))
    return jsonify(
        json_answer(
            lookup,
            error,
            values,
            proposal=proposal_of(lookup),
            filled=registry_check.filled_labels(values),
            alternatives=registry_check.CANNOT_HOST_ALTERNATIVES,
            referent=departement,
            webinars_url=url_for("webinars.index", departement=departement.code if departement else None),
            heading="h3",
        )
    )


@bp.get("/candidature/<token:token>/confirmation")
def confirmation(token: str):
    application = _load(token)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    return render_template("applications/confirmation.html", application=application)


# --- follow-up ------------------------------------------------------------------------------------------


def _reply_form(application: Application, items: list[str]):
    attrs = {
        f"piece_{i}": f.FileField(
            item,
            description="Formats acceptés : PDF, JPEG ou PNG. Taille maximale : "
            f"{current_app.config['UPLOAD_MAX_BYTES'] // (1024 * 1024)} Mo.",
        )
        for i, item in enumerate(items)
    }
    return type("FollowupReplyForm", (f.ReplyForm,), attrs)()


@bp.get("/suivi/<token:token>")
def followup(token: str):
    application = _load(token)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    items = replies.open_requested_items(application)
    return _render_followup(application, _reply_form(application, items), items)


def _render_followup(application, form, items, status: int = 200):
    return render_template(
        "applications/followup.html",
        application=application,
        form=form,
        requested_items=items,
        events=public_events(application),
        messages=application.messages,
        **wizard.summary_context(application),
    ), status


@bp.post("/suivi/<token:token>/message")
@csrf.exempt  # the reply form checks its token: a failed check shows the message back, not a 400 page
@limit("application_submit")
@limit("application_upload", only_when=_has_upload)
@limit("application_upload_per_draft", key=_draft_key, only_when=_has_upload)
def reply(token: str):
    application = _load(token, for_update=True)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    items = replies.open_requested_items(application)
    form = _reply_form(application, items)
    if not form.validate():
        return _render_followup(application, form, items)
    config = current_app.config
    files = []  # (field, file sent)
    # Each requested item's own field (the file keeps the item's name), then the free attachments.
    chosen: list[tuple[Any, str, str | None, Sequence[FileStorage | None]]] = [
        (form[f"piece_{i}"], COMPLEMENT, item, [request.files.get(f"piece_{i}")]) for i, item in enumerate(items)
    ]
    chosen.append((form.attachments, MESSAGE_ATTACHMENT, None, request.files.getlist(form.attachments.name)))
    for file_field, kind, item, storages in chosen:
        for storage in storages:
            if not has_file(storage):
                continue
            try:
                stored = stored_files.store(storage, config["UPLOAD_MAX_BYTES"])
            except UploadRefused as error:
                file_field.errors.append(str(error))
            else:
                files.append((file_field, replies.SentFile(kind, stored, item)))
    answering = application.status is ApplicationStatus.WAITING_APPLICANT
    if not any(file_field.errors for file_field, *_rest in chosen):
        try:
            replies.post_reply(
                application,
                form.body.data or "",
                [sent for _field, sent in files],
                now=utcnow(),
                quota=wizard.Settings.from_config(config, active_regime()).quota,
            )
        except QuotaExceeded as error:
            refused = next(field for field, sent in files if sent.stored.stored_name == error.stored_name)
            refused.errors.append(str(error))
        except ApplicationError as error:
            form.body.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                "Votre message a été envoyé au référent TIG de votre département."
                + (" Votre candidature est de nouveau en cours d'instruction." if answering else ""),
                "success",
            )
            return redirect(url_for(".followup", token=token) + "#messages")
    db.session.rollback()  # the files stored by this request go with it
    return _render_followup(application, form, items)


@bp.get("/suivi/<token:token>/documents/<int:document_id>")
def document_download(token: str, document_id: int):
    application = _load(token)
    document = next((d for d in application.documents if d.id == document_id), None)
    if document is None:
        abort(404)
    return download_response(document)


@bp.get("/suivi/<token:token>/attestation.pdf")
def attestation(token: str):
    """The attestation of a habilitation, for the applicant (the private link is the credential)."""
    application = _load(token)
    try:
        data = attestation_pdf(application)
    except AttestationUnavailable:
        abort(404)
    return send_file(
        BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=attestation_filename(application),
    )


@bp.get("/suivi/<token:token>/recapitulatif.pdf")
def summary_pdf(token: str):
    application = _load(token)
    if application.is_draft:
        abort(404)
    return send_file(
        BytesIO(application_summary_pdf(application)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=summary_filename(application),
    )
