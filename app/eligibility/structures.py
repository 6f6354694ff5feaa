"""The kinds of structure the site knows, shared by the eligibility checker, the application
wizard, webinar registration and the back office."""

from __future__ import annotations

import enum


class StructureType(enum.Enum):
    PUBLIC_BODY = "personne_publique"
    PUBLIC_SERVICE_PRIVATE = "personne_privee_service_public"
    ASSOCIATION = "association"
    COOPERATIVE = "cooperative"
    MUTUELLE = "mutuelle"
    FONDATION = "fondation"
    ESS_COMPANY = "societe_commerciale_ess"
    MISSION_COMPANY = "societe_a_mission"
    OTHER_COMPANY = "autre_entreprise"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_ess_private(self) -> bool:
        """ESS structures other than associations, for which the ESS conditions matter."""
        return self in {
            StructureType.COOPERATIVE,
            StructureType.MUTUELLE,
            StructureType.FONDATION,
            StructureType.ESS_COMPANY,
        }


LABELS = {
    StructureType.PUBLIC_BODY: "Personne morale de droit public (État, collectivité, établissement public, hôpital…)",
    StructureType.PUBLIC_SERVICE_PRIVATE: "Personne morale de droit privé chargée d'une mission de service public",
    StructureType.ASSOCIATION: "Association",
    StructureType.COOPERATIVE: "Coopérative",
    StructureType.MUTUELLE: "Mutuelle",
    StructureType.FONDATION: "Fondation",
    StructureType.ESS_COMPANY: "Société commerciale de l'économie sociale et solidaire",
    StructureType.MISSION_COMPANY: "Société à mission",
    StructureType.OTHER_COMPANY: "Autre entreprise",
}


def structure_type_choices(blank: str | None = None) -> list:
    from app.forms import select_choices

    return select_choices(((t.value, t.label) for t in StructureType), blank)
