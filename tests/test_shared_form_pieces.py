"""Pieces shared between features: form choices (app/forms.py, app/auth/forms.py), département labels."""

from __future__ import annotations

import warnings

from wtforms.fields.choices import SelectChoice

from app.eligibility.structures import StructureType, structure_type_choices
from app.forms import YES_NO, choice_labels, select_choices
from app.territories import departement_choices, departement_label


def test_select_choices_with_and_without_a_blank_option():
    assert select_choices([("a", "A")]) == [SelectChoice("a", "A")]
    assert select_choices([("a", "A")], blank="Tous") == [SelectChoice("", "Tous"), SelectChoice("a", "A")]
    assert choice_labels(YES_NO) == {"oui": "Oui", "non": "Non"}
    assert choice_labels(None) == {}


def test_departement_and_structure_type_choices_are_select_choices():
    departements = departement_choices()
    assert departements[0] == SelectChoice("", "Sélectionner un département")
    assert choice_labels(departements)["33"] == "33 – Gironde"
    assert choice_labels(departement_choices(blank=None)).get("") is None
    types = structure_type_choices(blank="Tous les types")
    assert [c.value for c in types] == ["", *(t.value for t in StructureType)]


def test_forms_build_without_deprecation_warnings(app):
    from app.applications.forms import EssForm, StructureForm
    from app.auth.forms import ChangePasswordForm
    from app.backoffice.admin_accounts import AccountFilterForm
    from app.backoffice.application_forms import QueueFilterForm
    from app.eligibility.forms import EligibilityForm
    from app.webinars.forms import RegistrationForm

    with app.test_request_context(), warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for form_class in (
            StructureForm,
            EssForm,
            EligibilityForm,
            RegistrationForm,
            AccountFilterForm,
            ChangePasswordForm,
        ):
            form_class()
        QueueFilterForm(["33"])


def test_change_password_form_asks_the_current_password_first(app):
    from app.auth.forms import ChangePasswordForm, NewPasswordForm, TotpDisableForm

    with app.test_request_context():
        assert [f.name for f in ChangePasswordForm() if f.name != "csrf_token"] == [
            "current_password",
            "password",
            "confirm",
        ]
        assert [f.name for f in NewPasswordForm() if f.name != "csrf_token"] == ["password", "confirm"]
        assert TotpDisableForm().password.label.text == "Mot de passe actuel"


def test_departement_label():
    assert departement_label("33") == "33 – Gironde"
    assert departement_label("2a") == departement_label("2A")
    assert departement_label("99") == "99"  # unknown (older data): the code as it is
    assert departement_label(None) == ""
