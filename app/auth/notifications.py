"""Account e-mails, queued in the outbox inside the caller's transaction."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for

from app.auth import services
from app.auth.models import Referent
from app.mail.outbox import queue_mail


def _absolute_url(endpoint: str, **values) -> str:
    """SITE_URL + the route's path: the same link from a request, a job or the command line."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["SITE_URL"] + path


def reset_url(referent: Referent) -> str:
    token = services.make_token(referent, current_app.config["SECRET_KEY"], services.RESET_SALT)
    return _absolute_url("auth.reset_password", token=token)


def invitation_url(referent: Referent) -> str:
    token = services.make_token(referent, current_app.config["SECRET_KEY"], services.INVITATION_SALT)
    return _absolute_url("auth.accept_invitation", token=token)


def queue_password_reset(referent: Referent):
    return queue_mail(
        referent.email,
        "Choisir un nouveau mot de passe – Espace référent TIG Partenaires",
        "auth_password_reset",
        category="compte",
        referent=referent,
        url=reset_url(referent),
        hours=current_app.config["ACCOUNT_TOKEN_HOURS"],
    )


def queue_invitation(referent: Referent, invited_by: Referent | None = None):
    return queue_mail(
        referent.email,
        "Votre compte sur l'espace référent TIG Partenaires",
        "auth_invitation",
        category="compte",
        referent=referent,
        invited_by=invited_by,
        url=invitation_url(referent),
        days=current_app.config["ACCOUNT_INVITATION_DAYS"],
    )


def queue_security_notice(referent: Referent, what: str):
    """Tell the account holder that something changed on their account (they may not be the author)."""
    return queue_mail(
        referent.email,
        "Modification de votre compte – Espace référent TIG Partenaires",
        "auth_security_notice",
        category="compte",
        referent=referent,
        what=what,
        forgot_url=_absolute_url("auth.forgot_password"),
    )
