"""Communes and postal codes from the official lists, offline.

The data is the npm package ``@etalab/decoupage-administratif`` (``package.json``, installed in
``node_modules`` by ``make install`` and ``npm ci``): the communes of INSEE's Code officiel géographique
with La Poste's postal codes. It is read once per process, on first use (``wsgi.py`` loads it at start).

What it answers:
- ``communes_for_postal_code("33220")``: every commune served by a postal code, sometimes in two
  départements (33220 serves communes of Gironde and of Dordogne);
- ``commune_by_code("75115")``: the commune of an INSEE code (a municipal arrondissement of Paris, Lyon
  or Marseille gives its commune, Paris), as the Sirene register gives it;
- ``match_commune(postal_code, typed_name)``: the commune a person means by a postal code and a name,
  accents, case, hyphens and « St »/« Saint » ignored; a former commune merged into a new one is found
  under its own name. CEDEX codes (given to organisations, absent from the public list) are accepted
  when the name says « CEDEX » and names a commune of the département the code starts with.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = (
    Path(__file__).resolve().parents[2]
    / "node_modules"
    / "@etalab"
    / "decoupage-administratif"
    / "data"
    / "communes.json"
)
_POSTAL_CODE = re.compile(r"^\d{5}$")
_CEDEX = re.compile(r"\s*\bcedex\b(\s*\d{1,3})?\s*$")
# « Paris 15 », « Lyon 3e », « Marseille 1er arrondissement »: the city, as far as the postal code matters.
_ARRONDISSEMENT = re.compile(r"^(paris|lyon|marseille)( \d{1,2}( ?(er|e|eme))?( arrondissement)?)$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


class CommunesDataMissing(RuntimeError):
    """node_modules lacks the official list: ``make install`` (or ``npm ci``) was not run."""


@dataclass(frozen=True)
class Commune:
    code: str  # INSEE code (Code officiel géographique)
    name: str
    departement: str
    postal_codes: tuple[str, ...] = ()
    population: int = 0

    @property
    def label(self) -> str:
        """« Saint-Antoine-de-Breuilh (24) », as offered when several communes share a postal code."""
        return f"{self.name} ({self.departement})"


@dataclass(frozen=True)
class CommuneMatch:
    """The result of ``match_commune``: ``commune`` is None when the name does not match.

    ``candidates`` are the communes the postal code serves (empty for an unknown code), ``name`` the name
    to keep (the official spelling, or the former commune's name, or the CEDEX line as typed)."""

    postal_code_known: bool
    candidates: tuple[Commune, ...]
    commune: Commune | None = None
    name: str = ""
    cedex: bool = False


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Commune]
    by_postal_code: dict[str, tuple[Commune, ...]]
    # Former communes (déléguées, associées): (name, code of the current commune they belong to).
    former: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Names:
    """Name keys, built on first need (CEDEX lines, former communes): most pages never need them."""

    former: dict[str, tuple[tuple[str, Commune], ...]]
    by_departement_and_name: dict[tuple[str, str], Commune]


def name_key(text: str | None) -> str:
    """« Saint-Médard-en-Jalles » and « ST MEDARD EN JALLES » give the same key."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _without_cedex(key: str) -> tuple[str, bool]:
    stripped = _CEDEX.sub("", key)
    return stripped.strip(), stripped != key


@cache
def _index() -> _Index:
    if not DATA_FILE.is_file():
        raise CommunesDataMissing(
            f"Liste officielle des communes introuvable ({DATA_FILE}) : lancez « make install » (npm ci)."
        )
    with DATA_FILE.open(encoding="utf-8") as handle:
        rows = json.load(handle)
    current: dict[str, Commune] = {}
    for row in rows:
        if row.get("type") == "commune-actuelle":
            current[row["code"]] = Commune(
                row["code"],
                row["nom"],
                row["departement"],
                tuple(row.get("codesPostaux") or ()),
                int(row.get("population") or 0),
            )
    by_code = dict(current)
    former: list[tuple[str, str]] = []
    for row in rows:
        kind = row.get("type")
        if kind == "arrondissement-municipal" and row.get("commune") in current:
            by_code.setdefault(row["code"], current[row["commune"]])
        elif kind in ("commune-deleguee", "commune-associee") and row.get("chefLieu") in current:
            by_code.setdefault(row["code"], current[row["chefLieu"]])
            former.append((row["nom"], row["chefLieu"]))
    by_postal_code: dict[str, list[Commune]] = {}
    for commune in current.values():
        for postal_code in commune.postal_codes:
            by_postal_code.setdefault(postal_code, []).append(commune)
    return _Index(
        by_code=by_code,
        by_postal_code={code: tuple(communes) for code, communes in by_postal_code.items()},
        former=tuple(former),
    )


@cache
def _names() -> _Names:
    index = _index()
    former: dict[str, list[tuple[str, Commune]]] = {}
    for name, parent_code in index.former:
        former.setdefault(name_key(name), []).append((name, index.by_code[parent_code]))
    return _Names(
        former={key: tuple(values) for key, values in former.items()},
        by_departement_and_name={
            (c.departement, name_key(c.name)): c for code, c in index.by_code.items() if c.code == code
        },
    )


def load() -> None:
    """Read the list now (at start-up) rather than on the first request that needs it."""
    _index()


def clean_digits(postal_code: str | None) -> str:
    return re.sub(r"[\s.\-\u00a0\u202f]", "", postal_code or "")


def communes_for_postal_code(postal_code: str | None) -> tuple[Commune, ...]:
    """The communes a postal code serves, in alphabetical order (accents ignored)."""
    communes = _index().by_postal_code.get(clean_digits(postal_code), ())
    return tuple(sorted(communes, key=lambda c: (name_key(c.name), c.departement)))


def is_known_postal_code(postal_code: str | None) -> bool:
    return clean_digits(postal_code) in _index().by_postal_code


def commune_by_code(insee_code: str | None) -> Commune | None:
    return _index().by_code.get((insee_code or "").strip().upper())


def departements_of_code_prefix(postal_code: str) -> frozenset[str]:
    """The départements a code outside the public list (CEDEX) may belong to, from its first digits:
    97x overseas, 20xxx Corsica (either département), otherwise the first two digits."""
    if not _POSTAL_CODE.match(postal_code):
        return frozenset()
    if postal_code.startswith("97"):
        return frozenset({postal_code[:3]})
    if postal_code.startswith("20"):
        return frozenset({"2A", "2B"})
    return frozenset({postal_code[:2]})


def _city_key(key: str) -> str:
    found = _ARRONDISSEMENT.match(key)
    return found.group(1) if found else key


def match_commune(postal_code: str | None, typed_name: str | None) -> CommuneMatch:
    """Which commune a postal code and a typed name designate (see the module's docstring)."""
    code = clean_digits(postal_code)
    key, cedex = _without_cedex(name_key(typed_name))
    key = _city_key(key)
    candidates = communes_for_postal_code(code)
    if candidates:
        for commune in candidates:
            if name_key(commune.name) == key:
                return CommuneMatch(True, candidates, commune, commune.name, cedex)
        for former_name, parent in _names().former.get(key, ()):
            if parent in candidates:
                return CommuneMatch(True, candidates, parent, former_name, cedex)
        return CommuneMatch(True, candidates)
    if cedex and key:
        names = _names()
        for departement in sorted(departements_of_code_prefix(code)):
            found = names.by_departement_and_name.get((departement, key))
            if found is None:
                found = next((p for _, p in names.former.get(key, ()) if p.departement == departement), None)
            if found is not None:
                return CommuneMatch(False, (), found, (typed_name or "").strip(), cedex=True)
    return CommuneMatch(False, ())


def example_postal_code(departement_code: str) -> tuple[str, str]:
    """(postal code, commune) to quote in a message about a département: its most populous commune and
    that commune's first code (33000 Bordeaux, 20200 Bastia, 97400 Saint-Denis)."""
    communes = [
        c
        for code, c in _index().by_code.items()
        if c.code == code and c.departement == departement_code and c.postal_codes
    ]
    if not communes:
        return ("33000", "Bordeaux")
    largest = max(communes, key=lambda c: c.population)
    return largest.postal_codes[0], largest.name
