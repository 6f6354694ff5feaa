"""The 101 départements as data, shared by every feature (forms, rules, referents, webinars).

The list lives in ``departements.csv`` (code, name, region, optional referent email overriding the
default address). The lists of départements fixed by legal texts (experimentations) belong to the
eligibility regimes (``app/eligibility/regimes/*.toml``), their only source.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("departements.csv")
DEFAULT_REFERENT_EMAIL = "referent.tig.{code}@justice.fr"
# Departements whose associations are registered by the tribunal (local law), without RNA number.
ALSACE_MOSELLE = frozenset({"57", "67", "68"})


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    region: str
    referent_email_override: str = ""

    @property
    def label(self) -> str:
        """« 33 – Gironde », as shown in lists and select options."""
        return f"{self.code} – {self.name}"

    @property
    def referent_email(self) -> str:
        return self.referent_email_override or DEFAULT_REFERENT_EMAIL.format(code=self.code.lower())

    @property
    def is_overseas(self) -> bool:
        return len(self.code) == 3


@cache
def all_departements() -> tuple[Departement, ...]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Departement(
                code=row["code"],
                name=row["name"],
                region=row["region"],
                referent_email_override=row["referent_email"].strip(),
            )
            for row in csv.DictReader(handle)
        )


@cache
def _by_code() -> dict[str, Departement]:
    return {d.code: d for d in all_departements()}


def normalize_code(value: str | None) -> str:
    """'2a' → '2A', '1' → '01', ' 33 ' → '33'; unknown shapes are returned upper-cased."""
    code = (value or "").strip().upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    return code


def get_departement(code: str | None) -> Departement | None:
    return _by_code().get(normalize_code(code))


def departement_label(code: str | None) -> str:
    """« 33 – Gironde » for a known code; an unknown code as it is (older data); "" for none."""
    departement = get_departement(code)
    return departement.label if departement else (code or "")


def is_valid_code(code: str | None) -> bool:
    return get_departement(code) is not None


def departement_choices(blank: str | None = "Sélectionner un département") -> list:
    """Choices for a WTForms SelectField, in the official order."""
    from app.forms import select_choices

    return select_choices(((d.code, d.label) for d in all_departements()), blank)


def regions() -> list[str]:
    seen: dict[str, None] = {}
    for d in all_departements():
        seen.setdefault(d.region, None)
    return sorted(seen, key=_sort_key)


def departements_of_region(region: str) -> list[Departement]:
    return [d for d in all_departements() if d.region == region]


def _sort_key(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def search_departements(query: str) -> list[Departement]:
    """Find départements by number ('33', '2a', '974') or by name, accents and case ignored."""
    query = (query or "").strip()
    if not query:
        return list(all_departements())
    code = normalize_code(query)
    exact = get_departement(code)
    if exact:
        return [exact]
    needle = _sort_key(query).replace("-", " ").replace("'", " ")
    return [
        d
        for d in all_departements()
        if needle in _sort_key(d.name).replace("-", " ").replace("'", " ") or d.code.startswith(code)
    ]


_POSTAL_CODE = re.compile(r"^\d{5}$")


def departements_for_postal_code(postal_code: str) -> set[str]:
    """Départements a postal code may belong to (a heuristic: the first digits).

    Corsican codes (20xxx) can be 2A or 2B, overseas codes map to 97x, Monaco-like or military
    codes return an empty set. The set is used to check a postal code is consistent with the
    département chosen by the applicant, not to guess it.
    """
    code = (postal_code or "").strip().replace(" ", "")
    if not _POSTAL_CODE.match(code):
        return set()
    if code.startswith("97"):
        return {code[:3]} if is_valid_code(code[:3]) else set()
    if code.startswith("20"):
        # 200xx–201xx: Corse-du-Sud, 202xx–206xx: Haute-Corse; CEDEX codes cross the line.
        return {"2A", "2B"}
    prefix = code[:2]
    return {prefix} if is_valid_code(prefix) else set()
