"""The back office's answer to a form that changes something: call the service, then commit and
confirm, or roll back and say why, and go back to the page (POST/redirect/GET) either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect
from werkzeug.wrappers import Response

from app.applications.review import ReviewError
from app.applications.workflow import TransitionNotAllowed
from app.extensions import db
from app.webinars.services import WebinarError

# The services' refusals: their French message is shown as is.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (ReviewError, TransitionNotAllowed, WebinarError)

T = TypeVar("T")
Confirmation = str | tuple[str, str] | None  # a message (success), a message and its category, or nothing


def perform(
    action: Callable[[], T],
    *,
    success: Confirmation | Callable[[T], Confirmation],
    then: str,
    then_if_refused: str | None = None,
) -> Response:
    """Run ``action`` (a service call); on a refusal roll back, flash its message as an error and
    redirect to ``then_if_refused`` (default ``then``); otherwise commit, flash ``success`` (or what it
    returns given the action's result, read after the commit) and redirect to ``then``."""
    try:
        result = action()
    except DOMAIN_ERRORS as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(then_if_refused or then)
    db.session.commit()
    confirmation = success(result) if callable(success) else success
    if confirmation:
        message, category = (confirmation, "success") if isinstance(confirmation, str) else confirmation
        flash(message, category)
    return redirect(then)
