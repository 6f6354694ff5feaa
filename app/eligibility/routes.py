"""Eligibility checker: a GET questionnaire and a result page whose URL carries the answers."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for

from app.eligibility import bp
from app.eligibility.documents import ACCEPTED_UPLOAD_FORMATS
from app.eligibility.engine import SOCIAL_UTILITY_PURPOSES, Answers, active_regime, evaluate
from app.eligibility.forms import ESS_TYPES_LABEL, EligibilityForm, expand_query
from app.eligibility.structures import StructureType
from app.territories import get_departement


def _questionnaire(form: EligibilityForm):
    return render_template(
        "eligibility/checker.html",
        form=form,
        regime=active_regime(),
        ess_types=[t.value for t in StructureType if t.is_ess_private],
        ess_types_label=ESS_TYPES_LABEL,
    )


@bp.get("/eligibilite")
def checker():
    """The questionnaire, empty or prefilled from the answers of a previous result."""
    return _questionnaire(EligibilityForm(formdata=expand_query(request.args) or None))


@bp.get("/eligibilite/resultat")
def result():
    form = EligibilityForm(formdata=expand_query(request.args))
    answers = Answers.from_query(request.args) if form.validate() else None
    if answers is None:
        if not form.errors:  # defensive: the form and the contract must agree
            form.structure_type.errors = ["Vos réponses sont incomplètes : vérifiez chaque question."]
        return _questionnaire(form)
    regime = active_regime()
    outcome = evaluate(answers, regime)
    query = answers.to_query()
    return render_template(
        "eligibility/result.html",
        answers=answers,
        result=outcome,
        regime=regime,
        departement=get_departement(answers.departement),
        purposes=SOCIAL_UTILITY_PURPOSES,
        accepted_formats=ACCEPTED_UPLOAD_FORMATS,
        upload_max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
        apply_url=url_for("applications.start", **query),
        edit_url=url_for("eligibility.checker", **query),
        webinars_url=url_for("webinars.index", departement=answers.departement),
    )
