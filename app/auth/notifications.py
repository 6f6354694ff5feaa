"""Account e-mails, queued in the outbox inside the caller's transaction."""

from __future__ import annotations

from flask import current_app

from app.auth import services
from app.auth.models import Referent
from app.mail.outbox import queue_mail
from app.urls import absolute_url


def reset_url(referent: Referent) -> str:
    token = services.make_token(referent, current_app.config["SECRET_KEY"], services.RESET_SALT)
    return absolute_url("auth.reset_password", token=token)


def invitation_url(referent: Referent) -> str:
    token = services.make_token(referent, current_app.config["SECRET_KEY"], services.INVITATION_SALT)
    return absolute_url("auth.accept_invitation", token=token)


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
        forgot_url=absolute_url("auth.forgot_password"),
    )
