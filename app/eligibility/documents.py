"""The documents a structure must provide with its habilitation request (Code pénitentiaire,
art. R.623-2), per type of structure.

Shared contract: the eligibility result page lists them, the application wizard asks for one upload
per requirement (``key`` is stored on each uploaded document).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.eligibility.structures import StructureType
from app.territories import ALSACE_MOSELLE, normalize_code

ACCEPTED_UPLOAD_FORMATS = "PDF, JPEG ou PNG"
LEGAL_REFERENCE = "Code pénitentiaire, art. R.623-2"


@dataclass(frozen=True)
class DocumentRequirement:
    key: str
    label: str
    hint: str
    required: bool = True


JO_DECLARATION = DocumentRequirement(
    "declaration_jo",
    "Copie de la déclaration publiée au Journal officiel",
    "La page du Journal officiel des associations (JOAFE) annonçant la création de l'association.",
)
REGISTRE_ASSOCIATIONS = DocumentRequirement(
    "extrait_registre",
    "Extrait du registre des associations du tribunal judiciaire",
    "En Moselle, dans le Bas-Rhin et dans le Haut-Rhin, les associations de droit local sont inscrites "
    "au registre tenu par le tribunal judiciaire.",
)
STATUTS = DocumentRequirement("statuts", "Statuts à jour", "La dernière version signée de vos statuts.")
ETABLISSEMENTS = DocumentRequirement(
    "etablissements",
    "Liste des établissements et de leur siège",
    "Chaque établissement de la structure avec son adresse, en précisant le siège.",
)
BUREAU = DocumentRequirement(
    "bureau",
    "Liste des membres du bureau",
    "Nom, prénom et fonction de chaque membre (président, trésorier, secrétaire…).",
)
PV_AG = DocumentRequirement(
    "pv_assemblee_generale",
    "Procès-verbal de la dernière assemblée générale",
    "Le compte rendu signé de la dernière assemblée générale.",
)
SIREN = DocumentRequirement(
    "siren",
    "Justificatif du numéro SIREN",
    "Par exemple l'avis de situation au répertoire Sirene de l'Insee.",
)
COMPTES = DocumentRequirement(
    "comptes",
    "Derniers comptes annuels et bilan",
    "Le compte de résultat et le bilan du dernier exercice clos.",
)
UTILITE_SOCIALE = DocumentRequirement(
    "utilite_sociale",
    "Document justifiant l'utilité sociale",
    "Tout document montrant que l'objet de la structure répond à l'une des conditions d'utilité sociale "
    "de l'article 2 de la loi n° 2014-856 (par exemple un extrait des statuts ou du rapport d'activité).",
)
KBIS_ESS = DocumentRequirement(
    "kbis",
    "Extrait Kbis de moins de 3 mois portant la mention « entreprise de l'ESS »",
    "L'extrait d'immatriculation au registre du commerce et des sociétés, daté de moins de 3 mois.",
)
KBIS_MISSION = DocumentRequirement(
    "kbis",
    "Extrait Kbis de moins de 3 mois portant la mention « société à mission »",
    "L'extrait d'immatriculation au registre du commerce et des sociétés, daté de moins de 3 mois.",
)
RAPPORT_COMITE_MISSION = DocumentRequirement(
    "rapport_comite_mission",
    "Dernier rapport du comité de mission",
    "Le rapport joint au rapport de gestion présenté à l'assemblée chargée d'approuver les comptes.",
)

_ESS_PRIVATE = (STATUTS, UTILITE_SOCIALE, COMPTES)

_BY_TYPE: dict[StructureType, tuple[DocumentRequirement, ...]] = {
    StructureType.PUBLIC_BODY: (),  # habilitated by right: only its posts are inscribed
    StructureType.PUBLIC_SERVICE_PRIVATE: (STATUTS, SIREN, COMPTES),
    StructureType.ASSOCIATION: (JO_DECLARATION, STATUTS, ETABLISSEMENTS, BUREAU, PV_AG),
    StructureType.COOPERATIVE: _ESS_PRIVATE,
    StructureType.MUTUELLE: _ESS_PRIVATE,
    StructureType.FONDATION: _ESS_PRIVATE,
    StructureType.ESS_COMPANY: _ESS_PRIVATE + (KBIS_ESS,),
    StructureType.MISSION_COMPANY: (STATUTS, KBIS_MISSION, RAPPORT_COMITE_MISSION, COMPTES),
    StructureType.OTHER_COMPANY: (),  # cannot host TIG
}

# Every requirement of any type, by key (a document keeps its key when the structure's type changes).
ALL_REQUIREMENTS: dict[str, DocumentRequirement] = {
    requirement.key: requirement
    for requirement in (JO_DECLARATION, REGISTRE_ASSOCIATIONS, *(r for rs in _BY_TYPE.values() for r in rs))
}


def required_documents(structure_type: StructureType, departement_code: str | None) -> list[DocumentRequirement]:
    """The documents to join to a habilitation request, in the order they are asked for.

    Associations of Moselle, Bas-Rhin and Haut-Rhin (local law) give the extract of the tribunal's
    register instead of the Journal officiel copy.
    """
    documents = list(_BY_TYPE.get(structure_type, ()))
    if structure_type is StructureType.ASSOCIATION and normalize_code(departement_code) in ALSACE_MOSELLE:
        documents[documents.index(JO_DECLARATION)] = REGISTRE_ASSOCIATIONS
    return documents
