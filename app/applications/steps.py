"""The wizard's steps as data: which are shown for an application, their order and titles.

``Application.current_step`` stores the position in ``STEPS`` (1–7); URLs use the number among the
steps shown to this applicant (the ESS step and the documents step are skipped for the types they
do not concern), so "Étape n sur N" never counts a hidden step.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.eligibility.documents import required_documents
from app.eligibility.engine import needs_ess_conditions


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    position: int  # in STEPS, 1-based (stored in Application.current_step)


STEPS: tuple[Step, ...] = (
    Step("structure", "Votre structure", 1),
    Step("contact", "La personne à contacter", 2),
    Step("ess", "Économie sociale et solidaire et utilité sociale", 3),
    Step("posts", "Les postes proposés et leurs tuteurs", 4),
    Step("documents", "Les pièces justificatives", 5),
    Step("review", "Vérifier vos réponses", 6),
    Step("declaration", "Déclaration et envoi", 7),
)
BY_KEY = {step.key: step for step in STEPS}
# Steps holding answers (validated again at submission, editable after submission).
DATA_STEPS = ("structure", "contact", "ess", "posts", "documents")


def is_shown(application, step: Step) -> bool:
    structure_type = application.structure_type
    if step.key == "ess":
        return structure_type is not None and needs_ess_conditions(structure_type)
    if step.key == "documents":
        return structure_type is None or bool(required_documents(structure_type, application.departement_code))
    return True


def visible_steps(application) -> list[Step]:
    return [step for step in STEPS if is_shown(application, step)]


def number_of(application, key: str) -> int:
    """The step's number as shown to this applicant (1-based); a hidden step gives the next one's."""
    position = BY_KEY[key].position
    shown = visible_steps(application)
    for index, step in enumerate(shown, start=1):
        if step.position >= position:
            return index
    return len(shown)


def step_at(application, number: int) -> Step | None:
    shown = visible_steps(application)
    return shown[number - 1] if 1 <= number <= len(shown) else None


def next_step(application, step: Step) -> Step | None:
    shown = visible_steps(application)
    later = [s for s in shown if s.position > step.position]
    return later[0] if later else None


def previous_step(application, step: Step) -> Step | None:
    shown = visible_steps(application)
    earlier = [s for s in shown if s.position < step.position]
    return earlier[-1] if earlier else None


def resume_number(application) -> int:
    """Where the resume link takes the applicant: the furthest step reached (still shown)."""
    position = max(1, min(application.current_step or 1, len(STEPS)))
    return number_of(application, STEPS[position - 1].key)
