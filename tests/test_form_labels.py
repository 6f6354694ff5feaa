"""Labels and hints agree, over every form class of the site: an e-mail field is an e-mail input, a hint
never calls « obligatoire » a field that can be optional, and the département lists can be typed by
number (the script is loaded on every page)."""

from __future__ import annotations

import importlib
import pkgutil
import re

from wtforms import EmailField
from wtforms.validators import DataRequired, InputRequired

import app as app_package
from app.forms import BaseForm


def _all_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, pending = [], list(BaseForm.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _unbound_fields(form_class) -> list[tuple[str, object]]:
    return [
        (name, value)
        for name in dir(form_class)
        if not name.startswith("_") and hasattr((value := getattr(form_class, name, None)), "field_class")
    ]


def test_every_form_is_found():
    names = {cls.__name__ for cls in _all_form_classes()}
    assert {"StartForm", "ContactForm", "StructureForm", "RegistrationForm", "EligibilityForm"} <= names


def test_every_email_field_is_an_email_input():
    wrong = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_form_classes()
        for name, unbound in _unbound_fields(cls)
        if name.endswith("email") and unbound.field_class is not EmailField
    ]
    assert wrong == []


def test_no_hint_says_obligatoire_on_a_field_that_can_be_optional():
    wrong = []
    for cls in _all_form_classes():
        for name, unbound in _unbound_fields(cls):
            description = str(unbound.kwargs.get("description") or "")
            always_required = any(
                isinstance(v, (DataRequired, InputRequired)) for v in unbound.kwargs.get("validators") or ()
            )
            if re.search(r"\bobligatoire\b", description, re.IGNORECASE) and not always_required:
                wrong.append(f"{cls.__name__}.{name}: {description}")
    assert wrong == []


def test_start_email_is_typed_as_an_email(client):
    html = client.get("/candidature").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'type="email"' in tag and 'autocomplete="email"' in tag


def test_siret_hint_and_optional_marker_agree(client):
    from app.applications import drafts
    from app.extensions import db
    from app.formatting import utcnow

    draft = drafts.create_draft("a@exemple.fr", now=utcnow(), retention_days=30, answers=None)
    db.session.commit()
    form = {"structure_type": "association", "departement_code": "33", "action": "continuer"}
    html = client.post(f"/candidature/{draft.access_token}/etape/1", data=form).get_data(as_text=True)
    label = re.search(r'<label class="fr-label" for="siret">(.*?)</label>', html, re.S).group(1)
    assert "(optionnel)" in label and "Obligatoire" not in label and "laisse ce champ vide" in label


def test_the_select_by_number_script_is_on_every_page(client):
    for url in ("/", "/eligibilite", "/candidature", "/webinaires", "/espace-referent/connexion"):
        assert "js/select-by-number.js" in client.get(url).get_data(as_text=True), url
