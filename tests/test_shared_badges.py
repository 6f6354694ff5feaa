"""Badges shared between pages: an application's status, a back-office account's state."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template_string

from app.applications.models import ApplicationStatus


def test_status_badge_colours(app):
    template = '{% from "applications/_status.html" import status_badge %}{{ status_badge(status, small=small) }}'
    with app.test_request_context():
        submitted = render_template_string(template, status=ApplicationStatus.SUBMITTED, small=False)
        approved = render_template_string(template, status=ApplicationStatus.APPROVED, small=True)
    assert submitted.strip() == (
        f'<span class="fr-badge fr-badge--new fr-badge--no-icon">{ApplicationStatus.SUBMITTED.label}</span>'
    )
    assert "fr-badge--sm fr-badge--success" in approved and ApplicationStatus.APPROVED.label in approved


def test_account_badge_states(app):
    template = '{% from "backoffice/accounts/_badges.html" import account_badge %}{{ account_badge(referent) }}'

    def badge(**state):
        with app.test_request_context():
            return render_template_string(template, referent=SimpleNamespace(**state))

    assert (
        badge(is_active=False, password_hash="x")
        == '<span class="fr-badge fr-badge--sm fr-badge--error">Désactivé</span>'
    )
    assert (
        badge(is_active=True, password_hash=None)
        == '<span class="fr-badge fr-badge--sm fr-badge--info">Invitation envoyée</span>'
    )
    assert (
        badge(is_active=True, password_hash="x") == '<span class="fr-badge fr-badge--sm fr-badge--success">Actif</span>'
    )
