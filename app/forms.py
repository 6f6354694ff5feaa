"""Shared form pieces: the French base form and field types rendered by ``_macros/forms.html``."""

import re
from functools import cache

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from wtforms import SelectMultipleField, TextAreaField, ValidationError, widgets
from wtforms.fields.choices import SelectChoice

# Invisible characters no field keeps: C0 and C1 control characters but tab and line feed, DEL, and the
# bidirectional controls (embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, marks U+200E,
# U+200F, U+061C) that display text in another order than it is stored ("facture\u202efdp.exe"). NUL in
# particular: PostgreSQL refuses it in text (a 500 waiting to happen).
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Line breaks (CR, LF, NEL, Unicode line and paragraph separators) and tabs, which a single-line field
# never keeps: a CR/LF in a structure name went into the référents' mail subject and blocked its sending.
_LINE_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]+")


def strip_control_characters(value):
    """Filter of multi-line fields (text areas): invisible characters removed, line breaks kept (CR LF
    and lone CR become LF, NEL and the Unicode separators too). Lists of values are cleaned item by item;
    anything else (files, numbers, dates) is left alone."""
    if isinstance(value, str):
        value = re.sub("\r\n?|[\x85\u2028\u2029]", "\n", value)
        return _INVISIBLE.sub("", value)
    if isinstance(value, list):
        return [strip_control_characters(item) for item in value]
    return value


def normalize_single_line(value):
    """Filter of every other field (text inputs, e-mail, telephone, choices, hidden fields): invisible
    characters removed and each run of line breaks or tabs replaced by one space."""
    if isinstance(value, str):
        return _LINE_BREAKS.sub(" ", _INVISIBLE.sub("", value))
    if isinstance(value, list):
        return [normalize_single_line(item) for item in value]
    return value


def select_choices(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Options of a SelectField, RadioField or MultiCheckboxField from ``(value, label)`` pairs, after an
    empty first option labelled ``blank`` if given (WTForms 3.3 deprecates plain tuples)."""
    options = [SelectChoice(value, label) for value, label in pairs]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


def choice_labels(choices) -> dict[str, str]:
    """``{value: label}`` of a field's options."""
    return {choice.value: choice.label for choice in choices or ()}


YES_NO = select_choices([("oui", "Oui"), ("non", "Non")])


@cache
def _french_translations():
    """WTForms' French catalogue, read once per process (not looked up on disk for every form)."""
    from wtforms.i18n import get_translations

    return get_translations(("fr_FR", "fr"))


class BaseForm(FlaskForm):
    """WTForms' built-in messages in French ("Ce champ est requis."); every value typed normalised on
    input: invisible characters removed from all fields, line breaks too from every field but text areas
    (``normalize_single_line``, ``strip_control_characters``)."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            return _french_translations()

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters") or ()
            multiline = issubclass(unbound_field.field_class, TextAreaField)
            normalize = strip_control_characters if multiline else normalize_single_line
            options = dict(options, filters=(normalize, *filters))
            return unbound_field.bind(form=form, **options)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered as a DSFR fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def form_token_valid(formdata) -> bool:
    """Whether the posted form's CSRF token is valid, for a view exempted from the blanket check
    (``csrf.exempt``) because a failed check must show the typed values back instead of a 400 page."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(formdata.get("csrf_token"))
    except ValidationError:
        return False
    return True
