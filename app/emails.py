"""E-mail addresses as the site compares them (accounts, webinar registrations): one rule."""

from __future__ import annotations


def normalize_email(email: str | None) -> str:
    """The form an address is looked up and kept unique by: trimmed, lower-cased."""
    return (email or "").strip().lower()
