"""The identifiers a structure may know: SIRET (an establishment), SIREN (the legal unit), RNA (an
association). Pure functions: each ``clean_*`` returns the normalised number or raises ``InvalidValue``
with a French message showing an example; ``parse_identifier`` tells which of the three was typed."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from app.validation import InvalidValue, digits

# Every example shown to people passes its own check (tests/test_application_validators.py): an example
# that the form refuses teaches the wrong thing.
SIRET_EXAMPLE = "123 456 782 00010"
SIREN_EXAMPLE = "123 456 782"
RNA_EXAMPLE = "W331234567"

_RNA = re.compile(r"^W[0-9A-Z]{9}$")


def clean_siret(value: str | None) -> str:
    """A SIRET (14 digits, check digits verified; La Poste's exception handled by python-stdnum)."""
    number = digits(value)
    if not number.isdigit() or len(number) != 14:
        raise InvalidValue(f"Le numéro SIRET doit comporter 14 chiffres, par exemple {SIRET_EXAMPLE}.")
    if not stdnum_siret.is_valid(number):
        raise InvalidValue(
            "Le numéro SIRET n'est pas valide : vérifiez les chiffres recopiés (il figure sur l'avis de "
            f"situation Sirene ou l'extrait Kbis), par exemple {SIRET_EXAMPLE}."
        )
    return number


def clean_siren(value: str | None) -> str:
    """A SIREN (9 digits, check digit verified)."""
    number = digits(value)
    if not number.isdigit() or len(number) != 9:
        raise InvalidValue(f"Le numéro SIREN doit comporter 9 chiffres, par exemple {SIREN_EXAMPLE}.")
    if not stdnum_siren.is_valid(number):
        raise InvalidValue(
            f"Le numéro SIREN n'est pas valide : vérifiez les chiffres recopiés, par exemple {SIREN_EXAMPLE}."
        )
    return number


def clean_rna(value: str | None) -> str:
    """An RNA number: W followed by 9 digits or capital letters (spaces ignored, case ignored)."""
    number = digits(value).upper()
    if not _RNA.match(number):
        raise InvalidValue(
            f"Le numéro RNA doit commencer par la lettre W suivie de 9 chiffres ou lettres, par exemple {RNA_EXAMPLE}."
        )
    return number


class IdentifierKind(enum.Enum):
    SIRET = "siret"
    SIREN = "siren"
    RNA = "rna"

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Identifier:
    kind: IdentifierKind
    value: str  # normalised: digits only, or W + 9 capitals/digits

    @property
    def display(self) -> str:
        """« SIRET 443 061 841 00047 », as written in the notices."""
        value = self.value
        if self.kind is IdentifierKind.SIRET:
            value = f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}"
        elif self.kind is IdentifierKind.SIREN:
            value = f"{value[:3]} {value[3:6]} {value[6:]}"
        return f"{self.kind.label} {value}"


IDENTIFIER_HINT = (
    f"Le SIRET (14 chiffres, par exemple {SIRET_EXAMPLE}), le SIREN (9 chiffres, par exemple {SIREN_EXAMPLE}) "
    f"ou, pour une association, le numéro RNA (W suivi de 9 chiffres ou lettres, par exemple {RNA_EXAMPLE})."
)


def parse_identifier(text: str | None) -> Identifier:
    """A SIRET, SIREN or RNA as typed (spaces, dots and dashes allowed); InvalidValue otherwise."""
    compact = digits(text).upper()
    if not compact:
        raise InvalidValue(f"Indiquez un numéro. {IDENTIFIER_HINT}")
    if compact.startswith("W"):
        return Identifier(IdentifierKind.RNA, clean_rna(compact))
    if compact.isdigit() and len(compact) == 14:
        return Identifier(IdentifierKind.SIRET, clean_siret(compact))
    if compact.isdigit() and len(compact) == 9:
        return Identifier(IdentifierKind.SIREN, clean_siren(compact))
    raise InvalidValue(f"Ce numéro n'a pas la forme attendue. {IDENTIFIER_HINT}")
