"""Identifier and contact validators of the application wizard (pure functions, no app)."""

import pytest

from app.applications.validators import (
    InvalidValue,
    clean_email,
    clean_phone,
    clean_postal_code,
    clean_rna,
    clean_siren,
    clean_siret,
    format_phone,
    format_siret,
)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("732 829 320 00074", "73282932000074"),
        ("73282932000074", "73282932000074"),
        ("732.829.320-00074", "73282932000074"),
        # La Poste: SIREN 356000000, its establishments' SIRETs fail Luhn but their digit sum is a multiple of 5.
        ("356 000 000 49837", "35600000049837"),
        ("35600000000048", "35600000000048"),
    ],
)
def test_siret_accepted_and_normalised(typed, stored):
    assert clean_siret(typed) == stored


@pytest.mark.parametrize("typed", ["7328293200007", "732829320000745", "7328293200007A", ""])
def test_siret_wrong_length_names_field_and_example(typed):
    with pytest.raises(InvalidValue) as error:
        clean_siret(typed)
    assert "SIRET doit comporter 14 chiffres" in str(error.value)
    assert "123 456 782 00010" in str(error.value)


@pytest.mark.parametrize("typed", ["73282932000075", "35600000049838"])
def test_siret_bad_check_digit_refused(typed):
    with pytest.raises(InvalidValue, match="SIRET n'est pas valide"):
        clean_siret(typed)


def test_siren_la_poste_and_luhn():
    assert clean_siren("356 000 000") == "356000000"
    assert clean_siren("732829320") == "732829320"
    with pytest.raises(InvalidValue, match="SIREN n'est pas valide"):
        clean_siren("732829321")
    with pytest.raises(InvalidValue, match="9 chiffres"):
        clean_siren("7328")


@pytest.mark.parametrize(
    "typed, stored", [("W331234567", "W331234567"), ("w33 123 4567", "W331234567"), ("W2A1002345", "W2A1002345")]
)
def test_rna_accepted(typed, stored):
    assert clean_rna(typed) == stored


@pytest.mark.parametrize("typed", ["331234567", "W33123456", "W3312345678", "X331234567", "W33-12345é"])
def test_rna_refused_with_example(typed):
    with pytest.raises(InvalidValue) as error:
        clean_rna(typed)
    assert "RNA" in str(error.value) and "W331234567" in str(error.value)


@pytest.mark.parametrize(
    "postal_code, departement",
    [
        ("33000", "33"),
        ("24100", "24"),
        ("20000", "2A"),
        ("20200", "2B"),
        ("97400", "974"),
        ("01000", "1"),
        ("75015", "75"),
    ],
)
def test_postal_code_consistent(postal_code, departement):
    assert clean_postal_code(postal_code, departement) == postal_code


def test_postal_code_inconsistent_names_departement_and_example():
    with pytest.raises(InvalidValue) as error:
        clean_postal_code("75001", "33")
    message = str(error.value)
    assert "ne correspond pas au département" in message and "33 – Gironde" in message and "33000" in message


@pytest.mark.parametrize("typed", ["3300", "330000", "ABCDE", ""])
def test_postal_code_format(typed):
    with pytest.raises(InvalidValue, match="5 chiffres, par exemple 33000"):
        clean_postal_code(typed, "33")


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("05.56.12.34.56", "+33556123456"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion, typed in the national format
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("+262 692 12 34 56", "+262692123456"),
    ],
)
def test_phone_stored_e164(typed, stored):
    assert clean_phone(typed) == stored


@pytest.mark.parametrize("typed", ["123", "06 12 34", "abcdefghij", "", "+1 202"])
def test_phone_refused_with_example(typed):
    with pytest.raises(InvalidValue) as error:
        clean_phone(typed)
    assert "06 12 34 56 78" in str(error.value)


def test_phone_display():
    assert format_phone("+33612345678") == "06 12 34 56 78"
    assert format_phone("+262692123456").startswith("+262")


def test_email_syntax_only():
    assert clean_email(" Jeanne.Martin@Exemple.FR ") == "Jeanne.Martin@exemple.fr"
    # No DNS lookup: an unknown domain is accepted.
    assert clean_email("contact@association-inexistante-tig.fr") == "contact@association-inexistante-tig.fr"
    for typed in ("jeanne", "jeanne@", "@exemple.fr", "jeanne martin@exemple.fr", ""):
        with pytest.raises(InvalidValue, match="nom@exemple.fr"):
            clean_email(typed)


def test_format_siret():
    assert format_siret("73282932000074") == "732 829 320 00074"


# --- examples shown to people -----------------------------------------------------------------------------


def test_every_example_constant_passes_its_own_check():
    from app.applications import validators as v

    assert clean_siret(v.SIRET_EXAMPLE) and clean_siren(v.SIREN_EXAMPLE) and clean_rna(v.RNA_EXAMPLE)
    assert clean_postal_code(v.POSTAL_CODE_EXAMPLE, "33") and clean_email(v.EMAIL_EXAMPLE)
    assert clean_phone(v.PHONE_EXAMPLE) == "+33612345678"
    assert clean_phone(v.PHONE_EXAMPLE_OVERSEAS) == "+262692123456"  # a French number, typed the French way
    assert clean_phone(v.PHONE_EXAMPLE_INTERNATIONAL) == "+33612345678"


def _examples_in_the_code(pattern: str) -> set[str]:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app"
    found = set()
    for path in root.rglob("*"):
        if path.suffix in (".py", ".html", ".txt", ".toml"):
            found.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_siret_siren_or_phone_written_in_the_site_is_valid():
    """An example the form itself refuses teaches the wrong thing: every SIRET- or phone-shaped number
    written in the code and the templates passes its check."""
    sirets = _examples_in_the_code(r"(?<![\d ])\d{3} \d{3} \d{3} \d{5}(?![\d])")
    assert sirets, "the SIRET example is written somewhere"
    for number in sirets:
        clean_siret(number)
    for number in _examples_in_the_code(r"(?<![\d ])\d{3} \d{3} \d{3}(?![\d ])"):
        clean_siren(number)
    phones = _examples_in_the_code(r"(?<![\d+])0\d{1,3}(?: \d{2}){3,4}(?![\d])")
    assert phones
    for number in phones:
        clean_phone(number)


def test_phone_error_gives_french_examples_overseas_included():
    with pytest.raises(InvalidValue) as error:
        clean_phone("12345")
    message = str(error.value)
    assert "06 12 34 56 78" in message and "0692 12 34 56 à La Réunion" in message
    assert "depuis l'étranger" not in message  # an overseas number is a French number


# --- postal codes from the official list (app/territories/communes.py) -----------------------------------


@pytest.mark.parametrize(
    "postal_code, commune, departement",
    [
        ("33220", "Port-Sainte-Foy-et-Ponchapt", "24"),  # a Gironde code serving Dordogne communes
        ("33220", "Sainte-Foy-la-Grande", "33"),
        ("94390", "Paray-Vieille-Poste", "91"),
        ("97600", "Mamoudzou", "976"),
        ("97133", "Saint-Barthélemy", None),  # an overseas collectivity: a real code, no département here
        ("33076", "Bordeaux Cedex", "33"),  # CEDEX: not in the public list, understood with its line
        ("75700", "PARIS CEDEX 07", "75"),
        ("20090", "Ajaccio", "2A"),
    ],
)
def test_postal_code_from_the_official_list(postal_code, commune, departement):
    if departement:
        assert clean_postal_code(postal_code, departement, commune) == postal_code
    else:
        assert clean_postal_code(postal_code, None, commune) == postal_code


def test_postal_code_shared_by_two_departements_needs_the_commune_to_tell():
    assert clean_postal_code("33220", "24") == "33220"  # without the commune, either may be right
    with pytest.raises(InvalidValue, match="ne correspond pas au département choisi"):
        clean_postal_code("33220", "24", "Sainte-Foy-la-Grande")


@pytest.mark.parametrize("postal_code, commune", [("33999", "Bordeaux"), ("00000", ""), ("33076", "Bordeaux")])
def test_unknown_postal_code_is_refused_with_an_example(postal_code, commune):
    with pytest.raises(InvalidValue) as error:
        clean_postal_code(postal_code, "33", commune)
    message = str(error.value)
    assert f"Le code postal {postal_code} n'existe pas dans la liste officielle" in message
    assert "par exemple 33000 pour Bordeaux" in message and "« Bordeaux Cedex »" in message


def test_corsica_codes_are_told_apart():
    assert clean_postal_code("20000", "2A") == "20000"
    with pytest.raises(InvalidValue, match="par exemple 20200"):
        clean_postal_code("20000", "2B")


def test_cedex_of_another_departement_is_refused():
    with pytest.raises(InvalidValue, match="n'existe pas"):
        clean_postal_code("33076", "24", "Périgueux Cedex")  # 33… is not Dordogne's
