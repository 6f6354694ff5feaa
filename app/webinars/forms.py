"""Public forms of the webinars: registration and cancellation."""
from __future__ import annotations

from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.eligibility.structures import StructureType, structure_type_choices
from app.forms import BaseForm
from app.territories import departement_choices


class RegistrationForm(BaseForm):
    last_name = StringField("Nom", validators=[DataRequired("Indiquez votre nom."), Length(max=100)])
    first_name = StringField("Prénom", validators=[DataRequired("Indiquez votre prénom."), Length(max=100)])
    email = EmailField(
        "Adresse électronique",
        description="Format attendu : nom@domaine.fr. La confirmation et le lien de connexion y seront envoyés.",
        validators=[
            DataRequired("Indiquez votre adresse électronique."),
            Email("Indiquez une adresse électronique valide, au format nom@domaine.fr."),
            Length(max=320),
        ],
    )
    email_confirmation = EmailField(
        "Confirmation de l'adresse électronique",
        description="Saisissez la même adresse une seconde fois.",
        validators=[DataRequired("Saisissez de nouveau votre adresse électronique."), Length(max=320)],
    )
    structure_name = StringField(
        "Nom de la structure", validators=[DataRequired("Indiquez le nom de votre structure."), Length(max=200)]
    )
    structure_type = SelectField(
        "Type de structure",
        choices=structure_type_choices(blank="Sélectionner un type de structure"),
        validators=[InputRequired("Sélectionnez le type de votre structure.")],
    )
    departement = SelectField(
        "Département de la structure",
        choices=departement_choices(),
        validators=[InputRequired("Sélectionnez le département de votre structure.")],
    )
    role = StringField(
        "Votre fonction",
        description="Par exemple : directrice, chargé de mission, responsable des ressources humaines.",
        validators=[DataRequired("Indiquez votre fonction dans la structure."), Length(max=150)],
    )
    question = TextAreaField(
        "Une question pour les intervenants",
        description="Elle sera transmise aux intervenants avant le webinaire (2 000 caractères au plus).",
        validators=[Optional(), Length(max=2000, message="Votre question ne doit pas dépasser 2 000 caractères.")],
    )
    consent = BooleanField(
        "J'accepte que mes données soient utilisées pour organiser ce webinaire et me contacter à son sujet.",
        validators=[DataRequired("Cochez cette case pour vous inscrire.")],
    )

    def validate_email_confirmation(self, field):
        if (field.data or "").strip().lower() != (self.email.data or "").strip().lower():
            raise ValidationError("Les deux adresses électroniques ne sont pas identiques.")

    def validate_structure_type(self, field):
        if not field.data:
            raise ValidationError("Sélectionnez le type de votre structure.")

    def validate_departement(self, field):
        if not field.data:
            raise ValidationError("Sélectionnez le département de votre structure.")

    @property
    def structure_type_enum(self) -> StructureType:
        return StructureType(self.structure_type.data)


class ConfirmForm(BaseForm):
    """An empty form: a POST with its CSRF token (cancellation confirmed by a button)."""
