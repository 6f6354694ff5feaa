"""Demo webinars: the Gironde webinar of February 2022 (past) and upcoming ones relative to today —
one full with a waiting list, one in the Nord, one regional and one national — with registrations."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import paris_to_utc, to_paris, utcnow
from app.territories import departements_of_region
from app.webinars.models import Registration, RegistrationStatus, Webinar

PEOPLE = [
    ("Lefèvre", "Julie", "Coopérative Les Jardins du Médoc", StructureType.COOPERATIVE, "Directrice"),
    ("Nguyen", "Thomas", "Mutuelle Solidaire d'Aquitaine", StructureType.MUTUELLE, "Responsable RH"),
    ("Bernard", "Sophie", "Fondation Lien Social", StructureType.FONDATION, "Chargée de mission"),
    ("Diallo", "Moussa", "Recyclerie du Bassin", StructureType.ESS_COMPANY, "Gérant"),
    ("Garcia", "Elena", "Association Quartiers Solidaires", StructureType.ASSOCIATION, "Coordinatrice"),
    ("Petit", "Lucas", "SCIC Mobilités Douces", StructureType.COOPERATIVE, "Chef de projet"),
    ("Moreau", "Camille", "Épicerie solidaire Le Panier", StructureType.ESS_COMPANY, "Présidente"),
    ("Roux", "Antoine", "Régie de quartier Bastide", StructureType.ASSOCIATION, "Encadrant technique"),
    ("Fontaine", "Léa", "Ressourcerie Terre d'Avenir", StructureType.ESS_COMPANY, "Directrice adjointe"),
    ("Chevalier", "Hugo", "Coopérative Bâtir Ensemble", StructureType.COOPERATIVE, "Conducteur de travaux"),
    ("Benali", "Nadia", "Mutuelle des Territoires", StructureType.MUTUELLE, "Responsable RSE"),
    ("Girard", "Paul", "Fondation Horizons", StructureType.FONDATION, "Délégué général"),
    ("Lambert", "Inès", "SAS Mission Vélo", StructureType.MISSION_COMPANY, "Fondatrice"),
    ("Bonnet", "Mathis", "Atelier Bois et Partage", StructureType.ESS_COMPANY, "Menuisier encadrant"),
    ("Dupuis", "Chloé", "Association Cultures Croisées", StructureType.ASSOCIATION, "Directrice"),
]


def _working_day(day):
    """The first weekday on or after ``day`` that is not a fixed public holiday."""
    while day.weekday() >= 5 or (day.month, day.day) in {
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    }:
        day += timedelta(days=1)
    return day


def _paris(day, hour: int, minute: int = 0) -> datetime:
    return paris_to_utc(datetime.combine(day, time(hour, minute)))


def _add_registrations(webinar: Webinar, confirmed: int, waiting: int, departement: str, start_at: int = 0) -> None:
    created = webinar.created_at
    for index in range(confirmed + waiting):
        last, first, structure, kind, role = PEOPLE[(start_at + index) % len(PEOPLE)]
        email = f"{first}.{last}.{index}@exemple.fr".lower().replace("è", "e").replace("é", "e").replace("ï", "i")
        created = created + timedelta(hours=3, minutes=7 * index)
        db.session.add(
            Registration(
                webinar=webinar,
                last_name=last,
                first_name=first,
                email=email,
                email_normalized=email,
                structure_name=structure,
                structure_type=kind,
                departement_code=departement,
                role=role,
                question="Quelles tâches peut-on confier à une personne en TIG ?" if index % 4 == 0 else "",
                consent_at=created,
                status=RegistrationStatus.CONFIRMED if index < confirmed else RegistrationStatus.WAITING,
                created_at=created,
                updated_at=created,
                join_link_sent_at=(webinar.starts_at - timedelta(days=1))
                if webinar.starts_at < utcnow() and index < confirmed
                else None,
            )
        )


def _webinar(departements=(), **values) -> Webinar:
    webinar = Webinar(**values)
    webinar.set_departement_codes(list(departements))
    db.session.add(webinar)
    return webinar


def load_demo_webinars() -> list[str]:
    if db.session.scalar(sa.select(sa.func.count(Webinar.id))):
        return ["Webinaires : déjà présents, rien d'ajouté."]
    today = to_paris(utcnow()).date()
    hosts_gironde = "Le référent territorial TIG de la Gironde et une volontaire en service civique ; ouverture par la CRESS Nouvelle-Aquitaine"

    past = _webinar(
        departements=("33",),
        title="Accueillir une personne en TIG dans une entreprise de l'ESS en Gironde",
        description=(
            "Depuis décembre 2019, les structures de l'économie sociale et solidaire de la Gironde peuvent accueillir "
            "des personnes condamnées à un travail d'intérêt général.\n\n"
            "Ce webinaire présente le public accueilli, les missions possibles, le rôle du tuteur et les étapes de "
            "l'habilitation, puis laisse place à vos questions."
        ),
        starts_at=_paris(datetime(2022, 2, 2).date(), 14, 30),
        duration_minutes=90,
        capacity=20,
        registration_deadline=_paris(datetime(2022, 1, 28).date(), 23, 59),
        waitlist_enabled=False,
        organiser_name="Référent territorial TIG de la Gironde",
        organiser_email="referent.tig.33@justice.fr",
        hosts=hosts_gironde,
        audience="Coopératives, mutuelles, fondations et sociétés commerciales de l'ESS de la Gironde",
        join_url="https://webinaire.justice.fr/rejoindre/gironde-2022-02-02",
        created_at=_paris(datetime(2022, 1, 10).date(), 9),
    )
    db.session.flush()
    _add_registrations(past, confirmed=14, waiting=0, departement="33")

    full_day = _working_day(today + timedelta(days=9))
    full = _webinar(
        departements=("33", "24"),
        title="Devenir structure d'accueil TIG : présentation et questions (Gironde et Dordogne)",
        description=(
            "Une heure et demie pour comprendre le travail d'intérêt général, ce qu'il apporte à votre structure "
            "et comment demander l'habilitation.\n\nLe lien de connexion est envoyé aux inscrits la veille."
        ),
        starts_at=_paris(full_day, 14, 30),
        duration_minutes=90,
        capacity=12,
        registration_deadline=_paris(full_day - timedelta(days=2), 23, 59),
        waitlist_enabled=True,
        organiser_name="Référent territorial TIG de la Gironde",
        organiser_email="referent.tig.33@justice.fr",
        hosts=hosts_gironde,
        audience="Structures de l'ESS, associations et collectivités de la Gironde et de la Dordogne",
        join_url="https://webinaire.justice.fr/rejoindre/gironde-dordogne",
        created_at=utcnow() - timedelta(days=20),
    )
    db.session.flush()
    _add_registrations(full, confirmed=12, waiting=2, departement="33", start_at=2)

    nord_day = _working_day(today + timedelta(days=16))
    nord = _webinar(
        departements=("59",),
        title="Le TIG dans les entreprises de l'économie sociale et solidaire du Nord",
        description=(
            "Présentation de l'accueil de personnes en TIG par les coopératives, mutuelles, fondations et "
            "entreprises de l'ESS du Nord, avec le témoignage d'une structure d'accueil."
        ),
        starts_at=_paris(nord_day, 10, 0),
        duration_minutes=75,
        capacity=25,
        registration_deadline=_paris(nord_day - timedelta(days=3), 18, 0),
        waitlist_enabled=True,
        organiser_name="Référent territorial TIG du Nord",
        organiser_email="referent.tig.59@justice.fr",
        hosts="Le référent territorial TIG du Nord et le SPIP du Nord",
        audience="Structures de l'ESS du Nord",
        join_url="https://webinaire.justice.fr/rejoindre/nord",
        created_at=utcnow() - timedelta(days=5),
    )
    db.session.flush()
    _add_registrations(nord, confirmed=4, waiting=0, departement="59", start_at=5)

    region_day = _working_day(today + timedelta(days=23))
    region = _webinar(
        departements=[d.code for d in departements_of_region("Nouvelle-Aquitaine")],
        region="Nouvelle-Aquitaine",
        title="Travail d'intérêt général : webinaire régional Nouvelle-Aquitaine",
        description="Les référents TIG de la région présentent l'accueil de personnes en TIG et répondent à vos questions.",
        starts_at=_paris(region_day, 11, 0),
        duration_minutes=60,
        capacity=40,
        registration_deadline=_paris(region_day - timedelta(days=1), 12, 0),
        waitlist_enabled=True,
        organiser_name="Référents TIG de Nouvelle-Aquitaine",
        organiser_email="referent.tig.33@justice.fr",
        hosts="Les référents territoriaux TIG de Nouvelle-Aquitaine",
        audience="Toutes les structures de la région",
        join_url="https://webinaire.justice.fr/rejoindre/nouvelle-aquitaine",
        created_at=utcnow() - timedelta(days=3),
    )
    db.session.flush()
    _add_registrations(region, confirmed=3, waiting=0, departement="33", start_at=9)

    national_day = _working_day(today + timedelta(days=30))
    _webinar(
        title="Accueillir un TIG : webinaire national de l'ATIGIP",
        description="Présentation nationale du travail d'intérêt général et de l'ouverture aux structures de l'ESS.",
        starts_at=_paris(national_day, 14, 0),
        duration_minutes=90,
        capacity=100,
        registration_deadline=_paris(national_day - timedelta(days=1), 23, 59),
        waitlist_enabled=True,
        organiser_name="ATIGIP",
        organiser_email="admin.tig@justice.fr",
        hosts="L'équipe partenariats de l'ATIGIP",
        audience="Toutes les structures, partout en France",
        join_url="https://webinaire.justice.fr/rejoindre/national",
        created_at=utcnow() - timedelta(days=2),
    )
    db.session.flush()
    return ["Webinaires : 1 passé (Gironde, 2 février 2022) et 4 à venir, dont un complet avec liste d'attente."]
