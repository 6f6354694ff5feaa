"""Shared form pieces: the French base form and field types rendered by ``_macros/forms.html``."""
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets


class BaseForm(FlaskForm):
    """WTForms' built-in messages in French ("Ce champ est requis.")."""

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form):
            from wtforms.i18n import get_translations

            return get_translations(self.locales)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (rendered as a DSFR fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
