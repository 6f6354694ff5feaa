"""The review workflow of an application, as data (pure: no database, no request).

déposée → en instruction ("Prendre en charge");
en instruction ↔ en attente du demandeur ("Demander des compléments" / "Reprendre l'instruction", also
taken when the applicant answers: app/applications/replies.py);
en instruction → transmise pour avis et décision;
transmise → habilitée / refusée / classée sans suite (the decision of the directeur du SPIP, recorded
by the référent, always with its reason);
classée sans suite is also possible from déposée, en instruction and en attente du demandeur;
a final status can be reopened (back to en instruction, with a reason, traced in the history).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.applications.models import ApplicationStatus as S
from app.applications.models import EventKind


class TransitionNotAllowed(Exception):
    """The action does not exist for the application's current status."""

    def __init__(self, status: S, action: str):
        self.status = status
        self.action = action
        label = ACTION_LABELS.get(action, action)
        super().__init__(
            f"Action « {label} » impossible : la candidature est au statut « {status.label} » "
            "(elle a peut-être changé depuis l'affichage de la page)."
        )


@dataclass(frozen=True)
class Transition:
    action: str  # stable key used in URLs and forms
    source: S
    target: S
    label: str  # the button's French label
    reason_required: bool = False
    is_decision: bool = False  # habilitée / refusée / classée sans suite
    # Actions with their own form (the complements request lists the missing items).
    has_own_form: bool = False

    @property
    def kind(self) -> EventKind:
        """What the history records for this transition."""
        if self.action == "reopen":
            return EventKind.REOPENED
        if self.is_decision:
            return EventKind.DECISION
        if self.action == "request_complements":
            return EventKind.COMPLEMENTS_REQUESTED
        return EventKind.STATUS_CHANGED


ACTION_LABELS = {
    "take": "Prendre en charge",
    "request_complements": "Demander des compléments",
    "resume": "Reprendre l'instruction",
    "send_for_decision": "Transmettre pour avis et décision",
    "approve": "Habiliter",
    "refuse": "Refuser",
    "close": "Classer sans suite",
    "reopen": "Rouvrir",
}


def _t(action: str, source: S, target: S, **kwargs) -> Transition:
    return Transition(action=action, source=source, target=target, label=ACTION_LABELS[action], **kwargs)


TRANSITIONS: tuple[Transition, ...] = (
    _t("take", S.SUBMITTED, S.IN_REVIEW),
    _t("request_complements", S.IN_REVIEW, S.WAITING_APPLICANT, has_own_form=True),
    _t("resume", S.WAITING_APPLICANT, S.IN_REVIEW),
    _t("send_for_decision", S.IN_REVIEW, S.SENT_FOR_DECISION),
    _t("approve", S.SENT_FOR_DECISION, S.APPROVED, reason_required=True, is_decision=True),
    _t("refuse", S.SENT_FOR_DECISION, S.REFUSED, reason_required=True, is_decision=True),
    _t("close", S.SENT_FOR_DECISION, S.CLOSED, reason_required=True, is_decision=True),
    _t("close", S.SUBMITTED, S.CLOSED, reason_required=True, is_decision=True),
    _t("close", S.IN_REVIEW, S.CLOSED, reason_required=True, is_decision=True),
    _t("close", S.WAITING_APPLICANT, S.CLOSED, reason_required=True, is_decision=True),
    _t("reopen", S.APPROVED, S.IN_REVIEW, reason_required=True),
    _t("reopen", S.REFUSED, S.IN_REVIEW, reason_required=True),
    _t("reopen", S.CLOSED, S.IN_REVIEW, reason_required=True),
)

_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}

OPEN_STATUSES = (S.SUBMITTED, S.IN_REVIEW, S.WAITING_APPLICANT, S.SENT_FOR_DECISION)


def allowed_transitions(status: S) -> list[Transition]:
    """The actions offered for a status, in the order of the buttons."""
    return [t for t in TRANSITIONS if t.source is status]


def get_transition(status: S, action: str) -> Transition:
    try:
        return _BY_KEY[(status, action)]
    except KeyError:
        raise TransitionNotAllowed(status, action) from None
