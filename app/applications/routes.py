"""The applicant's pages: start, wizard steps, confirmation, follow-up. Thin views: form → service →
commit once → flash → redirect."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict

from app.applications import bp, documents, process, services
from app.applications import forms as f
from app.applications import steps as wizard
from app.applications.history import public_events
from app.applications.models import Application
from app.applications.pdf import application_summary_pdf
from app.applications.uploads import (
    UploadRefused,
    delete_stored,
    formats_hint,
    has_file,
    human_size,
    store_upload,
    stored_path,
)
from app.applications.validators import InvalidValue, format_phone, format_siret
from app.eligibility.documents import required_documents
from app.eligibility.engine import Answers, active_regime, evaluate
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import utcnow
from app.ratelimits import limit
from app.territories import get_departement

RETURN_TO_REVIEW = "verification"


@bp.after_request
def private_pages_not_cached(response):
    """Pages reached by a private link are never stored by caches nor indexed."""
    if request.view_args and "token" in request.view_args:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.app_template_global()
def application_helpers():
    return {
        "format_phone": format_phone,
        "format_siret": format_siret,
        "human_size": human_size,
        "social_utility_labels": f.SOCIAL_UTILITY_LABELS,
        "next_steps": process.next_steps,
        "request_label": process.request_label,
    }


# --- start -------------------------------------------------------------------------------------------


@bp.route("/candidature", methods=["GET", "POST"])
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
            application = services.create_draft(
                form.email.data, now=utcnow(), retention_days=config["DRAFT_RETENTION_DAYS"], answers=answers
            )
        except InvalidValue as error:  # pragma: no cover - the form already checked the address
            form.email.errors.append(str(error))
        else:
            if answers is None and partial_type:
                application.structure_type = partial_type
                application.departement_code = partial_dept
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
        steps=wizard.STEPS,
    )


def _refusal(answers: Answers | None, structure_type: StructureType | None, departement: str | None) -> dict | None:
    """What the start page says to a structure whose carried answers cannot lead to a habilitation."""
    regime = active_regime()
    if answers is not None:
        outcome = evaluate(answers, regime)
        verdict = None if outcome.eligible else outcome.verdict
        query = answers.to_query()
    elif structure_type is not None and departement:
        verdict = services.ineligibility_reason(structure_type, departement, regime)
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


def _load(token: str) -> Application:
    application = services.get_by_token(token)
    if application is None:
        raise LinkProblem(
            (render_template("applications/link_expired.html", title="Lien introuvable", expired=False), 404)
        )
    if services.is_expired(application, utcnow()):
        raise LinkProblem(
            (
                render_template(
                    "applications/link_expired.html", title="Lien expiré", expired=True, application=application
                ),
                410,
            )
        )
    return application


@bp.get("/candidature/reprendre/<token>")
def resume(token: str):
    application = _load(token)
    if not application.is_draft:
        return redirect(url_for(".followup", token=token))
    return redirect(url_for(".step", token=token, number=wizard.resume_number(application)))


# --- wizard ---------------------------------------------------------------------------------------------


def _is_final_submit() -> bool:
    """A POST of the declaration step with its box ticked: the one that submits the application (mails
    to the applicant and the référents). The other steps, served by the same view, are not counted."""
    return "accept" in request.form  # DeclarationForm.accept, the certification box


@bp.route("/candidature/<token>/etape/<int:number>", methods=["GET", "POST"])
@limit("application_submit", only_when=_is_final_submit)
def step(token: str, number: int):
    application = _load(token)
    step_ = wizard.step_at(application, number)
    if step_ is None:
        abort(404)
    editing = not application.is_draft
    if editing:
        if not application.editable_by_applicant:
            flash(
                "Votre candidature est en cours d'instruction : elle ne peut plus être modifiée. Écrivez au référent TIG ci-dessous pour apporter une précision.",
                "warning",
            )
            return redirect(url_for(".followup", token=token))
        if step_.key not in wizard.DATA_STEPS + ("review",):
            return redirect(url_for(".followup", token=token))
    else:
        furthest = wizard.resume_number(application)
        if number > furthest:
            return redirect(url_for(".step", token=token, number=furthest))
    if editing and request.method == "POST" and request.form.get("action") == "annuler":
        services.clear_raw(application, step_.key)  # e.g. posts added then abandoned
        db.session.commit()
        return redirect(url_for(".followup", token=token))
    handler = {
        "structure": _structure_step,
        "contact": _contact_step,
        "ess": _ess_step,
        "posts": _posts_step,
        "documents": _documents_step,
        "review": _review_step,
        "declaration": _declaration_step,
    }[step_.key]
    return handler(application, step_, number, editing)


def _context(application: Application, step_: wizard.Step, number: int, editing: bool, **extra) -> dict:
    shown = wizard.visible_steps(application)
    previous = wizard.previous_step(application, step_)
    return_to_review = request.args.get("retour") == RETURN_TO_REVIEW and not editing
    return {
        "application": application,
        "step": step_,
        "number": number,
        "total": len(shown),
        "next_step": wizard.next_step(application, step_),
        "previous_number": wizard.number_of(application, previous.key) if previous else None,
        "editing": editing,
        "return_to_review": return_to_review,
        "form_action": url_for(
            ".step",
            token=application.access_token,
            number=number,
            **({"retour": RETURN_TO_REVIEW} if return_to_review else {}),
        ),
        "review_number": wizard.number_of(application, "review"),
        **extra,
    }


def _after_save(application: Application, step_: wizard.Step, editing: bool):
    """Where "Continuer" leads once the step is valid and saved (commit included)."""
    now = utcnow()
    token = application.access_token
    if editing:
        services.record_edit(application, step_.title, now=now)
        db.session.commit()
        problem = services.check_complete(application, active_regime()) if step_.key == "structure" else None
        if problem is not None:  # e.g. another type of structure now needs the ESS step or other documents
            flash(
                "Vos modifications sont enregistrées. Complétez maintenant cette étape, devenue nécessaire : "
                + " ".join(problem.messages[:3]),
                "warning",
            )
            return redirect(url_for(".step", token=token, number=wizard.number_of(application, problem.step_key)))
        flash(
            "Vos modifications ont été enregistrées. Le référent TIG verra la version à jour de votre candidature.",
            "success",
        )
        return redirect(url_for(".followup", token=token))
    following = wizard.next_step(application, step_)
    if request.args.get("retour") == RETURN_TO_REVIEW and following is not None:
        following = wizard.BY_KEY["review"]
    if following is not None:
        services.reach_step(application, following.key)
    services.touch_draft(application, now=now, retention_days=current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.commit()
    target = following or step_
    return redirect(url_for(".step", token=token, number=wizard.number_of(application, target.key)))


def _go_back(application: Application, step_: wizard.Step):
    services.touch_draft(application, now=utcnow(), retention_days=current_app.config["DRAFT_RETENTION_DAYS"])
    db.session.commit()
    previous = wizard.previous_step(application, step_)
    if previous is None:
        return redirect(url_for(".start"))
    return redirect(
        url_for(".step", token=application.access_token, number=wizard.number_of(application, previous.key))
    )


def _simple_step(application, step_, number, editing, form_class, apply, template, **form_kwargs):
    """Structure, contact and ESS steps: one form, saved to the model when valid, kept raw otherwise."""
    if request.method == "POST":
        form = form_class(**form_kwargs)
        action = request.form.get("action", "continuer")
        valid = form.validate()
        if editing:
            if valid:
                apply(application, form)
                services.clear_raw(application, step_.key)
                return _after_save(application, step_, editing)
        else:
            if valid:
                apply(application, form)
                services.clear_raw(application, step_.key)
            else:
                services.save_raw(application, step_.key, request.form)
            if action == "precedent":
                if not valid:
                    flash("Vos réponses sont conservées : certaines sont à corriger avant de continuer.", "info")
                return _go_back(application, step_)
            if valid:
                return _after_save(application, step_, editing)
            services.touch_draft(application, now=utcnow(), retention_days=current_app.config["DRAFT_RETENTION_DAYS"])
            db.session.commit()
    else:
        form = form_class(formdata=services.initial_formdata(application, step_.key), **form_kwargs)
        if services.raw_invalid(application, step_.key) and not editing:
            form.validate()  # answers left with errors: show them again
    return render_template(template, form=form, **_context(application, step_, number, editing))


def _structure_step(application, step_, number, editing):
    regime = active_regime()
    return _simple_step(
        application,
        step_,
        number,
        editing,
        f.StructureForm,
        services.apply_structure,
        "applications/step_structure.html",
        eligibility_check=lambda t, d: services.ineligibility_reason(t, d, regime),
    )


def _contact_step(application, step_, number, editing):
    return _simple_step(
        application, step_, number, editing, f.ContactForm, services.apply_contact, "applications/step_contact.html"
    )


def _ess_step(application, step_, number, editing):
    return _simple_step(
        application, step_, number, editing, f.EssForm, services.apply_ess, "applications/step_ess.html"
    )


_POST_ACTION = re.compile(r"^(ajouter_poste|supprimer_poste-\d+|ajouter_tuteur-\d+|supprimer_tuteur-\d+-\d+)$")


def _posts_step(application, step_, number, editing):
    form = f.StepForm()
    if request.method == "POST":
        if not form.validate():  # CSRF only
            abort(400)
        action = request.form.get("action", "continuer")
        formdata = MultiDict(request.form)
        if _POST_ACTION.match(action):
            formdata = services.edit_posts(formdata, action)
            services.save_raw(application, step_.key, formdata, invalid=False)
            if not editing:
                services.touch_draft(
                    application, now=utcnow(), retention_days=current_app.config["DRAFT_RETENTION_DAYS"]
                )
            db.session.commit()
            anchor = _posts_anchor(action, formdata)
            return redirect(_context(application, step_, number, editing)["form_action"] + anchor)
        forms = services.post_forms(formdata)
        valid = services.posts_valid(forms)
        if valid:
            services.apply_posts(application, forms)
            services.clear_raw(application, step_.key)
        elif not editing or action != "precedent":
            services.save_raw(application, step_.key, formdata)
        if action == "precedent" and not editing:
            return _go_back(application, step_)
        if valid:
            return _after_save(application, step_, editing)
        if not editing:
            services.touch_draft(application, now=utcnow(), retention_days=current_app.config["DRAFT_RETENTION_DAYS"])
        db.session.commit()
    else:
        forms = services.post_forms(services.initial_formdata(application, step_.key))
        if services.raw_invalid(application, step_.key):
            for post_form, tutor_forms in forms:
                post_form.validate()
                for tutor_form in tutor_forms:
                    tutor_form.validate()
    errors = _post_errors(forms)
    return render_template(
        "applications/step_posts.html",
        form=form,
        post_forms=forms,
        errors=errors,
        form_has_errors=bool(errors),
        **_context(application, step_, number, editing),
    )


def _post_errors(forms) -> list[tuple[str, str]]:
    """(field id, "Poste 1 – Intitulé du poste : message") for the error summary."""
    items = []
    for i, (post_form, tutor_forms) in enumerate(forms, start=1):
        for field in post_form:
            for error in field.errors:
                items.append((field.id, f"Poste {i} – {field.label.text} : {error}"))
        for j, tutor_form in enumerate(tutor_forms, start=1):
            for field in tutor_form:
                for error in field.errors:
                    items.append((field.id, f"Poste {i}, tuteur {j} – {field.label.text} : {error}"))
    return items


def _posts_anchor(action: str, formdata: MultiDict) -> str:
    posts = services.posts_from_formdata(formdata)
    if action == "ajouter_poste":
        return f"#poste{len(posts) - 1}"
    match = re.match(r"^(?:ajouter_tuteur|supprimer_tuteur)-(\d+)", action)
    if match:
        return f"#poste{match[1]}-tuteurs"
    return "#postes"


def _documents_step(application, step_, number, editing):
    config = current_app.config
    reqs = documents.requirements(application)
    hint = formats_hint(config["UPLOAD_MAX_BYTES"])
    form_class = f.documents_form_class(reqs, hint)
    form = form_class()
    now = utcnow()
    if request.method == "POST":
        if not form.validate():  # CSRF only (files are checked below)
            abort(400)
        action = request.form.get("action", "continuer")
        match = re.fullmatch(r"supprimer_document-(\d+)", action)
        if match:
            document = next((d for d in application.documents if d.id == int(match[1])), None)
            stored_name = services.remove_document(application, int(match[1])) if document else None
            if stored_name:
                if editing:
                    services.record_edit(application, f"document supprimé ({document.original_filename})", now=now)
                else:
                    services.touch_draft(application, now=now, retention_days=config["DRAFT_RETENTION_DAYS"])
                db.session.commit()
                delete_stored(config["UPLOAD_FOLDER"], stored_name)
                flash(f"Le document « {document.original_filename} » a été supprimé.", "success")
            return redirect(_context(application, step_, number, editing)["form_action"] + "#documents")
        refused = False
        added = []
        for requirement in reqs:
            field = form[f"doc_{requirement.key}"]
            storage = request.files.get(field.name)
            if not has_file(storage):
                continue
            try:
                stored = store_upload(storage, config["UPLOAD_FOLDER"], config["UPLOAD_MAX_BYTES"])
            except UploadRefused as error:
                field.errors.append(str(error))
                refused = True
                continue
            services.add_document(application, requirement.key, stored, now=now)
            added.append(stored.original_filename)
        if not editing:
            services.touch_draft(application, now=now, retention_days=config["DRAFT_RETENTION_DAYS"])
        db.session.commit()
        if not refused:
            if action == "precedent" and not editing:
                return _go_back(application, step_)
            if action == "continuer":
                missing = documents.missing_documents(application)
                for requirement in missing:
                    form[f"doc_{requirement.key}"].errors.append(
                        f"Ajoutez ce document : {requirement.label[0].lower()}{requirement.label[1:]}."
                    )
                if not missing:
                    if editing and added:
                        services.record_edit(application, "pièces justificatives", now=now)
                        db.session.commit()
                        flash("Vos documents ont été ajoutés à votre candidature.", "success")
                        return redirect(url_for(".followup", token=application.access_token))
                    if editing:
                        return redirect(url_for(".followup", token=application.access_token))
                    return _after_save(application, step_, editing)
            else:  # "Enregistrer les fichiers"
                if added:
                    flash(
                        "Fichier enregistré : " + ", ".join(added) + "."
                        if len(added) == 1
                        else "Fichiers enregistrés : " + ", ".join(added) + ".",
                        "success",
                    )
                return redirect(_context(application, step_, number, editing)["form_action"] + "#documents")
    grouped = documents.documents_by_kind(application)
    for requirement in reqs:
        field = form[f"doc_{requirement.key}"]
        field.flags.required = requirement.required and not grouped.get(requirement.key)
    return render_template(
        "applications/step_documents.html",
        form=form,
        requirements=reqs,
        grouped=grouped,
        **_context(application, step_, number, editing),
    )


def _review_step(application, step_, number, editing):
    regime = active_regime()
    if not editing:
        next_ = wizard.next_step(application, step_)
        if next_ is not None and application.current_step < next_.position:
            services.reach_step(application, next_.key)
            db.session.commit()
    problems = (
        []
        if editing
        else [
            (key, wizard.number_of(application, key), services.step_problems(application, key, regime))
            for key in wizard.DATA_STEPS
            if wizard.is_shown(application, wizard.BY_KEY[key])
        ]
    )
    problems = [p for p in problems if p[2]]
    return render_template(
        "applications/step_review.html",
        problems=problems,
        **_summary_context(application),
        **_context(application, step_, number, editing),
    )


def _summary_context(application: Application) -> dict:
    numbers = {key: wizard.number_of(application, key) for key in wizard.DATA_STEPS}
    shown = {key: wizard.is_shown(application, wizard.BY_KEY[key]) for key in wizard.DATA_STEPS}
    return {
        "step_numbers": numbers,
        "steps_shown": shown,
        "requirements": documents.requirements(application),
        "grouped": documents.documents_by_kind(application),
    }


def _declaration_step(application, step_, number, editing):
    form = f.DeclarationForm()
    if request.method == "POST" and form.validate():
        try:
            application, _created = services.submit(application.id, now=utcnow(), regime=active_regime())
        except services.IncompleteApplication as problem:
            db.session.rollback()
            flash(
                "Votre candidature ne peut pas encore être envoyée : " + " ".join(problem.messages[:3]),
                "error",
            )
            return redirect(
                url_for(".step", token=application.access_token, number=wizard.number_of(application, problem.step_key))
            )
        db.session.commit()
        return redirect(url_for(".confirmation", token=application.access_token))
    return render_template(
        "applications/step_declaration.html", form=form, **_context(application, step_, number, editing)
    )


@bp.get("/candidature/<token>/confirmation")
def confirmation(token: str):
    application = _load(token)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    return render_template("applications/confirmation.html", application=application)


# --- follow-up ------------------------------------------------------------------------------------------


def _reply_form(application: Application):
    items = services.open_requested_items(application)
    attrs = {
        f"piece_{i}": f.FileField(
            item,
            description="Formats acceptés : PDF, JPEG ou PNG. Taille maximale : "
            f"{current_app.config['UPLOAD_MAX_BYTES'] // (1024 * 1024)} Mo.",
        )
        for i, item in enumerate(items)
    }
    form_class = type("FollowupReplyForm", (f.ReplyForm,), attrs)
    return form_class(), items


@bp.get("/suivi/<token>")
def followup(token: str):
    application = _load(token)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    form, items = _reply_form(application)
    return _render_followup(application, form, items)


def _render_followup(application, form, items, status: int = 200):
    return render_template(
        "applications/followup.html",
        application=application,
        form=form,
        requested_items=items,
        events=public_events(application),
        messages=application.messages,
        **_summary_context(application),
    ), status


@bp.post("/suivi/<token>/message")
@limit("application_submit")
def reply(token: str):
    application = _load(token)
    if application.is_draft:
        return redirect(url_for(".resume", token=token))
    form, items = _reply_form(application)
    config = current_app.config
    if not form.validate():
        return _render_followup(application, form, items)
    stored_files = []
    refused = False
    file_fields = [(form[f"piece_{i}"], "complement", [request.files.get(f"piece_{i}")]) for i in range(len(items))]
    file_fields.append((form.attachments, "piece_jointe", request.files.getlist(form.attachments.name)))
    for field, kind, storages in file_fields:
        for storage in storages:
            if not has_file(storage):
                continue
            try:
                stored_files.append((kind, store_upload(storage, config["UPLOAD_FOLDER"], config["UPLOAD_MAX_BYTES"])))
            except UploadRefused as error:
                field.errors.append(str(error))
                refused = True
    body = form.body.data or ""
    sent_items = [items[i] for i in range(len(items)) if has_file(request.files.get(f"piece_{i}"))]
    if sent_items and not refused:
        body = (
            (body.strip() + "\n\n" if body.strip() else "")
            + "Documents demandés transmis : "
            + ", ".join(sent_items)
            + "."
        )
    if not refused:
        try:
            services.post_reply(application, body, stored_files, now=utcnow())
        except services.ApplicationError as error:
            form.body.errors.append(str(error))
            refused = True
    if refused:
        db.session.rollback()
        for _kind, stored in stored_files:
            delete_stored(config["UPLOAD_FOLDER"], stored.stored_name)
        return _render_followup(application, form, items)
    db.session.commit()
    flash("Votre message a été envoyé au référent TIG de votre département.", "success")
    return redirect(url_for(".followup", token=token) + "#messages")


@bp.get("/suivi/<token>/documents/<int:document_id>")
def document_download(token: str, document_id: int):
    application = _load(token)
    document = next((d for d in application.documents if d.id == document_id), None)
    if document is None:
        abort(404)
    path = stored_path(current_app.config["UPLOAD_FOLDER"], document.stored_name)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=document.content_type, as_attachment=True, download_name=document.original_filename)


@bp.get("/suivi/<token>/recapitulatif.pdf")
def summary_pdf(token: str):
    application = _load(token)
    if application.is_draft:
        abort(404)
    return send_file(
        BytesIO(application_summary_pdf(application)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.summary_filename(application),
    )
