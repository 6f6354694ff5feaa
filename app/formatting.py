"""French dates and numbers (Babel), in Europe/Paris. Timestamps are stored naive in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal

PARIS = ZoneInfo("Europe/Paris")
LOCALE = "fr_FR"
# Read once: Babel would parse the locale's name and the date pattern again at each call, in every page.
FRENCH = Locale.parse(LOCALE)
DAY_NAMES = FRENCH.days["format"]["wide"]  # 0: lundi
MONTH_NAMES = FRENCH.months["format"]["wide"]  # 1: janvier


def utcnow() -> datetime:
    """Naive UTC 'now', the form in which every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_paris(value: datetime) -> datetime:
    """A stored (naive UTC) or aware datetime, expressed in Europe/Paris."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def paris_to_utc(value: datetime) -> datetime:
    """A naive wall-clock time in Paris (as typed in a form) → naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(UTC).replace(tzinfo=None)


def _hour(value: datetime) -> str:
    """'14 h 30', '9 h 00' — the typographic form used by French public services."""
    return f"{value.hour} h {value.minute:02d}"


def date_fr(value: date | datetime | None, fmt: str = "full") -> str:
    """'mercredi 2 février 2022' (full) or '2 février 2022' (long)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_paris(value).date()
    day = "1er" if value.day == 1 else value.day  # French writes the first day of a month "1er"
    text = f"{day} {MONTH_NAMES[value.month]} {value.year}"
    return f"{DAY_NAMES[value.weekday()]} {text}" if fmt == "full" else text


def datetime_fr(value: datetime | None) -> str:
    """'mercredi 2 février 2022 à 14 h 30'."""
    if value is None:
        return ""
    local = to_paris(value)
    return f"{date_fr(local)} à {_hour(local)}"


def short_datetime_fr(value: datetime | None) -> str:
    """'02/02/2022 à 14 h 30' for tables (hours written the French way, as everywhere else)."""
    if value is None:
        return ""
    local = to_paris(value)
    return f"{local:%d/%m/%Y} à {_hour(local)}"


def time_fr(value: datetime | None) -> str:
    return _hour(to_paris(value)) if value else ""


def time_range_fr(start: datetime, end: datetime) -> str:
    """'mercredi 2 février 2022, de 14 h 30 à 16 h 00 (heure de Paris)'."""
    local_start, local_end = to_paris(start), to_paris(end)
    return f"{date_fr(local_start)}, de {_hour(local_start)} à {_hour(local_end)} (heure de Paris)"


def duration_fr(minutes: int) -> str:
    """90 → '1 h 30', 60 → '1 h', 45 → '45 min'."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def number_fr(value: int | float) -> str:
    """'36 000' with the French (narrow no-break) thousands separator."""
    return format_decimal(value, locale=FRENCH)


def iso_paris(value: datetime) -> str:
    """Machine-readable datetime for <time datetime=...>."""
    return to_paris(value).isoformat(timespec="minutes")


JINJA_FILTERS = {
    "date_fr": date_fr,
    "datetime_fr": datetime_fr,
    "short_datetime_fr": short_datetime_fr,
    "time_fr": time_fr,
    "number_fr": number_fr,
    "duration_fr": duration_fr,
    "iso_paris": iso_paris,
}
