"""Every kind of mail the site sends, in one list.

A kind names its two templates, ``emails/<value>.txt`` and ``emails/<value>.html``, rendered by the
worker from the references queued with the mail (``app/mail/outbox.py``). A mail of a kind not
listed here cannot be queued.
"""

from __future__ import annotations

import enum


class MailKind(enum.StrEnum):
    # Back-office accounts
    ACCOUNT_INVITATION = "auth_invitation"
    ACCOUNT_PASSWORD_RESET = "auth_password_reset"
    ACCOUNT_SECURITY_NOTICE = "auth_security_notice"
    # Applications: to the applicant
    APPLICATION_DRAFT_CREATED = "application_draft_created"
    APPLICATION_DRAFT_REMINDER = "application_draft_reminder"
    APPLICATION_SUBMITTED = "application_submitted"
    APPLICATION_STATUS = "application_status"
    APPLICATION_COMPLEMENTS = "application_complements"
    APPLICATION_MESSAGE = "application_message"
    # Applications: to the référents
    APPLICATION_NEW_REFERENT = "application_new_referent"
    APPLICATION_REPLY_REFERENT = "application_reply_referent"
    # Webinars: to a registrant
    WEBINAR_CONFIRMATION = "webinar_confirmation"
    WEBINAR_WAITING = "webinar_waiting"
    WEBINAR_PROMOTED = "webinar_promoted"
    WEBINAR_ALREADY_REGISTERED = "webinar_already_registered"
    WEBINAR_REGISTRATION_CANCELLED = "webinar_registration_cancelled"
    WEBINAR_INVITE = "webinar_invite"
    WEBINAR_JOIN_LINK = "webinar_join_link"
    WEBINAR_CHANGED = "webinar_changed"
    WEBINAR_CANCELLED = "webinar_cancelled"

    @property
    def templates(self) -> tuple[str, str]:
        """(plain text, HTML) template names."""
        return f"emails/{self.value}.txt", f"emails/{self.value}.html"
