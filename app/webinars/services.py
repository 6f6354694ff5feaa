"""Webinar services (to come)."""


def upcoming_webinars(limit: int = 3) -> list:
    return []
