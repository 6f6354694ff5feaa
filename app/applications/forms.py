"""One form per wizard step. Field checks call the pure validators; rules that depend on other
answers (type of structure, département, eligibility) are in each form's ``validate``."""

from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.applications import validators as v
from app.companies.identifiers import IDENTIFIER_HINT
from app.eligibility.engine import ESS_CONDITIONS, SOCIAL_UTILITY_PURPOSES
from app.eligibility.structures import StructureType, structure_type_choices
from app.forms import YES_NO, BaseForm, MultiCheckboxField, select_choices
from app.territories import ALSACE_MOSELLE, departement_choices, normalize_code

SOCIAL_UTILITY_CHOICES = select_choices(
    SOCIAL_UTILITY_PURPOSES.items()
)  # loi n° 2014-856, art. 2 (shared with the checker)
SOCIAL_UTILITY_LABELS = dict(SOCIAL_UTILITY_PURPOSES)


def required(message: str) -> DataRequired:
    return DataRequired(message=message)


def cleaned_by(function, *args):
    """WTForms validator running a ``clean_*`` function on a non-empty value."""

    def _check(form, field):
        if field.data:
            try:
                function(field.data, *args)
            except v.InvalidValue as error:
                raise ValidationError(str(error)) from None

    return _check


def whole_number(minimum: int, maximum: int, what: str, example: int):
    def _check(form, field):
        text = (field.data or "").strip()
        if not text:
            return
        if not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
            raise ValidationError(
                f"{what} doit être un nombre entier entre {minimum} et {maximum}, par exemple {example}."
            )

    return _check


class StartForm(BaseForm):
    email = EmailField(
        "Votre adresse électronique",
        validators=[
            required("Indiquez votre adresse électronique, par exemple nom@exemple.fr."),
            cleaned_by(v.clean_email),
        ],
        description=(
            f"Nous vous y envoyons le lien privé pour reprendre votre candidature plus tard. Format attendu : "
            f"{v.EMAIL_EXAMPLE}"
        ),
    )
    # Answers carried from the eligibility checker (query string, optional, hidden).
    reponses = HiddenField()


class StructureForm(BaseForm):
    # The lookup in the Annuaire des entreprises (shown when lookups are on): a search box, never saved.
    identifiant = StringField(
        "Connaissez-vous le SIRET, le SIREN ou le RNA de votre structure ?",
        validators=[Length(max=40)],
        description=f"{IDENTIFIER_HINT} Nous remplissons alors le nom, l'adresse, le département et la nature "
        "de la structure avec les informations de l'Annuaire des entreprises : vous les vérifiez et pouvez "
        "corriger chacune.",
    )
    # The identifier whose answer filled the form: Enter pressed in the box again does not search again.
    recherche_faite = HiddenField(validators=[Length(max=14)])
    structure_name = StringField(
        "Nom de la structure",
        validators=[
            required("Indiquez le nom de la structure, par exemple Association Les Jardins partagés."),
            Length(max=300),
        ],
    )
    structure_type = RadioField(
        "Nature de la structure",
        choices=structure_type_choices(),
        validators=[required("Choisissez la nature de la structure, par exemple Association.")],
    )
    siret = StringField(
        "Numéro SIRET",
        validators=[cleaned_by(v.clean_siret)],
        # Says the same thing whether the field is marked « (optionnel) » (an association) or not.
        description=(
            f"14 chiffres, par exemple {v.SIRET_EXAMPLE} : il figure sur l'avis de situation Sirene ou l'extrait "
            "Kbis. Une association qui n'a pas de numéro SIRET laisse ce champ vide."
        ),
    )
    rna = StringField(
        "Numéro RNA (associations)",
        validators=[cleaned_by(v.clean_rna)],
        description=(
            f"La lettre W suivie de 9 chiffres ou lettres, par exemple {v.RNA_EXAMPLE}. Une association de Moselle, "
            "du Bas-Rhin ou du Haut-Rhin, inscrite au registre du tribunal, n'en a pas : elle laisse ce champ vide."
        ),
    )
    address = StringField(
        "Adresse",
        validators=[required("Indiquez l'adresse de la structure, par exemple 12 rue des Lilas."), Length(max=300)],
        description="Numéro et voie, complément éventuel.",
    )
    postal_code = StringField(
        "Code postal",
        validators=[required("Indiquez le code postal, par exemple 33000.")],
        description="5 chiffres, par exemple 33000.",
    )
    commune = StringField(
        "Commune",
        validators=[required("Indiquez la commune, par exemple Bordeaux."), Length(max=200)],
    )
    departement_code = SelectField(
        "Département",
        choices=departement_choices(),
        validators=[required("Choisissez le département, par exemple 33 – Gironde.")],
        description="Celui où se trouvent la structure et les postes proposés : le référent TIG de ce département instruira votre candidature.",
    )

    # Set by validate(): the reason an ineligible combination was refused (the page links to /eligibilite).
    ineligible_reason: str | None = None

    def __init__(self, *args, eligibility_check=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._eligibility_check = eligibility_check
        # "(optionnel)" follows the answers already given: SIRET is required for every type but associations,
        # RNA for associations outside Moselle, Bas-Rhin and Haut-Rhin.
        association = self.structure_type.data == StructureType.ASSOCIATION.value
        self.siret.flags.required = not association
        departement = normalize_code(self.departement_code.data) if self.departement_code.data else ""
        self.rna.flags.required = association and departement not in ALSACE_MOSELLE

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        structure_type = _structure_type(self.structure_type.data)
        departement = normalize_code(self.departement_code.data) if self.departement_code.data else ""
        if (
            structure_type is not None
            and structure_type is not StructureType.ASSOCIATION
            and not (self.siret.data or "").strip()
        ):
            self.siret.errors.append(
                f"Indiquez le numéro SIRET de la structure (14 chiffres), par exemple {v.SIRET_EXAMPLE}."
            )
            ok = False
        if (
            structure_type is StructureType.ASSOCIATION
            and departement
            and departement not in ALSACE_MOSELLE
            and not (self.rna.data or "").strip()
        ):
            self.rna.errors.append(
                "Indiquez le numéro RNA de l'association (W suivi de 9 chiffres ou lettres), par exemple W331234567."
            )
            ok = False
        if departement and self.postal_code.data and not self.postal_code.errors:
            try:
                v.clean_postal_code(self.postal_code.data, departement, self.commune.data)
            except v.InvalidValue as error:
                self.postal_code.errors.append(str(error))
                ok = False
        elif self.postal_code.data and not self.postal_code.errors:
            try:
                v.clean_postal_code(self.postal_code.data, commune=self.commune.data)
            except v.InvalidValue as error:
                self.postal_code.errors.append(str(error))
                ok = False
        if ok and structure_type is not None and departement and self._eligibility_check is not None:
            reason = self._eligibility_check(structure_type, departement)
            if reason:
                self.ineligible_reason = reason
                self.structure_type.errors.append(reason)
                ok = False
        return ok


def _structure_type(value: str | None) -> StructureType | None:
    try:
        return StructureType(value) if value else None
    except ValueError:
        return None


class ContactForm(BaseForm):
    contact_last_name = StringField(
        "Nom", validators=[required("Indiquez le nom de la personne à contacter, par exemple Martin."), Length(max=150)]
    )
    contact_first_name = StringField(
        "Prénom",
        validators=[required("Indiquez le prénom de la personne à contacter, par exemple Jeanne."), Length(max=150)],
    )
    contact_role = StringField(
        "Fonction dans la structure",
        validators=[
            required("Indiquez la fonction de la personne à contacter, par exemple Directrice."),
            Length(max=200),
        ],
        description="Par exemple : président, directrice, responsable des ressources humaines.",
    )
    contact_email = EmailField(
        "Adresse électronique",
        validators=[
            required("Indiquez une adresse électronique, par exemple nom@exemple.fr."),
            cleaned_by(v.clean_email),
        ],
        description="Format attendu : nom@exemple.fr. Le référent TIG vous écrira à cette adresse.",
    )
    contact_phone = StringField(
        "Téléphone",
        validators=[
            required(f"Indiquez un numéro de téléphone, par exemple {v.PHONE_EXAMPLE}."),
            cleaned_by(v.clean_phone),
        ],
        description=(
            f"10 chiffres, par exemple {v.PHONE_EXAMPLE} (outre-mer : {v.PHONE_EXAMPLE_OVERSEAS}), ou un numéro "
            f"international commençant par +."
        ),
    )


class EssForm(BaseForm):
    ess_non_profit_purpose = RadioField(
        ESS_CONDITIONS["ess_non_profit_purpose"],
        choices=YES_NO,
        validators=[required("Répondez à la question sur le but de la structure (oui ou non).")],
    )
    ess_democratic_governance = RadioField(
        ESS_CONDITIONS["ess_democratic_governance"],
        choices=YES_NO,
        validators=[required("Répondez à la question sur la gouvernance (oui ou non).")],
    )
    ess_profits_reinvested = RadioField(
        ESS_CONDITIONS["ess_profits_reinvested"],
        choices=YES_NO,
        validators=[required("Répondez à la question sur l'emploi des bénéfices (oui ou non).")],
    )
    social_utility = MultiCheckboxField(
        "Objectifs d'utilité sociale poursuivis",
        choices=SOCIAL_UTILITY_CHOICES,
        validators=[
            required(
                "Cochez au moins un objectif d'utilité sociale, par exemple le soutien à des personnes en situation de fragilité."
            )
        ],
        description="Cochez un ou plusieurs objectifs (loi n° 2014-856 du 31 juillet 2014, article 2).",
    )
    social_utility_statement = TextAreaField(
        "Comment votre activité répond-elle à ces objectifs ?",
        validators=[
            required("Expliquez en quelques lignes comment votre activité répond à ces objectifs."),
            Length(max=3000, message="Limitez votre explication à 3 000 caractères."),
        ],
        description="Quelques lignes suffisent, par exemple : « Notre recyclerie emploie des personnes en insertion et vend à bas prix. »",
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        condition = "Cette condition de l'économie sociale et solidaire est obligatoire (loi n° 2014-856, article 1) : sans elle, la structure ne peut pas être habilitée."
        for f in (self.ess_non_profit_purpose, self.ess_democratic_governance, self.ess_profits_reinvested):
            if f.data == "non":
                f.errors.append(condition)
                ok = False
        chosen = set(self.social_utility.data or [])
        if chosen == {"developpement_durable"}:
            self.social_utility.errors.append(
                "Le développement durable, la transition énergétique, la culture ou la solidarité internationale ne "
                "suffisent pas seuls : cochez aussi l'un des trois premiers objectifs qu'ils servent."
            )
            ok = False
        return ok


class PostForm(BaseForm):
    class Meta:
        csrf = False

    title = StringField(
        "Intitulé du poste",
        validators=[
            required("Indiquez l'intitulé du poste, par exemple Agent d'entretien des espaces verts."),
            Length(max=200),
        ],
    )
    tasks = TextAreaField(
        "Tâches confiées",
        validators=[
            required("Décrivez les tâches confiées, par exemple tonte, désherbage et ramassage des feuilles."),
            Length(max=3000),
        ],
    )
    place = StringField(
        "Lieu",
        validators=[
            required("Indiquez le lieu où se déroule le travail, par exemple Parc municipal, Bordeaux."),
            Length(max=300),
        ],
    )
    schedule = StringField(
        "Jours et horaires",
        validators=[
            required("Indiquez les jours et horaires, par exemple du lundi au vendredi, de 9 h à 12 h."),
            Length(max=300),
        ],
        description="Par exemple : du lundi au vendredi, de 9 h à 12 h.",
    )
    hours_per_week = StringField(
        "Nombre d'heures par semaine",
        validators=[
            required("Indiquez le nombre d'heures par semaine, par exemple 15."),
            whole_number(1, 35, "Le nombre d'heures par semaine", 15),
        ],
        description="Un nombre entier entre 1 et 35, par exemple 15.",
    )
    places_count = StringField(
        "Nombre de places",
        validators=[
            required("Indiquez le nombre de places, par exemple 2."),
            whole_number(1, 50, "Le nombre de places", 2),
        ],
        description="Le nombre de personnes accueillies en même temps sur ce poste, par exemple 2.",
    )
    minors_allowed = BooleanField("Ce poste peut accueillir des mineurs (16 ans et plus)")
    physical_effort = BooleanField("Ce poste demande un effort physique")
    accessible_reduced_mobility = BooleanField("Ce poste est accessible aux personnes à mobilité réduite")
    constraints_notes = TextAreaField(
        "Autres contraintes ou précisions",
        validators=[Optional(), Length(max=3000)],
        description="Par exemple : port de charges, travail en extérieur, tenue fournie.",
    )


class TutorForm(BaseForm):
    class Meta:
        csrf = False

    last_name = StringField(
        "Nom du tuteur", validators=[required("Indiquez le nom du tuteur, par exemple Durand."), Length(max=150)]
    )
    first_name = StringField(
        "Prénom du tuteur", validators=[required("Indiquez le prénom du tuteur, par exemple Paul."), Length(max=150)]
    )
    role = StringField(
        "Fonction du tuteur",
        validators=[
            required("Indiquez la fonction du tuteur, par exemple Responsable des espaces verts."),
            Length(max=200),
        ],
    )
    # Asked for the inscription of the post on the départemental list (Code pénitentiaire); optional here: the
    # référent asks for them before the inscription if they are missing.
    birth_date = DateField(
        "Date de naissance du tuteur",
        description="Au format jj/mm/aaaa. Elle figure dans la demande d'inscription du poste.",
        validators=[Optional()],
        # What a date picker sends, or what is typed where the browser shows a plain text box.
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    birth_place = StringField(
        "Commune de naissance du tuteur",
        description="Et le pays, s'il est né hors de France.",
        validators=[Optional(), Length(max=150)],
    )

    def validate_birth_date(self, field):
        if field.data and not date(1900, 1, 1) <= field.data <= date.today():
            raise ValidationError(
                "Indiquez une date de naissance passée, au format jj/mm/aaaa, par exemple 14/03/1980."
            )


class StepForm(BaseForm):
    """The CSRF token of pages whose fields are sub-forms (posts) or files (documents)."""


class DeclarationForm(BaseForm):
    accept = BooleanField(
        "Je certifie l'exactitude des informations fournies et m'engage à informer le référent TIG de tout changement.",
        validators=[
            required("Cochez la case pour certifier l'exactitude des informations avant d'envoyer votre candidature.")
        ],
    )


class ReplyForm(BaseForm):
    body = TextAreaField(
        "Votre message",
        validators=[Length(max=5000, message="Limitez votre message à 5 000 caractères.")],
        description="Répondez à la question du référent ou apportez une précision.",
    )
    attachments = MultipleFileField(
        "Pièces jointes",
        description="Un ou plusieurs fichiers. Formats acceptés : PDF, JPEG ou PNG. Taille maximale : 10 Mo par fichier.",
    )


def documents_form_class(requirements, max_hint: str):
    """A form with one file field per document requirement (field name ``doc_<key>``)."""
    attrs = {}
    for requirement in requirements:
        field = FileField(requirement.label, description=f"{requirement.hint} {max_hint}".strip())
        attrs[f"doc_{requirement.key}"] = field
    return type("DocumentsForm", (StepForm,), attrs)
