"""The eligibility questionnaire: a GET form (shareable URL, no CSRF, works without JavaScript).

Field names are the query parameters of ``Answers.to_query()`` so that a result URL, the
"Modifier mes réponses" link and the application wizard all speak the same language.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import ValidationError

from app.companies.identifiers import IDENTIFIER_HINT, parse_identifier
from app.eligibility.engine import ESS_CONDITIONS, NO_PURPOSE, SOCIAL_UTILITY_PURPOSES, needs_ess_conditions
from app.eligibility.structures import StructureType, structure_type_choices
from app.forms import YES_NO, BaseForm, MultiCheckboxField, select_choices
from app.territories import departement_choices, get_departement
from app.validation import InvalidValue

ESS_TYPES_LABEL = "coopératives, mutuelles, fondations et sociétés commerciales de l'ESS"
NO_PURPOSE_LABEL = "Aucun de ces buts"


def expand_query(args) -> MultiDict:
    """Query parameters with comma-joined lists split (``social_utility=a,b`` as written by
    ``Answers.to_query()``), so the questionnaire can be prefilled from any result URL."""
    expanded = MultiDict()
    for key, value in args.items(multi=True):
        if key == "social_utility":
            for part in str(value).split(","):
                if part.strip():
                    expanded.add(key, part.strip())
        else:
            expanded.add(key, value)
    return expanded


class EligibilityForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: nothing changes on the server

    # Optional, and only shown when lookups are on: « Rechercher » fills the answers the registry knows.
    identifiant = StringField(
        "Connaissez-vous le SIRET ou le RNA de votre structure ?",
        description=f"{IDENTIFIER_HINT} Nous proposons alors les réponses connues de l'Annuaire des entreprises : "
        "vous les vérifiez.",
    )
    structure_type = RadioField(
        "Quelle est la nature de votre structure ?",
        choices=structure_type_choices(),
        validate_choice=False,
    )
    departement = SelectField(
        "Dans quel département se trouveraient les postes ?",
        choices=departement_choices(),
        validate_choice=False,
        description="Le département où la personne effectuerait son travail d'intérêt général.",
    )
    ess_non_profit_purpose = RadioField(ESS_CONDITIONS["ess_non_profit_purpose"], choices=YES_NO, validate_choice=False)
    ess_democratic_governance = RadioField(
        ESS_CONDITIONS["ess_democratic_governance"],
        choices=YES_NO,
        validate_choice=False,
        description="Par exemple : une personne, une voix en assemblée générale, ou des salariés associés aux décisions.",
    )
    ess_profits_reinvested = RadioField(ESS_CONDITIONS["ess_profits_reinvested"], choices=YES_NO, validate_choice=False)
    social_utility = MultiCheckboxField(
        "Quels buts d'utilité sociale votre structure poursuit-elle ?",
        choices=select_choices([*SOCIAL_UTILITY_PURPOSES.items(), (NO_PURPOSE, NO_PURPOSE_LABEL)]),
        validate_choice=False,
        description="Cochez tous ceux qui correspondent à l'objet de votre structure, ou « Aucun de ces buts ». "
        "Sans aucun de ces buts, elle ne peut pas être habilitée.",
    )
    minors = RadioField(
        "Pourriez-vous accueillir des mineurs ?",
        choices=YES_NO,
        validate_choice=False,
        description="Pour information seulement : cette réponse ne change pas le résultat.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required in the macros' sense (no "(optionnel)"), without the browser's "required" attribute:
        # the ESS questions, social utility included (decisive: « Aucun de ces buts » is an answer), are
        # only required for the types concerned.
        for name in ("structure_type", "departement", *ESS_CONDITIONS, "social_utility"):
            self[name].flags.required = True

    @property
    def selected_type(self) -> StructureType | None:
        try:
            return StructureType(self.structure_type.data)
        except ValueError:
            return None

    @property
    def asks_ess(self) -> bool:
        selected = self.selected_type
        return selected is not None and needs_ess_conditions(selected)

    def validate_identifiant(self, field):
        if (field.data or "").strip():
            try:
                parse_identifier(field.data)
            except InvalidValue as error:
                raise ValidationError(str(error)) from None

    def validate_structure_type(self, field):
        if not field.data:
            raise ValidationError("Choisissez la nature de votre structure.")
        if self.selected_type is None:
            raise ValidationError("Choisissez la nature de votre structure parmi les propositions de la liste.")

    def validate_departement(self, field):
        if not field.data:
            raise ValidationError("Choisissez le département où se trouveraient les postes.")
        if get_departement(field.data) is None:
            raise ValidationError(
                "Ce département est inconnu : choisissez-le dans la liste, par exemple « 33 – Gironde »."
            )

    def _validate_yes_no(self, field):
        if not self.asks_ess:
            return
        if not field.data:
            raise ValidationError(f"Répondez à cette question : elle est obligatoire pour les {ESS_TYPES_LABEL}.")
        if field.data not in ("oui", "non"):
            raise ValidationError("Répondez par « Oui » ou par « Non ».")

    def validate_ess_non_profit_purpose(self, field):
        self._validate_yes_no(field)

    def validate_ess_democratic_governance(self, field):
        self._validate_yes_no(field)

    def validate_ess_profits_reinvested(self, field):
        self._validate_yes_no(field)

    def validate_social_utility(self, field):
        if not self.asks_ess:
            return
        chosen = field.data or []
        if not chosen:
            raise ValidationError(
                f"Cochez les buts que poursuit votre structure, ou « {NO_PURPOSE_LABEL} » : cette réponse est "
                f"obligatoire pour les {ESS_TYPES_LABEL}."
            )
        if any(value not in SOCIAL_UTILITY_PURPOSES and value != NO_PURPOSE for value in chosen):
            raise ValidationError("Cochez uniquement des buts proposés dans la liste.")
        if NO_PURPOSE in chosen and len(chosen) > 1:
            raise ValidationError(
                f"Vous avez coché un but et « {NO_PURPOSE_LABEL} » : gardez les buts poursuivis, ou seulement "
                f"« {NO_PURPOSE_LABEL} »."
            )

    def validate_minors(self, field):
        if field.data and field.data not in ("oui", "non"):
            raise ValidationError("Répondez par oui ou par non, ou laissez la question sans réponse.")
