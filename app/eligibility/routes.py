"""Eligibility checker: a GET questionnaire and a result page whose URL carries the answers.

With lookups on (``COMPANY_LOOKUP_ENABLED``), the questionnaire starts with an optional SIRET/SIREN/RNA:
« Rechercher » (a plain GET, no JavaScript needed) or the lookup on blur (``/eligibilite/structure``, JSON)
fill the answers the Annuaire des entreprises establishes; the result page says which answers the
register confirms and which are the person's own."""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.companies.services import Lookup
from app.companies.web import json_answer, look_up_typed, lookups_enabled
from app.eligibility import bp
from app.eligibility.documents import ACCEPTED_UPLOAD_FORMATS
from app.eligibility.engine import ESS_CONDITIONS, SOCIAL_UTILITY_PURPOSES, Answers, active_regime, evaluate
from app.eligibility.forms import ESS_TYPES_LABEL, EligibilityForm, expand_query
from app.eligibility.proposals import proposal_of
from app.eligibility.registry import proposed_answers, provenance
from app.eligibility.structures import StructureType
from app.extensions import db
from app.ratelimits import limit
from app.territories import get_departement

# What a lookup filled, as the notice says it: « Nous avons prérempli la nature de la structure, … ».
FILLED_LABELS = {
    "structure_type": "la nature de la structure",
    "departement": "le département",
    **dict.fromkeys(ESS_CONDITIONS, "les conditions de l'économie sociale et solidaire"),
    "social_utility": "un but d'utilité sociale",
}


def filled_labels(proposed: dict) -> list[str]:
    return list(dict.fromkeys(FILLED_LABELS[name] for name in proposed))


def _searching() -> bool:
    """The « Rechercher » button of the questionnaire (a GET that looks the identifier up)."""
    return bool(request.args.get("rechercher")) and lookups_enabled()


def _with_identifier() -> bool:
    return bool((request.args.get("identifiant") or "").strip()) and lookups_enabled()


def _questionnaire(form: EligibilityForm, lookup: Lookup | None = None, filled: list[str] | None = None):
    return render_template(
        "eligibility/checker.html",
        form=form,
        regime=active_regime(),
        ess_types=[t.value for t in StructureType if t.is_ess_private],
        ess_types_label=ESS_TYPES_LABEL,
        lookups=lookups_enabled(),
        lookup=lookup,
        proposal=proposal_of(lookup),
        filled=filled or [],
    )


@bp.get("/eligibilite")
@limit("company_lookup", methods=("GET",), only_when=_searching, shared=True)
def checker():
    """The questionnaire, empty or prefilled from the answers of a previous result or of a lookup."""
    formdata = expand_query(request.args)
    lookup = error = None
    filled: list[str] = []
    if _searching():
        lookup, error = look_up_typed(request.args.get("identifiant"))
        db.session.commit()  # the registry's answer, kept for the next pages
        # A new number's answers replace the form's; the same number searched again (Enter pressed after a
        # correction) leaves the person's answers alone.
        if lookup is not None and request.args.get("recherche_faite") != lookup.identifier.value:
            proposed = proposed_answers(lookup)
            formdata = MultiDict(formdata)
            for name, value in proposed.items():
                formdata.setlist(name, value if isinstance(value, list) else [value])
            filled = filled_labels(proposed)
    form = EligibilityForm(formdata=formdata or None)
    if error:
        form.identifiant.errors = [error]
    return _questionnaire(form, lookup, filled)


@bp.get("/eligibilite/structure")
@limit("company_lookup", methods=("GET",), shared=True)
def registry_lookup():
    """The lookup on blur (eligibility.js): the notice to show and the answers to fill, as JSON."""
    if not lookups_enabled():
        abort(404)
    lookup, error = look_up_typed(request.args.get("identifiant"))
    db.session.commit()
    proposed = proposed_answers(lookup)
    return jsonify(json_answer(lookup, error, proposed, proposal=proposal_of(lookup), filled=filled_labels(proposed)))


@bp.get("/eligibilite/resultat")
@limit("company_lookup", methods=("GET",), only_when=_with_identifier, shared=True)
def result():
    form = EligibilityForm(formdata=expand_query(request.args))
    answers = Answers.from_query(request.args) if form.validate() else None
    if answers is None:
        if not form.errors:  # defensive: the form and the contract must agree
            form.structure_type.errors = ["Vos réponses sont incomplètes : vérifiez chaque question."]
        return _questionnaire(form)
    lookup = None
    carried = {}
    if _with_identifier():
        lookup, _ = look_up_typed(request.args.get("identifiant"))
        db.session.commit()
        carried = {"identifiant": lookup.identifier.value} if lookup is not None else {}
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
        lookup=lookup if lookup is not None and lookup.found else None,
        provenance=provenance(answers, lookup),
        apply_url=url_for("applications.start", **query, **carried),
        edit_url=url_for("eligibility.checker", **query, **carried),
        webinars_url=url_for("webinars.index", departement=answers.departement),
    )
