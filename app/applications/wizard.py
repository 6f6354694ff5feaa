"""The application wizard: what a step shows, and what saving it does.

``show_step`` and ``save_step`` take a ``Visit`` (the draft — locked for a save —, the step declared
in ``steps.py``, the applicant's situation) and, for a save, the posted values and files; they return
an ``Outcome``: a page to render (template and context) or a place to go, with the messages to show.
They turn the forms into plain values and call the domain services (drafts, documents, submission);
they never read the request, the session or the URL map, and never commit: the view commits once.

Posted answers are kept as typed when they cannot be saved yet ("Étape précédente" never loses
input), but only the fields of the step's form, each value bounded (``field_limits``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from inspect import getmembers
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from app.applications import documents, drafts, registry_check, stored_files, submission
from app.applications import forms as f
from app.applications.documents import DocumentQuota
from app.applications.errors import IncompleteApplication, QuotaExceeded
from app.applications.models import Application
from app.applications.steps import (
    BY_KEY,
    DATA_STEPS,
    Step,
    StepKind,
    is_shown,
    next_step,
    number_of,
    previous_step,
    resume_number,
    step_at,
)
from app.applications.uploads import UploadRefused, formats_hint, has_file
from app.companies.identifiers import parse_identifier
from app.companies.services import RegistryAccess
from app.eligibility.engine import Regime, evaluate, needs_ess_conditions
from app.eligibility.proposals import proposal_of
from app.validation import InvalidValue, digits

# Where an outcome sends the browser, besides a step (by its key).
HERE = "here"  # the same step, same address (a posts or documents action)
FOLLOWUP = "followup"
START = "start"
CONFIRMATION = "confirmation"

# The step buttons (name="action"); any other value of a documents step is "Enregistrer les fichiers choisis".
CONTINUE, PREVIOUS, CANCEL = "continuer", "precedent", "annuler"
SEARCH = "rechercher"  # « Rechercher » of a step with the registry lookup


@dataclass(frozen=True)
class Settings:
    """What the wizard needs from the configuration."""

    retention_days: int
    upload_max_bytes: int
    quota: DocumentQuota
    regime: Regime
    registry: RegistryAccess | None = None  # None: no lookup in the Annuaire des entreprises

    @classmethod
    def from_config(cls, config: Mapping[str, Any], regime: Regime, registry: RegistryAccess | None = None) -> Settings:
        return cls(
            retention_days=config["DRAFT_RETENTION_DAYS"],
            upload_max_bytes=config["UPLOAD_MAX_BYTES"],
            quota=DocumentQuota(config["APPLICATION_MAX_DOCUMENTS"], config["APPLICATION_MAX_DOCUMENTS_BYTES"]),
            regime=regime,
            registry=registry if config.get("COMPANY_LOOKUP_ENABLED") else None,
        )


@dataclass(frozen=True)
class Visit:
    application: Application
    step: Step
    number: int  # the step's number as shown (in the URL)
    editing: bool  # a submitted application changed by its applicant (not a draft)
    returning_to_review: bool  # opened from the review step's "Modifier" links (drafts only)
    now: datetime
    settings: Settings


@dataclass(frozen=True)
class Go:
    to: str  # a step's key, or HERE, FOLLOWUP, START, CONFIRMATION
    anchor: str = ""


@dataclass
class Outcome:
    go: Go | None = None  # None: render ``template`` with ``context``
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def flash(self, message: str, category: str) -> Outcome:
        self.flashes.append((message, category))
        return self


def _page(visit: Visit, **context) -> Outcome:
    return Outcome(template=visit.step.template, context=context)


# --- entering a step -----------------------------------------------------------------------------------


def refusal(visit: Visit) -> Outcome | None:
    """Where to go instead when this step cannot be opened (nor saved) now; None when it can."""
    application = visit.application
    if visit.editing:
        if not application.editable_by_applicant:
            return Outcome(Go(FOLLOWUP)).flash(
                "Votre candidature est en cours d'instruction : elle ne peut plus être modifiée. Écrivez au référent TIG ci-dessous pour apporter une précision.",
                "warning",
            )
        if not visit.step.holds_answers and visit.step.kind is not StepKind.REVIEW:
            return Outcome(Go(FOLLOWUP))
        return None
    furthest = resume_number(application)
    if visit.number > furthest:
        target = step_at(application, furthest)
        return Outcome(Go(target.key if target else visit.step.key))
    return None


# --- showing a step ----------------------------------------------------------------------------------


def show_step(visit: Visit) -> Outcome:
    """The step as saved: answers kept as typed are shown without their errors (a resume link opened
    in another browser, « Étape précédente »): errors come when the person sends the step again, and
    the review step lists what is still missing."""
    step, application = visit.step, visit.application
    if step.kind is StepKind.FORM:
        return _form_page(visit, _saved_form(visit))
    if step.kind is StepKind.POSTS:
        return _posts_page(visit, post_forms(initial_formdata(application, step)))
    if step.kind is StepKind.DOCUMENTS:
        return _documents_page(visit, documents_form(visit))
    if step.kind is StepKind.REVIEW:
        return _review_page(visit)
    return _page(visit, form=f.DeclarationForm())


def _saved_form(visit: Visit) -> f.BaseForm:
    step, application = visit.step, visit.application
    assert step.form is not None
    return step.form(initial_formdata(application, step), visit.settings.regime)


def show_unsaved(visit: Visit, formdata: MultiDict) -> Outcome:
    """The step with the values just posted, nothing saved: the post could not be verified (its form
    token, e.g. after the browser lost its session cookie). Every typed value is shown back with a
    French notice; one click on the step's button saves them. Files cannot be shown back: the notice
    asks to choose them again."""
    step = visit.step
    if step.kind is StepKind.FORM:
        assert step.form is not None
        outcome = _form_page(visit, step.form(formdata, visit.settings.regime))
    elif step.kind is StepKind.POSTS:
        posted = posts_to_formdata(posts_from_formdata(formdata, bounded=False) or [empty_post()])
        outcome = _posts_page(visit, post_forms(posted))
    elif step.kind is StepKind.DOCUMENTS:
        outcome = _documents_page(visit, documents_form(visit, formdata))
    elif step.kind is StepKind.DECLARATION:
        outcome = _page(visit, form=f.DeclarationForm(formdata=formdata))
    else:
        outcome = show_step(visit)
    outcome.context["unsaved"] = step.kind
    return outcome


def initial_formdata(application: Application, step: Step) -> MultiDict:
    """What the step's form shows: the answers kept as typed, else the saved values."""
    raw = drafts.raw_answers(application, step.key)
    if raw is not None:
        return MultiDict([(key, value) for key, values in raw.items() for value in values])
    if step.kind is StepKind.POSTS:
        return posts_to_formdata(saved_posts(application) or [empty_post()])
    return step.saved_values(application) if step.saved_values else MultiDict()


def _form_page(visit: Visit, form: f.BaseForm) -> Outcome:
    return _page(visit, form=form)


def _posts_page(visit: Visit, forms: list[PostForms]) -> Outcome:
    errors = post_errors(forms)
    return _page(
        visit,
        form=f.StepForm(),
        post_forms=forms,
        errors=errors,
        form_has_errors=bool(errors),
        removed_post=removed_post(visit.application, visit.step.key),
    )


def documents_form(visit: Visit, formdata: MultiDict | None = None) -> f.BaseForm:
    form_class = f.documents_form_class(
        documents.requirements(visit.application), formats_hint(visit.settings.upload_max_bytes)
    )
    form = form_class(formdata=formdata if formdata is not None else MultiDict())
    for file_field in form:
        file_field.errors = []  # filled by the checks of each upload (WTForms starts with a tuple)
    return form


def _documents_page(visit: Visit, form: f.BaseForm) -> Outcome:
    application = visit.application
    reqs = documents.requirements(application)
    grouped = documents.documents_by_kind(application)
    for requirement in reqs:
        form[f"doc_{requirement.key}"].flags.required = requirement.required and not grouped.get(requirement.key)
    return _page(visit, form=form, requirements=reqs, grouped=grouped)


def _review_page(visit: Visit) -> Outcome:
    application, regime = visit.application, visit.settings.regime
    problems = []
    if not visit.editing:
        following = next_step(application, visit.step)
        if following is not None:
            drafts.reach_step(application, following.position)
        for key in DATA_STEPS:
            if is_shown(application, BY_KEY[key]):
                messages = step_problems(application, BY_KEY[key], regime)
                if messages:
                    problems.append((key, number_of(application, key), messages))
    return _page(visit, problems=problems, **summary_context(application))


def summary_context(application: Application) -> dict[str, Any]:
    """What the summary of the answers needs (review step, follow-up page)."""
    return {
        "step_numbers": {key: number_of(application, key) for key in DATA_STEPS},
        "steps_shown": {key: is_shown(application, BY_KEY[key]) for key in DATA_STEPS},
        "requirements": documents.requirements(application),
        "grouped": documents.documents_by_kind(application),
    }


# --- saving a step -----------------------------------------------------------------------------------


def save_step(visit: Visit, formdata: MultiDict, files: Mapping[str, FileStorage] | None = None) -> Outcome:
    """The posted step: saved (or kept as typed), then where to go or what to show again."""
    action = formdata.get("action", CONTINUE)
    if visit.editing and action == CANCEL:
        drafts.clear_raw(visit.application, visit.step.key)  # e.g. posts added then abandoned
        drafts.clear_raw(visit.application, _removed_key(visit.step.key))
        return Outcome(Go(FOLLOWUP))
    kind = visit.step.kind
    if kind is StepKind.FORM and _wants_search(visit, formdata, action):
        outcome = _search(visit, formdata)
    elif kind is StepKind.FORM:
        outcome = _save_form(visit, formdata, action)
    elif kind is StepKind.POSTS:
        outcome = _save_posts(visit, formdata, action)
    elif kind is StepKind.DOCUMENTS:
        outcome = _save_documents(visit, formdata, files or {}, action)
    elif kind is StepKind.DECLARATION:
        outcome = _submit(visit, formdata)
    else:
        outcome = show_step(visit)
    # Any save of a draft, valid or not, gives it its whole retention period again.
    drafts.touch_draft(visit.application, now=visit.now, retention_days=visit.settings.retention_days)
    return outcome


def _saved(visit: Visit) -> Outcome:
    """Once the step is valid and saved: the next step, or back to the review or the follow-up page."""
    application, step = visit.application, visit.step
    if visit.editing:
        drafts.record_edit(application, step.title, now=visit.now)
        problem = check_complete(application, visit.settings.regime) if step.key == "structure" else None
        if problem is not None:  # e.g. another type of structure now needs the ESS step or other documents
            return Outcome(Go(problem.step_key)).flash(
                "Vos modifications sont enregistrées. Complétez maintenant cette étape, devenue nécessaire : "
                + " ".join(problem.messages[:3]),
                "warning",
            )
        return Outcome(Go(FOLLOWUP)).flash(
            "Vos modifications ont été enregistrées. Le référent TIG verra la version à jour de votre candidature.",
            "success",
        )
    following = next_step(application, step)
    if visit.returning_to_review and following is not None:
        following = BY_KEY["review"]
    if following is not None:
        drafts.reach_step(application, following.position)
    return Outcome(Go((following or step).key))


def _back(visit: Visit) -> Outcome:
    previous = previous_step(visit.application, visit.step)
    return Outcome(Go(previous.key if previous else START))


def _save_form(visit: Visit, formdata: MultiDict, action: str) -> Outcome:
    step, application = visit.step, visit.application
    assert step.form is not None and step.answers is not None and step.apply is not None
    form = step.form(formdata, visit.settings.regime)
    valid = form.validate()
    if valid:
        step.apply(application, step.answers(form))
        drafts.clear_raw(application, step.key)
        warnings = _check_registry(visit) if step.registry_lookup else []
        if visit.editing or action != PREVIOUS:
            outcome = _saved(visit)
            for warning in warnings:
                outcome.flash(warning, "warning")
            return outcome
    elif visit.editing:
        return _form_page(visit, form)
    else:
        drafts.keep_raw(application, step.key, bounded_answers(type(form), formdata))
    if action == PREVIOUS:
        outcome = _back(visit)
        if not valid:
            outcome.flash("Vos réponses sont conservées : certaines sont à corriger avant de continuer.", "info")
        return outcome
    return _form_page(visit, form)


def _submit(visit: Visit, formdata: MultiDict) -> Outcome:
    form = f.DeclarationForm(formdata=formdata)
    if not form.validate():
        return _page(visit, form=form)
    regime = visit.settings.regime
    try:
        submission.submit(
            visit.application.id,
            now=visit.now,
            regime=regime,
            check_complete=lambda application: raise_if_incomplete(application, regime),
            last_step=BY_KEY["declaration"].position,
        )
    except IncompleteApplication as problem:
        return Outcome(Go(problem.step_key)).flash(
            "Votre candidature ne peut pas encore être envoyée : " + " ".join(problem.messages[:3]), "error"
        )
    return Outcome(Go(CONFIRMATION))


# --- the lookup in the Annuaire des entreprises (step 1) ----------------------------------------------


def _wants_search(visit: Visit, formdata: MultiDict, action: str) -> bool:
    """« Rechercher », or Enter pressed in the search box on a well-formed number not searched yet
    (without JavaScript, Enter is the form's first button: « Continuer »). The box is optional: on
    « Continuer », a malformed number in it does not hold the step."""
    if not visit.step.registry_lookup or visit.settings.registry is None:
        return False
    if action == SEARCH:
        return True
    typed = digits(formdata.get("identifiant")).upper()
    if action != CONTINUE or not typed or typed == formdata.get("recherche_faite", ""):
        return False
    try:
        parse_identifier(typed)
    except InvalidValue:
        return False
    return True


def _search(visit: Visit, formdata: MultiDict) -> Outcome:
    """Look the typed identifier up and show the step again, filled with what the register knows (the
    person checks and corrects); the answers are kept as shown. A failed lookup leaves them as typed."""
    step, application, registry = visit.step, visit.application, visit.settings.registry
    assert step.form is not None and registry is not None
    data = MultiDict(formdata)
    lookup = None
    error = ""
    try:
        identifier = parse_identifier(formdata.get("identifiant"))
    except InvalidValue as invalid:
        error = str(invalid)
    else:
        lookup = registry.look_up(identifier, now=visit.now)
        values = registry_check.form_values(lookup)
        # A new number's answers replace the form's; the same number again leaves the corrections alone.
        if formdata.get("recherche_faite") != identifier.value:
            for name, value in values.items():
                data.setlist(name, [value])
        else:
            values = {}
        data.setlist("recherche_faite", [identifier.value])
    form = step.form(data, visit.settings.regime)
    if error:
        form["identifiant"].errors = [error]
    if not visit.editing:
        drafts.keep_raw(application, step.key, bounded_answers(type(form), data))
    return _page(
        visit,
        form=form,
        lookup=lookup,
        proposal=proposal_of(lookup),
        filled=registry_check.filled_labels(values) if lookup is not None else [],
    )


def _check_registry(visit: Visit) -> list[str]:
    """After step 1 is saved: what the register says of its SIRET (else RNA), kept on the application;
    the warnings the person should read (a closed establishment)."""
    application, registry = visit.application, visit.settings.registry
    identifier = registry_check.identifier_of(application)
    if registry is None or identifier is None:
        registry_check.refresh_mismatch(application)
        return []
    lookup = registry.look_up(identifier, now=visit.now)
    registry_check.record(application, lookup)
    facts = lookup.facts if lookup.found else None
    if facts is not None and facts.closed:
        what = "Cette structure a cessé son activité" if facts.unit_closed else "Cet établissement est fermé"
        return [
            f"{what} d'après le répertoire Sirene ({identifier.display}). Vérifiez le numéro : indiquez celui "
            "d'un établissement en activité, où se trouveront les postes."
        ]
    return []


# --- posts and tutors --------------------------------------------------------------------------------

# Fields named poste<i>-<field> and poste<i>-tuteur<j>-<field>, with a "present" marker so that an
# empty post (just added) still exists. Only the fields of PostForm and TutorForm are read.
_POST_KEY = re.compile(r"^poste(\d{1,2})-([a-z_]+)$")
_TUTOR_KEY = re.compile(r"^poste(\d{1,2})-tuteur(\d{1,2})-([a-z_]+)$")
_POST_ACTION = re.compile(r"^(ajouter_poste|supprimer_poste-\d+|ajouter_tuteur-\d+|supprimer_tuteur-\d+-\d+)$")
# « Supprimer ce poste » can be undone: the post removed last is kept beside the step's answers until
# the step is saved again or something else is edited.
RESTORE_POST = "retablir_poste"
_POSITION = "position"


def _removed_key(step_key: str) -> str:
    return f"{step_key}:supprime"


@dataclass(frozen=True)
class RemovedPost:
    position: int  # where it was, from 0
    title: str


def removed_post(application: Application, step_key: str) -> RemovedPost | None:
    """The post removed last, while it can be restored."""
    raw = drafts.raw_answers(application, _removed_key(step_key))
    if not raw:
        return None
    posts = posts_from_formdata(MultiDict(raw))
    if not posts or not (raw.get(_POSITION) or [""])[0].isdigit():
        return None
    return RemovedPost(int(raw[_POSITION][0]), posts[0].get("title") or "")


def _remember_removed(application: Application, step_key: str, formdata: MultiDict, action: str) -> None:
    """Keep the post that ``action`` removes (if it removes one), forget the one removed before."""
    drafts.clear_raw(application, _removed_key(step_key))
    match = re.fullmatch(r"supprimer_poste-(\d+)", action)
    posts = posts_from_formdata(formdata)
    if match and len(posts) > 1 and int(match[1]) < len(posts):
        position = int(match[1])
        raw = _as_raw(posts_to_formdata([posts[position]]))
        drafts.keep_raw(application, _removed_key(step_key), {**raw, _POSITION: [str(position)]})


def _restore_removed(application: Application, step_key: str, formdata: MultiDict) -> tuple[MultiDict, int | None]:
    """The posts with the one removed last back at its place (and that place), if there is one."""
    raw = drafts.raw_answers(application, _removed_key(step_key))
    removed = removed_post(application, step_key)
    drafts.clear_raw(application, _removed_key(step_key))
    posts = posts_from_formdata(formdata) or [empty_post()]
    if raw is None or removed is None or len(posts) >= MAX_POSTS:
        return posts_to_formdata(posts), None
    position = min(removed.position, len(posts))
    posts.insert(position, posts_from_formdata(MultiDict(raw))[0])
    return posts_to_formdata(posts), position


MAX_POSTS = 20
MAX_TUTORS = 10
PRESENT = "present"

PostForms = tuple[f.PostForm, list[f.TutorForm]]


def empty_post() -> dict:
    return {"tutors": [{}]}


def posts_from_formdata(formdata: MultiDict, *, bounded: bool = True) -> list[dict]:
    """The posts and tutors of the form data, in order, as dicts of their fields' first values
    (bounded, unless shown back at once); names that are not fields of the forms are ignored."""
    post_limits, tutor_limits = field_limits(f.PostForm), field_limits(f.TutorForm)
    posts: dict[int, dict] = {}
    for key in formdata:
        if match := _TUTOR_KEY.match(key):
            i, j, name = int(match[1]), int(match[2]), match[3]
            if name == PRESENT or name in tutor_limits:
                tutors = posts.setdefault(i, {"tutors": {}})["tutors"]
                value = formdata.get(key, "")
                tutors.setdefault(j, {})[name] = _bounded(value, tutor_limits.get(name)) if bounded else value
        elif match := _POST_KEY.match(key):
            i, name = int(match[1]), match[2]
            if name == PRESENT or name in post_limits:
                value = formdata.get(key, "")
                posts.setdefault(i, {"tutors": {}})[name] = _bounded(value, post_limits.get(name)) if bounded else value
    result = []
    for i in sorted(posts)[:MAX_POSTS]:
        post = posts[i]
        tutors = [post["tutors"][j] for j in sorted(post["tutors"])][:MAX_TUTORS]
        result.append({**{k: v for k, v in post.items() if k != "tutors"}, "tutors": tutors})
    return result


def posts_to_formdata(posts: list[dict]) -> MultiDict:
    data: MultiDict = MultiDict()
    for i, post in enumerate(posts):
        data.add(f"poste{i}-{PRESENT}", "1")
        for key, value in post.items():
            if key in ("tutors", PRESENT) or value in (None, ""):
                continue
            data.add(f"poste{i}-{key}", value)
        for j, tutor in enumerate(post.get("tutors") or []):
            data.add(f"poste{i}-tuteur{j}-{PRESENT}", "1")
            for key, value in tutor.items():
                if key != PRESENT and value not in (None, ""):
                    data.add(f"poste{i}-tuteur{j}-{key}", value)
    return data


def saved_posts(application: Application) -> list[dict]:
    return [
        {
            "title": p.title,
            "tasks": p.tasks,
            "place": p.place,
            "schedule": p.schedule,
            "hours_per_week": str(p.hours_per_week or ""),
            "places_count": str(p.places_count or ""),
            "minors_allowed": "y" if p.minors_allowed else "",
            "physical_effort": "y" if p.physical_effort else "",
            "accessible_reduced_mobility": "y" if p.accessible_reduced_mobility else "",
            "constraints_notes": p.constraints_notes or "",
            "tutors": [
                {
                    "last_name": t.last_name,
                    "first_name": t.first_name,
                    "role": t.role,
                    "birth_date": t.birth_date.isoformat() if t.birth_date else "",
                    "birth_place": t.birth_place,
                }
                for t in p.tutors
            ]
            or [{}],
        }
        for p in application.posts
    ]


def post_forms(formdata: MultiDict) -> list[PostForms]:
    """Bound sub-forms of the posts step, renumbered from 0 (their values as given)."""
    normalized = posts_to_formdata(posts_from_formdata(formdata, bounded=False) or [empty_post()])
    result = []
    for i, post in enumerate(posts_from_formdata(normalized, bounded=False)):
        post_form = f.PostForm(formdata=normalized, prefix=f"poste{i}")
        tutor_forms = [
            f.TutorForm(formdata=normalized, prefix=f"poste{i}-tuteur{j}") for j in range(len(post["tutors"]))
        ]
        result.append((post_form, tutor_forms))
    return result


def posts_valid(forms: list[PostForms]) -> bool:
    ok = True
    for post_form, tutor_forms in forms:
        ok = post_form.validate() and ok
        for tutor_form in tutor_forms:
            ok = tutor_form.validate() and ok
    return ok and bool(forms) and all(tutors for _, tutors in forms)


def posts_answers(forms: list[PostForms]) -> list[drafts.PostAnswers]:
    return [
        drafts.PostAnswers(
            title=post_form.title.data or "",
            tasks=post_form.tasks.data or "",
            place=post_form.place.data or "",
            schedule=post_form.schedule.data or "",
            hours_per_week=int(post_form.hours_per_week.data),
            places_count=int(post_form.places_count.data),
            minors_allowed=bool(post_form.minors_allowed.data),
            physical_effort=bool(post_form.physical_effort.data),
            accessible_reduced_mobility=bool(post_form.accessible_reduced_mobility.data),
            constraints_notes=post_form.constraints_notes.data or "",
            tutors=tuple(
                drafts.TutorAnswers(
                    last_name=t.last_name.data or "",
                    first_name=t.first_name.data or "",
                    role=t.role.data or "",
                    birth_date=t.birth_date.data,
                    birth_place=t.birth_place.data or "",
                )
                for t in tutor_forms
            ),
        )
        for post_form, tutor_forms in forms
    ]


def edit_posts(formdata: MultiDict, action: str) -> MultiDict:
    """'Ajouter un poste', 'Supprimer ce poste', 'Ajouter un tuteur', 'Supprimer ce tuteur' without JS."""
    posts = posts_from_formdata(formdata) or [empty_post()]
    if action == "ajouter_poste" and len(posts) < MAX_POSTS:
        posts.append(empty_post())
    elif match := re.fullmatch(r"supprimer_poste-(\d+)", action):
        i = int(match[1])
        if len(posts) > 1 and i < len(posts):
            posts.pop(i)
    elif match := re.fullmatch(r"ajouter_tuteur-(\d+)", action):
        i = int(match[1])
        if i < len(posts) and len(posts[i]["tutors"]) < MAX_TUTORS:
            posts[i]["tutors"].append({})
    elif match := re.fullmatch(r"supprimer_tuteur-(\d+)-(\d+)", action):
        i, j = int(match[1]), int(match[2])
        if i < len(posts) and len(posts[i]["tutors"]) > 1 and j < len(posts[i]["tutors"]):
            posts[i]["tutors"].pop(j)
    return posts_to_formdata(posts)


def post_errors(forms: list[PostForms]) -> list[tuple[str, str]]:
    """(field id, "Poste 1 – Intitulé du poste : message") for the error summary."""
    items = []
    for i, (post_form, tutor_forms) in enumerate(forms, start=1):
        for post_field in post_form:
            for error in post_field.errors:
                items.append((post_field.id, f"Poste {i} – {post_field.label.text} : {error}"))
        for j, tutor_form in enumerate(tutor_forms, start=1):
            for tutor_field in tutor_form:
                for error in tutor_field.errors:
                    items.append((tutor_field.id, f"Poste {i}, tuteur {j} – {tutor_field.label.text} : {error}"))
    return items


def _posts_anchor(action: str, formdata: MultiDict) -> str:
    """Where the page opens after an edit: an added post or tutor on its first field (applications.js
    focuses a field named by the address's fragment), a removed post on the notice that can undo it, a
    removed tutor on its post's tutors."""
    posts = posts_from_formdata(formdata)
    if action == "ajouter_poste":
        return f"poste{len(posts) - 1}-title"
    if match := re.fullmatch(r"ajouter_tuteur-(\d+)", action):
        i = int(match[1])
        return f"poste{i}-tuteur{len(posts[i]['tutors']) - 1}-last_name" if i < len(posts) else "postes"
    if match := re.match(r"^supprimer_tuteur-(\d+)", action):
        return f"poste{match[1]}-tuteurs"
    if action.startswith("supprimer_poste-"):
        return "poste-supprime"
    return "postes"


def _as_raw(formdata: MultiDict) -> dict[str, list[str]]:
    return formdata.to_dict(flat=False)


def _save_posts(visit: Visit, formdata: MultiDict, action: str) -> Outcome:
    application, step = visit.application, visit.step
    # Checked and shown back as typed; kept (when not valid yet) bounded.
    posted = posts_to_formdata(posts_from_formdata(formdata, bounded=False) or [empty_post()])
    kept = posts_to_formdata(posts_from_formdata(formdata) or [empty_post()])
    if action == RESTORE_POST:
        restored, position = _restore_removed(application, step.key, kept)
        drafts.keep_raw(application, step.key, _as_raw(restored))
        return Outcome(Go(HERE, f"poste{position}-title" if position is not None else "postes"))
    if _POST_ACTION.match(action):
        _remember_removed(application, step.key, kept, action)
        edited = edit_posts(kept, action)
        drafts.keep_raw(application, step.key, _as_raw(edited))
        return Outcome(Go(HERE, _posts_anchor(action, edited)))
    drafts.clear_raw(application, _removed_key(step.key))
    forms = post_forms(posted)
    valid = posts_valid(forms)
    if valid:
        drafts.apply_posts(application, posts_answers(forms))
        drafts.clear_raw(application, step.key)
    elif not visit.editing or action != PREVIOUS:
        drafts.keep_raw(application, step.key, _as_raw(kept))
    if action == PREVIOUS and not visit.editing:
        return _back(visit)
    if valid:
        return _saved(visit)
    return _posts_page(visit, forms)


# --- documents ---------------------------------------------------------------------------------------


def _save_documents(visit: Visit, formdata: MultiDict, files: Mapping[str, FileStorage], action: str) -> Outcome:
    application, settings = visit.application, visit.settings
    form = documents_form(visit, formdata)
    if match := re.fullmatch(r"supprimer_document-(\d+)", action):
        outcome = Outcome(Go(HERE, "documents"))
        document = documents.remove_document(application, int(match[1]))
        if document is not None:
            if visit.editing:
                drafts.record_edit(application, f"document supprimé ({document.original_filename})", now=visit.now)
            outcome.flash(f"Le document « {document.original_filename} » a été supprimé.", "success")
        return outcome
    refused = False
    added = []
    for requirement in documents.requirements(application):
        file_field = form[f"doc_{requirement.key}"]
        storage = files.get(file_field.name)
        if not has_file(storage):
            continue
        try:
            documents.check_room(application, settings.quota)
            stored = stored_files.store(storage, settings.upload_max_bytes)
            documents.add_document(application, requirement.key, stored, now=visit.now, quota=settings.quota)
        except (UploadRefused, QuotaExceeded) as error:
            file_field.errors.append(str(error))
            refused = True
            continue
        added.append(stored.original_filename)
    if not refused:
        if action == PREVIOUS and not visit.editing:
            return _back(visit)
        if action != CONTINUE:  # "Enregistrer les fichiers choisis"
            outcome = Outcome(Go(HERE, "documents"))
            if added:
                outcome.flash(
                    ("Fichier enregistré : " if len(added) == 1 else "Fichiers enregistrés : ")
                    + ", ".join(added)
                    + ".",
                    "success",
                )
            return outcome
        missing = documents.missing_documents(application)
        for requirement in missing:
            form[f"doc_{requirement.key}"].errors.append(
                f"Ajoutez ce document : {requirement.label[0].lower()}{requirement.label[1:]}."
            )
        if not missing:
            if not visit.editing:
                return _saved(visit)
            outcome = Outcome(Go(FOLLOWUP))
            if added:
                drafts.record_edit(application, "pièces justificatives", now=visit.now)
                outcome.flash("Vos documents ont été ajoutés à votre candidature.", "success")
            return outcome
    return _documents_page(visit, form)


# --- completeness ------------------------------------------------------------------------------------


def step_problems(application: Application, step: Step, regime: Regime) -> list[str]:
    """Errors of one step, found with the wizard's own forms (the re-validation at submission)."""
    if not is_shown(application, step):
        return []
    if step.kind is StepKind.FORM:
        assert step.form is not None
        form = step.form(initial_formdata(application, step), regime, csrf=False)
        if form.validate():
            return []
        return [f"{form_field.label.text} : {error}" for form_field in form for error in form_field.errors]
    if step.kind is StepKind.POSTS:
        forms = post_forms(initial_formdata(application, step))
        if not application.posts or drafts.raw_answers(application, step.key) is not None or not posts_valid(forms):
            return ["Complétez la description des postes proposés et de leurs tuteurs."]
        return []
    if step.kind is StepKind.DOCUMENTS:
        return [f"Ajoutez le document : {r.label}." for r in documents.missing_documents(application)]
    return []


def check_complete(application: Application, regime: Regime) -> IncompleteApplication | None:
    for key in DATA_STEPS:
        problems = step_problems(application, BY_KEY[key], regime)
        if problems:
            return IncompleteApplication(key, problems)
    answers = drafts.application_answers(application)
    if answers is None or not evaluate(answers, regime).eligible:
        key = "ess" if answers and needs_ess_conditions(answers.structure_type) else "structure"
        return IncompleteApplication(
            key, ["Votre structure ne remplit pas les conditions pour accueillir des personnes en TIG."]
        )
    return None


def raise_if_incomplete(application: Application, regime: Regime) -> None:
    problem = check_complete(application, regime)
    if problem is not None:
        raise problem


# --- answers kept as typed: the form's fields only, each value bounded -------------------------------

DEFAULT_ANSWER_LIMIT = 400  # characters: the longest SIRET, e-mail, phone or date typed with spaces


@cache
def field_limits(form_class: type) -> dict[str, tuple[int, int]]:
    """{field name: (most characters kept per value, most values kept)} for a form class's fields.

    A value is kept up to twice its field's maximum length (so an answer a little too long comes
    back whole, with its error, to be shortened), else ``DEFAULT_ANSWER_LIMIT``; one value per
    field, as many as its choices for a group of checkboxes."""
    limits = {}
    for name, unbound in getmembers(form_class, lambda member: isinstance(member, UnboundField)):
        maxima = [v.max for v in unbound.kwargs.get("validators") or () if isinstance(v, Length) and v.max > 0]
        characters = 2 * max(maxima) if maxima else DEFAULT_ANSWER_LIMIT
        values = len(unbound.kwargs.get("choices") or ()) if issubclass(unbound.field_class, SelectMultipleField) else 1
        limits[name] = (characters, values)
    return limits


def _bounded(value: str, limit: tuple[int, int] | None) -> str:
    return value[: limit[0] if limit else DEFAULT_ANSWER_LIMIT]


def bounded_answers(form_class: type, formdata: MultiDict) -> dict[str, list[str]]:
    """The posted answers of this form's fields (other names ignored), each value bounded."""
    answers = {}
    for name, (characters, values) in field_limits(form_class).items():
        posted = formdata.getlist(name)
        if posted:
            answers[name] = [value[:characters] for value in posted[:values]]
    return answers
