"""The review workflow as data: every allowed transition, every forbidden one, reasons."""

from __future__ import annotations

import itertools

import pytest

from app.applications.models import ApplicationStatus as S
from app.applications.models import EventKind
from app.applications.workflow import (
    TRANSITIONS,
    TransitionNotAllowed,
    allowed_transitions,
    get_transition,
)

ALLOWED = {
    (S.SUBMITTED, S.IN_REVIEW),
    (S.IN_REVIEW, S.WAITING_APPLICANT),
    (S.WAITING_APPLICANT, S.IN_REVIEW),
    (S.IN_REVIEW, S.SENT_FOR_DECISION),
    (S.SENT_FOR_DECISION, S.APPROVED),
    (S.SENT_FOR_DECISION, S.REFUSED),
    (S.SENT_FOR_DECISION, S.CLOSED),
    (S.SUBMITTED, S.CLOSED),
    (S.IN_REVIEW, S.CLOSED),
    (S.WAITING_APPLICANT, S.CLOSED),
    (S.APPROVED, S.IN_REVIEW),
    (S.REFUSED, S.IN_REVIEW),
    (S.CLOSED, S.IN_REVIEW),
}


@pytest.mark.parametrize("source,target", sorted(itertools.product(S, S), key=lambda p: (p[0].value, p[1].value)))
def test_every_pair_of_statuses(source, target):
    possible = any(t.target is target for t in allowed_transitions(source))
    assert possible is ((source, target) in ALLOWED)


def test_drafts_have_no_action():
    assert allowed_transitions(S.DRAFT) == []


@pytest.mark.parametrize(
    "status,labels",
    [
        (S.SUBMITTED, ["Prendre en charge", "Classer sans suite"]),
        (S.IN_REVIEW, ["Demander des compléments", "Transmettre pour avis et décision", "Classer sans suite"]),
        (S.WAITING_APPLICANT, ["Reprendre l'instruction", "Classer sans suite"]),
        (S.SENT_FOR_DECISION, ["Habiliter", "Refuser", "Classer sans suite"]),
        (S.APPROVED, ["Rouvrir"]),
        (S.REFUSED, ["Rouvrir"]),
        (S.CLOSED, ["Rouvrir"]),
    ],
)
def test_buttons_per_status(status, labels):
    assert [t.label for t in allowed_transitions(status)] == labels


def test_decisions_and_reopening_need_a_reason_others_do_not():
    for transition in TRANSITIONS:
        expected = transition.is_decision or transition.action == "reopen"
        assert transition.reason_required is expected, transition
    assert {t.target for t in TRANSITIONS if t.is_decision} == {S.APPROVED, S.REFUSED, S.CLOSED}


def test_reopening_is_traced_as_its_own_event_kind():
    assert get_transition(S.REFUSED, "reopen").kind is EventKind.REOPENED
    assert get_transition(S.SENT_FOR_DECISION, "approve").kind is EventKind.DECISION
    assert get_transition(S.SUBMITTED, "take").kind is EventKind.STATUS_CHANGED


@pytest.mark.parametrize(
    "status,action",
    [
        (S.SUBMITTED, "approve"),
        (S.IN_REVIEW, "approve"),
        (S.APPROVED, "refuse"),
        (S.DRAFT, "take"),
        (S.IN_REVIEW, "take"),
        (S.SUBMITTED, "reopen"),
        (S.WAITING_APPLICANT, "send_for_decision"),
        (S.SUBMITTED, "nimporte-quoi"),
    ],
)
def test_forbidden_actions_raise(status, action):
    with pytest.raises(TransitionNotAllowed) as error:
        get_transition(status, action)
    assert status.label in str(error.value)
