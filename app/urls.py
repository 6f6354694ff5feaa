"""Absolute links, for everything read outside the site's pages: mails, calendar files, PDFs, jobs.

Always ``SITE_URL`` + the route's path, inside or outside a request: a link never takes the host
from the request (a forged ``Host`` header must not end up in a mail or an invitation).
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """``SITE_URL`` + the path of ``endpoint`` (extra values become the query string)."""
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return current_app.config["SITE_URL"].rstrip("/") + path


class _HasToken(Protocol):
    access_token: str


class _HasId(Protocol):
    id: int


def resume_url(application: _HasToken) -> str:
    """The applicant's private link to a draft (opens the furthest step reached)."""
    return absolute_url("applications.resume", token=application.access_token)


def followup_url(application: _HasToken) -> str:
    """The applicant's private follow-up page of a submitted application."""
    return absolute_url("applications.followup", token=application.access_token)


def backoffice_url(application: _HasId) -> str:
    """The application's page in the référents' back office."""
    return absolute_url("backoffice.application_detail", application_id=application.id)
