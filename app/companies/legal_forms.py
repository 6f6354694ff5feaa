"""Legal forms (« catégories juridiques » of Insee, level III, the ``nature_juridique`` of the Sirene
register) and the family each belongs to for this site: public body, association, cooperative…

The codes and their labels are in ``legal_forms.csv`` (Insee's nomenclature); the ``family`` column is
this site's reading of them, the base of the structure type proposed to a person
(app/eligibility/proposals.py).
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("legal_forms.csv")


class Family(enum.Enum):
    PUBLIC = "publique"  # State, local authorities, public establishments (4xxx, 7xxx)
    PUBLIC_SERVICE_PRIVATE = "service_public_prive"  # social security bodies, professional orders…
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    MUTUELLE = "mutuelle"
    FONDATION = "fondation"
    COMPANY = "societe"  # commercial and civil companies, GIE
    OTHER_PRIVATE = "autre_prive"  # unions, works councils, co-ownerships… : no proposal
    NATURAL_PERSON = "personne_physique"  # individual entrepreneur: not a legal person
    NO_LEGAL_PERSONALITY = "sans_personnalite"  # joint ownerships, de facto partnerships, trusts…
    FOREIGN = "etranger"


@dataclass(frozen=True)
class LegalForm:
    code: str
    label: str
    family: Family

    @property
    def display(self) -> str:
        """« SAS, société par actions simplifiée (5710) »."""
        return f"{self.label} ({self.code})" if self.code else self.label


@cache
def _catalogue() -> dict[str, LegalForm]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: LegalForm(row["code"], row["label"], Family(row["family"])) for row in csv.DictReader(handle)
        }


def _family_of_unknown(code: str) -> Family:
    """A code missing from the catalogue (a new one): its family from the nomenclature's first levels."""
    if code.startswith("92"):
        return Family.ASSOCIATION
    return {
        "1": Family.NATURAL_PERSON,
        "2": Family.NO_LEGAL_PERSONALITY,
        "3": Family.FOREIGN,
        "4": Family.PUBLIC,
        "5": Family.COMPANY,
        "6": Family.COMPANY,
        "7": Family.PUBLIC,
    }.get(code[:1], Family.OTHER_PRIVATE)


def legal_form(code: str | None) -> LegalForm | None:
    """The legal form of a 4-digit code; None without a code."""
    code = (code or "").strip()
    if not code:
        return None
    known = _catalogue().get(code)
    if known is not None:
        return known
    return LegalForm(code, f"Catégorie juridique {code}", _family_of_unknown(code))
