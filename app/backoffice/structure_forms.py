"""Forms of the register of host structures (back office)."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.backoffice.application_forms import departement_choices
from app.forms import BaseForm, select_choices
from app.structures.listing import EXPIRY_WINDOWS
from app.structures.models import StructureStatus


class RegisterFilterForm(BaseForm):
    """GET form of the register (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        "Rechercher une structure",
        validators=[Optional(), Length(max=200)],
        description="Nom de la structure, commune, SIRET ou RNA",
    )
    departement = SelectField("Département", validators=[Optional()])
    statut = SelectField(
        "Habilitation",
        choices=select_choices(((s.value, s.label) for s in StructureStatus), blank="Toutes"),
        validators=[Optional()],
    )
    expire_dans = SelectField(
        "Fin de l'habilitation",
        choices=select_choices(((str(n), f"Dans les {n} prochains mois") for n in EXPIRY_WINDOWS), blank="Peu importe"),
        validators=[Optional()],
    )
    mineurs = BooleanField("Avec au moins un poste ouvert aux mineurs", false_values=("", "non"))

    def __init__(self, departement_codes: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departement.choices = departement_choices(departement_codes)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for select, message in (
            (self.departement, "Choisissez l'un de vos départements dans la liste."),
            (self.statut, "Choisissez un état de l'habilitation dans la liste."),
            (self.expire_dans, "Choisissez une durée dans la liste."),
        ):
            if select.errors:
                select.errors = [message]
        return valid
