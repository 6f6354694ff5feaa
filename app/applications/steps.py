"""The wizard's steps as data: each step's title, template, form, how its answers are saved, and
which applications it applies to; and the navigation between the steps shown.

``Application.current_step`` stores the position in ``STEPS`` (1–7); URLs use the number among the
steps shown to this applicant (the ESS step and the documents step are skipped for the types they
do not concern), so "Étape n sur N" never counts a hidden step. What saving or showing a step does
is in ``app.applications.wizard``, driven by these declarations.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from app.applications import drafts
from app.applications import forms as f
from app.applications.documents import requirements
from app.applications.models import Application
from app.applications.validators import format_phone
from app.eligibility.engine import Regime, needs_ess_conditions
from app.eligibility.structures import StructureType


class StepKind(enum.Enum):
    FORM = "form"  # one form, its answers saved on the application
    POSTS = "posts"  # posts and their tutors, added and removed without JavaScript
    DOCUMENTS = "documents"  # one upload field per document required
    REVIEW = "review"  # the answers read back, with what is still missing
    DECLARATION = "declaration"  # the certification, then submission


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    position: int  # in STEPS, 1-based (stored in Application.current_step)
    kind: StepKind
    template: str
    # Whether the step concerns this application (by its type of structure and département).
    applies_to: Callable[[Application], bool] = lambda application: True
    # FORM steps: the form (from form data; the regime for the eligibility check), the values it
    # shows for the saved application, and how its valid answers reach the application.
    form: Callable[..., f.BaseForm] | None = None
    saved_values: Callable[[Application], MultiDict] | None = None
    answers: Callable[[Any], Any] | None = None
    apply: Callable[[Application, Any], None] | None = None
    # The step offers the lookup in the Annuaire des entreprises (its form has ``identifiant``): « Rechercher »
    # fills the form from the register, and saving records what the register says (registry_check.py).
    registry_lookup: bool = False

    @property
    def holds_answers(self) -> bool:
        """Validated again at submission, editable after submission."""
        return self.kind in (StepKind.FORM, StepKind.POSTS, StepKind.DOCUMENTS)


# --- the forms' answers as the services take them ---------------------------------------------------


def _structure_form(formdata: MultiDict, regime: Regime, *, csrf: bool = True) -> f.StructureForm:
    return f.StructureForm(
        formdata=formdata,
        eligibility_check=lambda structure_type, departement: drafts.ineligibility_reason(
            structure_type, departement, regime
        ),
        **({} if csrf else {"meta": {"csrf": False}}),
    )


def _contact_form(formdata: MultiDict, regime: Regime, *, csrf: bool = True) -> f.ContactForm:
    return f.ContactForm(formdata=formdata, **({} if csrf else {"meta": {"csrf": False}}))


def _ess_form(formdata: MultiDict, regime: Regime, *, csrf: bool = True) -> f.EssForm:
    return f.EssForm(formdata=formdata, **({} if csrf else {"meta": {"csrf": False}}))


def _structure_answers(form: f.StructureForm) -> drafts.StructureAnswers:
    return drafts.StructureAnswers(
        name=form.structure_name.data or "",
        structure_type=StructureType(form.structure_type.data),
        siret=form.siret.data or "",
        rna=form.rna.data or "",
        address=form.address.data or "",
        postal_code=form.postal_code.data or "",
        commune=form.commune.data or "",
        departement_code=form.departement_code.data or "",
    )


def _contact_answers(form: f.ContactForm) -> drafts.ContactAnswers:
    return drafts.ContactAnswers(
        last_name=form.contact_last_name.data or "",
        first_name=form.contact_first_name.data or "",
        role=form.contact_role.data or "",
        email=form.contact_email.data or "",
        phone=form.contact_phone.data or "",
    )


def _ess_answers(form: f.EssForm) -> drafts.EssAnswers:
    chosen = set(form.social_utility.data or [])
    return drafts.EssAnswers(
        non_profit_purpose=form.ess_non_profit_purpose.data == "oui",
        democratic_governance=form.ess_democratic_governance.data == "oui",
        profits_reinvested=form.ess_profits_reinvested.data == "oui",
        social_utility=tuple(key for key in f.SOCIAL_UTILITY_LABELS if key in chosen),
        statement=form.social_utility_statement.data or "",
    )


# --- what the forms show for a saved application ----------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


def _structure_values(a: Application) -> MultiDict:
    return MultiDict(
        {
            "structure_name": a.structure_name or "",
            "structure_type": a.structure_type.value if a.structure_type else "",
            "siret": a.siret or "",
            "rna": a.rna or "",
            "address": a.address or "",
            "postal_code": a.postal_code or "",
            "commune": a.commune or "",
            "departement_code": a.departement_code or "",
        }
    )


def _contact_values(a: Application) -> MultiDict:
    return MultiDict(
        {
            "contact_last_name": a.contact_last_name or "",
            "contact_first_name": a.contact_first_name or "",
            "contact_role": a.contact_role or "",
            "contact_email": a.contact_email or "",
            "contact_phone": format_phone(a.contact_phone),
        }
    )


def _ess_values(a: Application) -> MultiDict:
    data = MultiDict(
        {
            "ess_non_profit_purpose": _yes_no(a.ess_non_profit_purpose),
            "ess_democratic_governance": _yes_no(a.ess_democratic_governance),
            "ess_profits_reinvested": _yes_no(a.ess_profits_reinvested),
            "social_utility_statement": a.social_utility_statement or "",
        }
    )
    for key in a.social_utility or []:
        data.add("social_utility", key)
    return data


# --- which applications a step concerns -------------------------------------------------------------


def _needs_ess_step(application: Application) -> bool:
    return application.structure_type is not None and needs_ess_conditions(application.structure_type)


def _needs_documents_step(application: Application) -> bool:
    return application.structure_type is None or bool(requirements(application))


STEPS: tuple[Step, ...] = (
    Step(
        "structure",
        "Votre structure",
        1,
        StepKind.FORM,
        "applications/step_structure.html",
        form=_structure_form,
        saved_values=_structure_values,
        answers=_structure_answers,
        apply=drafts.apply_structure,
        registry_lookup=True,
    ),
    Step(
        "contact",
        "La personne à contacter",
        2,
        StepKind.FORM,
        "applications/step_contact.html",
        form=_contact_form,
        saved_values=_contact_values,
        answers=_contact_answers,
        apply=drafts.apply_contact,
    ),
    Step(
        "ess",
        "Économie sociale et solidaire et utilité sociale",
        3,
        StepKind.FORM,
        "applications/step_ess.html",
        applies_to=_needs_ess_step,
        form=_ess_form,
        saved_values=_ess_values,
        answers=_ess_answers,
        apply=drafts.apply_ess,
    ),
    Step("posts", "Les postes proposés et leurs tuteurs", 4, StepKind.POSTS, "applications/step_posts.html"),
    Step(
        "documents",
        "Les pièces justificatives",
        5,
        StepKind.DOCUMENTS,
        "applications/step_documents.html",
        applies_to=_needs_documents_step,
    ),
    Step("review", "Vérifier vos réponses", 6, StepKind.REVIEW, "applications/step_review.html"),
    Step("declaration", "Déclaration et envoi", 7, StepKind.DECLARATION, "applications/step_declaration.html"),
)
BY_KEY = {step.key: step for step in STEPS}
# Steps holding answers (validated again at submission, editable after submission).
DATA_STEPS = tuple(step.key for step in STEPS if step.holds_answers)


# --- navigation among the steps shown ---------------------------------------------------------------


def is_shown(application: Application, step: Step) -> bool:
    return step.applies_to(application)


def visible_steps(application: Application) -> list[Step]:
    return [step for step in STEPS if is_shown(application, step)]


def number_of(application: Application, key: str) -> int:
    """The step's number as shown to this applicant (1-based); a hidden step gives the next one's."""
    position = BY_KEY[key].position
    shown = visible_steps(application)
    for index, step in enumerate(shown, start=1):
        if step.position >= position:
            return index
    return len(shown)


def step_at(application: Application, number: int) -> Step | None:
    shown = visible_steps(application)
    return shown[number - 1] if 1 <= number <= len(shown) else None


def next_step(application: Application, step: Step) -> Step | None:
    later = [s for s in visible_steps(application) if s.position > step.position]
    return later[0] if later else None


def previous_step(application: Application, step: Step) -> Step | None:
    earlier = [s for s in visible_steps(application) if s.position < step.position]
    return earlier[-1] if earlier else None


def resume_number(application: Application) -> int:
    """Where the resume link takes the applicant: the furthest step reached (still shown)."""
    position = max(1, min(application.current_step or 1, len(STEPS)))
    return number_of(application, STEPS[position - 1].key)
