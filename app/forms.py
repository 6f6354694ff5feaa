"""Shared form pieces: the French base form and field types rendered by ``_macros/forms.html``."""

import re
from functools import cache

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice

# C0 control characters but tab, line feed and carriage return, plus DEL. NUL in particular: PostgreSQL
# refuses it in text (a 500 waiting to happen); the others only garble pages, mails and exports.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value):
    """Filter added to every field of every form: typed text loses invisible control characters (lists
    of values too); anything else (files, numbers, dates) is left alone."""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [strip_control_characters(item) for item in value]
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
    """WTForms' built-in messages in French ("Ce champ est requis."); control characters removed from
    every value typed (see ``strip_control_characters``)."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            return _french_translations()

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters") or ()
            options = dict(options, filters=(strip_control_characters, *filters))
            return unbound_field.bind(form=form, **options)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered as a DSFR fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
