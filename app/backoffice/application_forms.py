"""Forms of the référents' review of applications."""

from __future__ import annotations

from wtforms import DateField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.applications.models import ApplicationStatus
from app.applications.queue import SORTS
from app.eligibility.structures import structure_type_choices
from app.forms import BaseForm, MultiCheckboxField, choice_labels, select_choices
from app.territories import get_departement


def departement_choices(departement_codes: list[str]):
    """The référent's départements as the options of a filter."""
    departements = [get_departement(code) for code in departement_codes]
    return select_choices(((d.code, d.label) for d in departements if d is not None), blank="Tous mes départements")


class QueueFilterForm(BaseForm):
    """GET form of the queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    onglet = HiddenField()
    q = StringField(
        "Rechercher une candidature",
        validators=[Optional(), Length(max=200)],
        description="Nom de la structure, SIRET, RNA ou référence (ex. : TIG-2026-000123)",
    )
    departement = SelectField("Département", validators=[Optional()])
    type_structure = SelectField("Type de structure", validators=[Optional()])
    statut = SelectField("Statut", validators=[Optional()])
    du = DateField(
        "Déposée à partir du",
        validators=[Optional()],
        description="Format attendu : jj/mm/aaaa",
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    au = DateField(
        "Déposée jusqu'au",
        validators=[Optional()],
        description="Format attendu : jj/mm/aaaa",
        format=["%Y-%m-%d", "%d/%m/%Y"],
    )
    tri = SelectField("Trier par", choices=select_choices(SORTS), validators=[Optional()])

    def __init__(self, departement_codes: list[str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departement.choices = departement_choices(departement_codes)
        self.type_structure.choices = structure_type_choices(blank="Tous les types")
        self.statut.choices = select_choices(
            ((s.value, s.label) for s in ApplicationStatus if s is not ApplicationStatus.DRAFT),
            blank="Tous les statuts",
        )
        for date_field in (self.du, self.au):
            date_field.widget.input_type = "date"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for date_field in (self.du, self.au):
            # An empty date (« Appliquer les filtres » sends du= and au=) is no filter, not an error.
            typed = " ".join(date_field.raw_data or []).strip()
            if date_field.process_errors and typed:
                date_field.errors = ["Saisissez une date valide, par exemple 31/01/2026."]
        for select, message in (
            (self.departement, "Choisissez l'un de vos départements dans la liste."),
            (self.type_structure, "Choisissez un type de structure dans la liste."),
            (self.statut, "Choisissez un statut dans la liste."),
            (self.tri, "Choisissez un ordre de tri dans la liste."),
        ):
            if select.errors:
                select.errors = [message]
        return valid

    def validate_au(self, field):
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError(
                "La date de fin doit être postérieure ou égale à la date de début (ex. : du 01/01/2026 au 31/01/2026)."
            )


class ReasonForm(BaseForm):
    reason = TextAreaField(
        "Motif",
        validators=[
            DataRequired(message="Indiquez le motif : il est obligatoire et sera communiqué au demandeur."),
            Length(max=5000),
        ],
        description="Il figure dans le courriel envoyé au demandeur et dans l'historique.",
    )


class ActionForm(BaseForm):
    """An action without reason: the CSRF token only."""


class ComplementsForm(BaseForm):
    documents = MultiCheckboxField("Pièces à fournir", validators=[Optional()])
    other_items = TextAreaField(
        "Autres éléments demandés",
        validators=[Optional(), Length(max=3000)],
        description="Un élément par ligne, par exemple : horaires précis du poste d'agent d'entretien.",
    )
    body = TextAreaField(
        "Message au demandeur",
        validators=[Optional(), Length(max=5000)],
        description="Il accompagne la liste dans le courriel et sur la page de suivi.",
    )

    def items(self) -> list[str]:
        labels = choice_labels(self.documents.choices)
        chosen = [labels[key] for key in self.documents.data or [] if key in labels]
        others = [line.strip(" -•\t") for line in (self.other_items.data or "").splitlines()]
        return chosen + [line for line in others if line]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.items():
            if self.documents.choices:
                self.documents.errors = list(self.documents.errors) + [
                    "Cochez au moins une pièce ou décrivez ce qui manque dans « Autres éléments demandés »."
                ]
            else:  # no document list for this type (public bodies): the free text is the only field
                self.other_items.errors = list(self.other_items.errors) + [
                    "Décrivez ce qui manque, un élément par ligne (ex. : horaires précis du poste)."
                ]
            return False
        return valid


class MessageForm(BaseForm):
    body = TextAreaField(
        "Votre message",
        validators=[DataRequired(message="Écrivez le message à envoyer au demandeur."), Length(max=5000)],
    )
    attachments = MultipleFileField("Pièces jointes", validators=[Optional()])


class NoteForm(BaseForm):
    note = TextAreaField(
        "Note interne",
        validators=[DataRequired(message="Écrivez le texte de la note."), Length(max=5000)],
        description="Visible uniquement par les référents, jamais par le demandeur.",
    )


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_HINT = "Format attendu : jj/mm/aaaa"


def _date_field(label: str, description: str = DATE_HINT, required: bool = False) -> DateField:
    validators = [DataRequired(message=f"Indiquez la date : {label.lower()}.")] if required else [Optional()]
    return DateField(label, validators=validators, description=description, format=DATE_FORMATS)


class ApprovalForm(BaseForm):
    """« Habiliter »: the decision as the authority took it (its facts are printed on the attestation),
    the habilitation's period (by default from the decision, for five years) and the observations."""

    decided_on = _date_field("Date de la décision", required=True)
    authority = StringField(
        "Autorité qui a pris la décision",
        validators=[DataRequired(message="Indiquez l'autorité qui a pris la décision."), Length(max=300)],
        description="Par exemple : directeur du SPIP de la Gironde",
    )
    prosecutor_opinion_on = _date_field("Date de l'avis du procureur de la République")
    jap_opinion_on = _date_field("Date de l'avis du juge de l'application des peines")
    prefect_opinion_on = _date_field("Date de l'avis du préfet")
    starts_on = _date_field(
        "Début de l'habilitation",
        "Laissez vide : le jour de la décision (pour un renouvellement, le lendemain de la fin de l'habilitation "
        "en cours). Format attendu : jj/mm/aaaa",
    )
    ends_on = _date_field(
        "Fin de l'habilitation", "Laissez vide : cinq ans après le début. Format attendu : jj/mm/aaaa"
    )
    reason = TextAreaField(
        "Observations",
        validators=[
            DataRequired(message="Indiquez les observations : elles sont communiquées au demandeur."),
            Length(max=5000),
        ],
        description="Elles figurent dans le courriel envoyé au demandeur, sur l'attestation et dans l'historique.",
    )

    # Fields a public body's decision does not have (no habilitation: its posts are inscribed by right).
    HABILITATION_ONLY = ("prefect_opinion_on", "starts_on", "ends_on")

    def __init__(self, *args, public_body: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if public_body:
            for name in self.HABILITATION_ONLY:
                del self[name]
        for field in self.date_fields():
            field.widget.input_type = "date"

    def date_fields(self):
        return [field for field in self if isinstance(field, DateField)]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self.date_fields():
            typed = " ".join(field.raw_data or []).strip()
            if field.process_errors and typed:
                field.errors = ["Saisissez une date valide, par exemple 31/01/2026."]
        return valid
