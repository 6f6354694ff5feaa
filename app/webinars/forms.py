"""Forms of the webinars: public registration and cancellation, back-office webinar editing."""

from __future__ import annotations

from datetime import time

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.eligibility.structures import StructureType, structure_type_choices
from app.forms import BaseForm, select_choices
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
    role = StringField(
        "Votre fonction",
        description="Par exemple : directrice, chargé de mission, responsable des ressources humaines.",
        validators=[DataRequired("Indiquez votre fonction dans la structure."), Length(max=150)],
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
    question = TextAreaField(
        "Une question pour les intervenants",
        description="Elle sera transmise aux intervenants avant le webinaire (2 000 caractères au plus).",
        validators=[Optional(), Length(max=2000, message="Votre question ne doit pas dépasser 2 000 caractères.")],
    )
    # No consent box: the registration is processed for a public-interest mission (the legal basis stated on
    # the personal data page), not on consent; the form says what the data are used for instead.

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


# --- back office --------------------------------------------------------------------------------


def _parse_codes(text: str) -> list[str]:
    from app.territories import normalize_code

    parts = [p for p in (text or "").replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    return [normalize_code(p) for p in parts]


class WebinarForm(BaseForm):
    title = StringField("Titre", validators=[DataRequired("Indiquez le titre du webinaire."), Length(max=200)])
    description = TextAreaField(
        "Présentation",
        description="Programme et informations utiles, affichés sur la page publique. Séparez les paragraphes par une ligne vide.",
        validators=[Optional(), Length(max=5000)],
    )
    date = DateField(
        "Date",
        description="Au format jj/mm/aaaa.",
        validators=[InputRequired("Indiquez la date du webinaire.")],
    )
    start_time = TimeField(
        "Heure de début (heure de Paris)",
        description="Par exemple : 14:30.",
        validators=[InputRequired("Indiquez l'heure de début.")],
    )
    duration_minutes = IntegerField(
        "Durée (en minutes)",
        default=90,
        validators=[
            InputRequired("Indiquez la durée en minutes."),
            NumberRange(15, 480, "La durée doit être comprise entre 15 et 480 minutes."),
        ],
    )
    capacity = IntegerField(
        "Nombre de places",
        default=20,
        validators=[
            InputRequired("Indiquez le nombre de places."),
            NumberRange(1, 1000, "Le nombre de places doit être compris entre 1 et 1 000."),
        ],
    )
    deadline_date = DateField(
        "Date limite d'inscription",
        validators=[InputRequired("Indiquez la date limite d'inscription.")],
    )
    deadline_time = TimeField(
        "Heure limite d'inscription (heure de Paris)",
        default=time(23, 59),
        validators=[InputRequired("Indiquez l'heure limite d'inscription.")],
    )
    waitlist_enabled = BooleanField("Ouvrir une liste d'attente quand toutes les places sont prises", default=True)
    organiser_name = StringField(
        "Nom de l'organisateur",
        description="Par exemple : Référent TIG de la Gironde.",
        validators=[DataRequired("Indiquez le nom de l'organisateur."), Length(max=200)],
    )
    organiser_email = EmailField(
        "Adresse électronique de l'organisateur",
        description="Elle figure dans les invitations (organisateur de l'événement) et reçoit les réponses.",
        validators=[
            DataRequired("Indiquez l'adresse électronique de l'organisateur."),
            Email("Indiquez une adresse électronique valide, au format nom@domaine.fr."),
            Length(max=320),
        ],
    )
    hosts = StringField(
        "Intervenants",
        description="Par exemple : la référente TIG et une volontaire en service civique, ouverture par la CRESS.",
        validators=[Optional(), Length(max=500)],
    )
    audience = StringField(
        "Public visé",
        description="Par exemple : entreprises de l'économie sociale et solidaire de la Gironde.",
        validators=[Optional(), Length(max=500)],
    )
    departements = StringField(
        "Départements concernés",
        description="Numéros séparés par des virgules, par exemple : 33, 24. Laissez vide si vous choisissez une région.",
        validators=[Optional(), Length(max=400)],
    )
    region = SelectField("Ou une région entière", validators=[Optional()])
    join_url = URLField(
        "Lien de connexion",
        description="Jamais affiché sur le site : envoyé par courriel aux inscrits confirmés la veille du webinaire.",
        validators=[
            Optional(),
            URL(message="Indiquez une adresse web complète, commençant par https://."),
            Length(max=500),
        ],
    )

    def __init__(self, referent, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.territories import regions

        self.referent = referent
        self.region.choices = select_choices(((r, r) for r in regions()), blank="Aucune (départements ci-dessus)")
        self.departement_codes: list[str] = []
        self.scope_region: str | None = None

    def validate_deadline_date(self, field):
        if self.date.data and field.data and field.data > self.date.data:
            raise ValidationError("La date limite d'inscription doit précéder le webinaire.")

    def validate_departements(self, field):
        from app.territories import get_departement

        codes = _parse_codes(field.data)
        unknown = [c for c in codes if get_departement(c) is None]
        if unknown:
            raise ValidationError(f"Département inconnu : {', '.join(unknown)}.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        from app.territories import departements_of_region

        codes = sorted(set(_parse_codes(self.departements.data)))
        region = self.region.data or None
        if codes and region:
            self.departements.errors.append("Choisissez des départements ou une région, pas les deux.")
            return False
        if region:
            codes = [d.code for d in departements_of_region(region)]
        if not codes and not self.referent.is_admin:
            self.departements.errors.append("Indiquez au moins un de vos départements, ou une région.")
            return False
        if not self.referent.is_admin and not set(codes) & set(self.referent.departement_codes):
            self.departements.errors.append(
                "Le webinaire doit concerner au moins un de vos départements : "
                + ", ".join(self.referent.departement_codes)
                + "."
            )
            return False
        self.departement_codes = codes
        self.scope_region = region
        return True


class CancelWebinarForm(BaseForm):
    reason = TextAreaField(
        "Motif de l'annulation",
        description="Il figure dans le courriel envoyé aux inscrits.",
        validators=[Optional(), Length(max=1000)],
    )
