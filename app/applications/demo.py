"""Demo applications: one per status, in several départements, with posts, history and messages.

Three have fixed private links so the journey can be shown at once (printed by ``flask seed-demo``).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.applications.history import APPLICANT
from app.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationMessage,
    ApplicationPost,
    ApplicationTutor,
    EventKind,
    MessageAuthor,
)
from app.applications.models import (
    ApplicationStatus as S,
)
from app.applications.pdf import BasePDF
from app.applications.uploads import StoredFile, store_upload
from app.auth.models import Referent
from app.eligibility.engine import regime_in_force
from app.eligibility.structures import StructureType as T
from app.extensions import db
from app.formatting import utcnow

# token, status, days ago, type, name, siret, rna, address, postal code, commune, département, contact, posts
DEMO = [
    (
        "demo-brouillon",
        S.DRAFT,
        2,
        T.ASSOCIATION,
        "Association Les Jardins de la Bastide",
        None,
        "W332004512",
        "8 rue de la Benauge",
        "33100",
        "Bordeaux",
        "33",
        ("Lucie", "Bernard", "Présidente", "lucie.bernard@example.org"),
        1,
    ),
    (
        "demo-deposee",
        S.SUBMITTED,
        3,
        T.ASSOCIATION,
        "Ressourcerie du Libournais",
        "44306184100047",
        "W332011234",
        "15 avenue Gallieni",
        "33500",
        "Libourne",
        "33",
        ("Karim", "Haddad", "Directeur", "karim.haddad@example.org"),
        2,
    ),
    (
        "demo-en-attente",
        S.WAITING_APPLICANT,
        20,
        T.COOPERATIVE,
        "Coopérative Bois et Compagnie",
        "73282932000074",
        None,
        "2 quai de Valmy",
        "59000",
        "Lille",
        "59",
        ("Sophie", "Lefebvre", "Gérante", "sophie.lefebvre@example.org"),
        1,
    ),
    (
        None,
        S.SUBMITTED,
        1,
        T.ASSOCIATION,
        "Association Périgord Solidarité",
        None,
        "W242003456",
        "4 place Francheville",
        "24000",
        "Périgueux",
        "24",
        ("Marc", "Delpech", "Trésorier", "marc.delpech@example.org"),
        1,
    ),
    (
        None,
        S.IN_REVIEW,
        12,
        T.ASSOCIATION,
        "Les Restos du Quartier Nord",
        None,
        "W595012345",
        "30 rue Gambetta",
        "59100",
        "Roubaix",
        "59",
        ("Nadia", "Benali", "Coordinatrice", "nadia.benali@example.org"),
        1,
    ),
    (
        None,
        S.SENT_FOR_DECISION,
        45,
        T.MUTUELLE,
        "Mutuelle Entraide Gironde",
        "35600000000048",
        None,
        "40 cours de l'Intendance",
        "33000",
        "Bordeaux",
        "33",
        ("Hélène", "Dubois", "Directrice", "helene.dubois@example.org"),
        1,
    ),
    (
        None,
        S.APPROVED,
        90,
        T.PUBLIC_BODY,
        "Commune de Bègles",
        "21330063500017",
        None,
        "77 rue Calixte Camelle",
        "33130",
        "Bègles",
        "33",
        ("Julien", "Moreau", "Directeur des services techniques", "julien.moreau@example.org"),
        2,
    ),
    (
        None,
        S.REFUSED,
        70,
        T.ASSOCIATION,
        "Club sportif des Bords de Seine",
        None,
        "W751234567",
        "10 quai de la Loire",
        "75019",
        "Paris",
        "75",
        ("Thomas", "Petit", "Président", "thomas.petit@example.org"),
        1,
    ),
]

POSTS = [
    (
        "Entretien des espaces verts",
        "Tonte, désherbage, taille des haies, ramassage des feuilles.",
        "Parc et jardins de la structure",
        "Du lundi au vendredi, de 9 h à 12 h",
        15,
        2,
        False,
        True,
        False,
    ),
    (
        "Aide au tri et à la remise en état d'objets",
        "Tri des dons, nettoyage et petites réparations de meubles, mise en rayon.",
        "Atelier de la structure",
        "Mardi et jeudi, de 14 h à 17 h",
        6,
        1,
        True,
        True,
        True,
    ),
]


def _demo_pdf(title: str) -> bytes:
    pdf = BasePDF(title, "Document de démonstration, sans valeur.")
    pdf.title_block()
    pdf.paragraph("Ce fichier a été généré pour les données de démonstration de TIG Partenaires.")
    return pdf.to_bytes()


class _Bytes:
    """The little of a werkzeug FileStorage that ``store_upload`` reads."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self.stream = io.BytesIO(data)


def load_demo_applications() -> list[str]:
    if db.session.scalar(sa.select(Application.id).where(Application.access_token == "demo-deposee")):
        return []
    now = utcnow()
    referents = {r.email: r for r in db.session.scalars(sa.select(Referent))}
    referent_33 = referents.get("referent.tig.33@justice.fr")
    referent_59 = referents.get("referent.tig.59@justice.fr")
    site = current_app.config["SITE_URL"]
    for token, status, days, type_, name, siret, rna, address, postal, commune, dept, contact, n_posts in DEMO:
        created = now - timedelta(days=days, hours=2)
        first, last, role, email = contact
        application = Application(
            status=status,
            status_changed_at=now - timedelta(days=max(days - 5, 0))
            if status not in (S.DRAFT, S.SUBMITTED)
            else created,
            structure_type=type_,
            structure_name=name,
            siret=siret,
            rna=rna,
            address=address,
            postal_code=postal,
            commune=commune,
            departement_code=dept,
            contact_first_name=first,
            contact_last_name=last,
            contact_role=role,
            contact_email=email,
            contact_phone="+33556123456",
            created_at=created,
            draft_answers={},
            social_utility=[],
        )
        if token:
            application.access_token = token
        if type_.is_ess_private:
            application.ess_non_profit_purpose = application.ess_democratic_governance = (
                application.ess_profits_reinvested
            ) = True
            application.social_utility = ["fragilite", "lien_social"]
            application.social_utility_statement = (
                "Nous accompagnons des personnes éloignées de l'emploi et animons des ateliers de quartier."
            )
        for position, post in enumerate(POSTS[:n_posts]):
            title, tasks, place, schedule, hours, places, minors, effort, accessible = post
            application.posts.append(
                ApplicationPost(
                    position=position,
                    title=title,
                    tasks=tasks,
                    place=place,
                    schedule=schedule,
                    hours_per_week=hours,
                    places_count=places,
                    minors_allowed=minors,
                    physical_effort=effort,
                    accessible_reduced_mobility=accessible,
                    tutors=[
                        ApplicationTutor(
                            last_name="Garcia",
                            first_name="Inès",
                            role="Responsable technique",
                            birth_date=date(1979, 9, 21),
                            birth_place="Mérignac (Gironde)",
                        )
                    ],
                )
            )
        db.session.add(application)
        db.session.flush()
        db.session.add(
            ApplicationEvent(
                application=application,
                kind=EventKind.DRAFT_CREATED,
                actor_label=APPLICANT,
                detail="Brouillon de candidature créé",
                created_at=created,
            )
        )
        if status is S.DRAFT:
            application.current_step = 2
            application.draft_expires_at = now + timedelta(days=current_app.config["DRAFT_RETENTION_DAYS"] - days)
            continue
        submitted = created + timedelta(hours=1)
        application.submitted_at = application.declaration_accepted_at = submitted
        if status is S.SUBMITTED:  # deposited and untouched since: its status dates from the submission
            application.status_changed_at = submitted
        application.reference = f"TIG-{submitted.year}-{application.id:06d}"
        application.current_step = 7
        regime = regime_in_force(submitted.date())
        application.eligibility_regime = regime.id
        application.eligibility_path = regime.rules[type_].path.value
        db.session.add(
            ApplicationEvent(
                application=application,
                kind=EventKind.SUBMITTED,
                actor_label=APPLICANT,
                detail="Candidature déposée",
                from_status=S.DRAFT,
                to_status=S.SUBMITTED,
                created_at=submitted,
            )
        )
        referent = referent_59 if dept == "59" else referent_33 if dept in ("33", "24") else None
        if status is not S.SUBMITTED:
            taken = submitted + timedelta(days=1)
            application.assigned_referent_id = referent.id if referent else None
            db.session.add(
                ApplicationEvent(
                    application=application,
                    kind=EventKind.STATUS_CHANGED,
                    actor_label=referent.name if referent else "Référent TIG",
                    actor_referent_id=referent.id if referent else None,
                    detail="Candidature prise en charge",
                    from_status=S.SUBMITTED,
                    to_status=S.IN_REVIEW,
                    created_at=taken,
                )
            )
            if status is not S.IN_REVIEW:
                label = referent.name if referent else "Référent TIG"
                detail = {
                    S.WAITING_APPLICANT: "Extrait Kbis de moins de 3 mois\nDerniers comptes annuels et bilan",
                    S.SENT_FOR_DECISION: "Dossier complet transmis au directeur du SPIP",
                    S.APPROVED: "Habilitation accordée après les avis du procureur, du JAP et du préfet",
                    S.REFUSED: "Les postes proposés ne peuvent pas être encadrés par un tuteur présent sur place.",
                }[status]
                kind = (
                    EventKind.COMPLEMENTS_REQUESTED
                    if status is S.WAITING_APPLICANT
                    else EventKind.DECISION
                    if status in (S.APPROVED, S.REFUSED)
                    else EventKind.STATUS_CHANGED
                )
                db.session.add(
                    ApplicationEvent(
                        application=application,
                        kind=kind,
                        actor_label=label,
                        actor_referent_id=referent.id if referent else None,
                        detail=detail,
                        from_status=S.IN_REVIEW if status is not S.APPROVED else S.SENT_FOR_DECISION,
                        to_status=status,
                        created_at=application.status_changed_at,
                    )
                )
                if status in (S.APPROVED, S.REFUSED):
                    application.decided_at = application.status_changed_at
                    application.decision_reason = detail
                    application.decided_by_id = referent.id if referent else None
            if status is S.WAITING_APPLICANT:
                db.session.add(
                    ApplicationMessage(
                        application=application,
                        author=MessageAuthor.REFERENT,
                        referent_id=referent.id if referent else None,
                        body="Bonjour, merci pour votre candidature. Pour poursuivre l'instruction, pouvez-vous nous transmettre les pièces ci-dessous ?",
                        requested_items=["Extrait Kbis de moins de 3 mois", "Derniers comptes annuels et bilan"],
                        created_at=application.status_changed_at,
                    )
                )
        if token == "demo-deposee":
            folder = current_app.config["UPLOAD_FOLDER"]
            for key, label in (("declaration_jo", "declaration-journal-officiel.pdf"), ("statuts", "statuts-2023.pdf")):
                stored: StoredFile = store_upload(
                    _Bytes(label, _demo_pdf(label)), folder, current_app.config["UPLOAD_MAX_BYTES"]
                )
                db.session.add(
                    ApplicationDocument(
                        application=application,
                        kind=key,
                        original_filename=stored.original_filename,
                        stored_name=stored.stored_name,
                        content_type=stored.content_type,
                        size_bytes=stored.size_bytes,
                        sha256=stored.sha256,
                        scan_status=stored.scan_status,
                        scan_detail=stored.scan_detail,
                        uploaded_at=submitted,
                    )
                )
    db.session.flush()
    return [
        f"Candidature en brouillon : {site}/candidature/reprendre/demo-brouillon",
        f"Candidature déposée (modifiable) : {site}/suivi/demo-deposee",
        f"Candidature en attente du demandeur : {site}/suivi/demo-en-attente",
    ]
