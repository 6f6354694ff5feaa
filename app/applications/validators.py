"""Identifier and contact checks for the application wizard: pure functions, no app needed.

Each ``clean_*`` function returns the normalised value to store, or raises ``InvalidValue`` with a
French message that names the field and shows an example.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# The identifiers' checks live with the registry lookup; the wizard's forms and services use them from here.
from app.companies.identifiers import (  # noqa: F401
    RNA_EXAMPLE,
    SIREN_EXAMPLE,
    SIRET_EXAMPLE,
    clean_rna,
    clean_siren,
    clean_siret,
)
from app.territories import communes, departements_for_postal_code, get_departement, normalize_code
from app.validation import InvalidValue
from app.validation import digits as _digits

POSTAL_CODE_EXAMPLE = "33000"
PHONE_EXAMPLE = "06 12 34 56 78"
# Numbers of the overseas départements are French numbers typed the same way (10 digits).
PHONE_EXAMPLE_OVERSEAS = "0692 12 34 56"
PHONE_EXAMPLE_INTERNATIONAL = "+33 6 12 34 56 78"
EMAIL_EXAMPLE = "nom@exemple.fr"

_POSTAL_CODE = re.compile(r"^\d{5}$")
# Regions tried after France for numbers typed in the national format (0262…, 0690…).
_PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF", "WF")


def clean_postal_code(value: str | None, departement_code: str | None = None, commune: str | None = None) -> str:
    """Five digits of a postal code of the official list (a CEDEX code with its « … Cedex » commune line),
    consistent with the département when one is given."""
    code = _digits(value)
    if not _POSTAL_CODE.match(code):
        raise InvalidValue(f"Le code postal doit comporter 5 chiffres, par exemple {POSTAL_CODE_EXAMPLE}.")
    departements = departements_for_postal_code(code, commune)
    departement = get_departement(departement_code) if departement_code else None
    if not departements:
        example, town = communes.example_postal_code(departement.code if departement else "33")
        raise InvalidValue(
            f"Le code postal {code} n'existe pas dans la liste officielle des codes postaux : vérifiez-le, par "
            f"exemple {example} pour {town}. Pour une adresse CEDEX, écrivez « CEDEX » après la commune, par "
            f"exemple « {town} Cedex »."
        )
    if departement and normalize_code(departement.code) not in departements:
        example, town = communes.example_postal_code(departement.code)
        raise InvalidValue(
            f"Le code postal {code} ne correspond pas au département choisi ({departement.label}) : "
            f"vérifiez l'un ou l'autre, par exemple {example} ({town}) pour ce département."
        )
    return code


def clean_phone(value: str | None) -> str:
    """A French phone number (metropolitan or overseas), returned in E.164 (+33612345678)."""
    text = (value or "").strip()
    if not text:
        raise InvalidValue(f"Indiquez un numéro de téléphone, par exemple {PHONE_EXAMPLE}.")
    for region in _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            break
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if text.startswith(("+", "00")):
            break  # an international number is the same whatever the region: no use trying others
    raise InvalidValue(
        f"Le numéro de téléphone n'est pas valide : indiquez 10 chiffres, par exemple {PHONE_EXAMPLE}, ou "
        f"{PHONE_EXAMPLE_OVERSEAS} à La Réunion (de même dans les autres départements d'outre-mer), ou un "
        f"numéro international commençant par +, par exemple {PHONE_EXAMPLE_INTERNATIONAL}."
    )


def format_phone(e164: str | None) -> str:
    """'+33612345678' → '06 12 34 56 78' (national form for French numbers, international otherwise)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_email(value: str | None) -> str:
    """An email address checked for its syntax only (no DNS lookup), domain lower-cased."""
    text = (value or "").strip()
    if not text:
        raise InvalidValue(f"Indiquez une adresse électronique, par exemple {EMAIL_EXAMPLE}.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidValue(
            f"L'adresse électronique n'est pas valide : elle doit avoir la forme {EMAIL_EXAMPLE}."
        ) from None
    return result.normalized


def format_siret(value: str | None) -> str:
    """'12345678200010' → '123 456 782 00010'."""
    if not value or len(value) != 14:
        return value or ""
    return f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}"
