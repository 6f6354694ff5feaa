"""What happens after an application is sent, as the applicant is told it (confirmation page, mail, PDF
summary): a public body only asks for its posts to be inscribed, every other structure for its
habilitation and the inscription of its posts (Code pénitentiaire R.623-1 and following)."""

from __future__ import annotations

from app.eligibility.structures import StructureType

VERIFICATION = (
    "Vérification par le référent TIG",
    "Le référent territorial TIG de votre département vérifie votre dossier. S'il manque un élément, il vous "
    "écrit : vous répondez depuis votre page de suivi.",
)
HABILITATION_STEPS = (
    VERIFICATION,
    ("Avis", "Le procureur de la République, le juge de l'application des peines et le préfet donnent leur avis."),
    (
        "Décision",
        "Le directeur du service pénitentiaire d'insertion et de probation (SPIP) décide de l'habilitation de votre "
        "structure et de l'inscription de vos postes, au plus tôt un mois après votre demande. Vous êtes prévenu "
        "par courriel.",
    ),
)
POSTS_ONLY_STEPS = (
    VERIFICATION,
    ("Avis", "Le procureur de la République et le juge de l'application des peines donnent leur avis sur vos postes."),
    (
        "Décision",
        "Personne morale de droit public, votre structure n'a pas à être habilitée : le directeur du service "
        "pénitentiaire d'insertion et de probation (SPIP) décide de l'inscription de vos postes sur la liste du "
        "département, après ces avis ou au plus tôt dix jours après votre demande. Vous êtes prévenu par courriel.",
    ),
)


def posts_only(structure_type: StructureType | None) -> bool:
    """A public body is habilitated by right: it only asks for its posts to be inscribed."""
    return structure_type is StructureType.PUBLIC_BODY


def request_label(structure_type: StructureType | None) -> str:
    if posts_only(structure_type):
        return "Demande d'inscription de postes de travail d'intérêt général"
    return "Demande d'habilitation et d'inscription de postes de travail d'intérêt général"


def next_steps(structure_type: StructureType | None) -> tuple[tuple[str, str], ...]:
    """(title, text) of each step after the application is sent."""
    return POSTS_ONLY_STEPS if posts_only(structure_type) else HABILITATION_STEPS
