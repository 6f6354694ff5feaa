"""What every value check shares: ``InvalidValue``, whose French message tells the person what to
correct, and the clean-up of numbers as people type them."""

from __future__ import annotations

import re


class InvalidValue(ValueError):
    """A value the person must correct; ``str(error)`` is the French message shown next to the field."""


def digits(value: str | None) -> str:
    """Remove the spaces, dots and dashes people type inside numbers."""
    return re.sub(r"[\s.\-\u00a0\u202f]", "", value or "")
