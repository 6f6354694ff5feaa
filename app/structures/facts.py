"""The facts of a decision as the référent records them, and the rules that make them consistent
(pure functions: no database, no request).

A habilitation is decided by the directeur du SPIP after the opinions of the procureur de la
République, the juge de l'application des peines and the préfet, for five years; a post is inscribed
(or removed) after the opinions of the procureur and the JAP. The dates typed must tell a story that
can have happened: nothing decided before it was asked, no opinion after the decision, no end
before the start. Each rule answers with the field it concerns and a French message for it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from app.formatting import date_fr

HABILITATION_YEARS = 5
AUTHORITY_EXAMPLE = "directeur du SPIP de la Gironde"

# The opinions a decision may follow: (field, how a sentence names it).
OPINIONS = (
    ("prosecutor_opinion_on", "du procureur de la République"),
    ("jap_opinion_on", "du juge de l'application des peines"),
    ("prefect_opinion_on", "du préfet"),
)


class InvalidFacts(Exception):
    """Dates or facts that cannot be right; ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class DecisionFacts:
    """A decision as it was taken: when, by whom, after which opinions (None: not given)."""

    decided_on: date
    authority: str
    prosecutor_opinion_on: date | None = None
    jap_opinion_on: date | None = None
    prefect_opinion_on: date | None = None


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def habilitation_end(starts_on: date) -> date:
    """End of a habilitation that starts on ``starts_on``: five years later."""
    return add_years(starts_on, HABILITATION_YEARS)


def _long(day: date) -> str:
    return date_fr(day, "long")


def check_decision(facts: DecisionFacts, *, asked_on: date, today: date, opinions: tuple[str, ...]) -> dict[str, str]:
    """Errors of a decision on a request filed on ``asked_on``; ``opinions``: the opinion fields that
    apply (the préfet's only for a habilitation)."""
    errors: dict[str, str] = {}
    if facts.decided_on < asked_on:
        errors["decided_on"] = (
            f"La décision ne peut pas précéder le dépôt de la demande, le {_long(asked_on)} : vérifiez la date."
        )
    elif facts.decided_on > today:
        errors["decided_on"] = (
            "La date de la décision ne peut pas être dans le futur : enregistrez la décision une fois qu'elle est prise."
        )
    if not facts.authority.strip():
        errors["authority"] = f"Indiquez l'autorité qui a pris la décision, par exemple : {AUTHORITY_EXAMPLE}."
    for field, whose in OPINIONS:
        given = getattr(facts, field)
        if given is None or field not in opinions:
            continue
        if given > facts.decided_on:
            errors[field] = (
                f"L'avis {whose} ne peut pas être postérieur à la décision du {_long(facts.decided_on)} : "
                "la décision est prise après les avis."
            )
        elif given < asked_on:
            errors[field] = (
                f"L'avis {whose} ne peut pas précéder le dépôt de la demande, le {_long(asked_on)} : vérifiez la date."
            )
    return errors


def check_period(period: Period, *, decided_on: date) -> dict[str, str]:
    """Errors of a habilitation's period granted by a decision of ``decided_on``."""
    errors: dict[str, str] = {}
    if period.starts_on < decided_on:
        errors["starts_on"] = (
            f"L'habilitation ne peut pas commencer avant la décision qui l'accorde, le {_long(decided_on)}."
        )
    if period.ends_on <= period.starts_on:
        errors["ends_on"] = f"La fin de l'habilitation doit être postérieure à son début, le {_long(period.starts_on)}."
    elif period.ends_on > habilitation_end(period.starts_on):
        errors["ends_on"] = (
            f"Une habilitation est accordée pour cinq ans au plus : au plus tard jusqu'au "
            f"{_long(habilitation_end(period.starts_on))}."
        )
    return errors


def check_ending(ended_on: date, *, started_on: date, today: date, what: str) -> dict[str, str]:
    """Errors of the date of a decision that ends something (a withdrawal, a removal) begun on
    ``started_on``; ``what`` names it in the message (« le retrait », « la radiation »)."""
    if ended_on < started_on:
        return {"decided_on": f"La date de {what} ne peut pas précéder le {_long(started_on)}, date de son début."}
    if ended_on > today:
        return {
            "decided_on": f"La date de {what} ne peut pas être dans le futur : enregistrez la décision une fois prise."
        }
    return {}


# The register shows « expire bientôt » for a habilitation ending within this many months.
EXPIRING_SOON_MONTHS = 6


@dataclass(frozen=True)
class Approval:
    """What the référent records with « Habiliter »: the decision's facts and, for a habilitation, its
    period (None: from the decision, or the day after the current one for a renewal, for five years)."""

    facts: DecisionFacts
    starts_on: date | None = None
    ends_on: date | None = None
