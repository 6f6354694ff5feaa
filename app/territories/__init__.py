"""The 101 départements as data, shared by every feature (forms, rules, referents, webinars).

The list lives in ``departements.csv`` (code, name, region, optional referent email overriding the
default address). The lists of départements fixed by legal texts (experimentations) belong to the
eligibility regimes (``app/eligibility/regimes/*.toml``), their only source.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.territories.communes import communes_for_postal_code, match_commune

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


def departements_for_postal_code(postal_code: str | None, commune: str | None = None) -> set[str]:
    """Départements a postal code belongs to, from the official list of communes and postal codes.

    Usually one; two when the code serves communes on both sides of a border (33220: Gironde and
    Dordogne). With the commune's name, the département of that commune only (and a CEDEX code, absent
    from the public list, is understood from « Bordeaux Cedex »). Unknown code: an empty set.
    """
    if commune:
        found = match_commune(postal_code, commune).commune
        if found is not None:
            return {found.departement}
    return {c.departement for c in communes_for_postal_code(postal_code)}
