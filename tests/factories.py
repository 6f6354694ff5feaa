"""Builders for tests (factory functions returning persisted, flushed objects).

One section per feature; add to your own section with a targeted edit.
Accounts: ``make_referent(email=, name=, departements=("33",), is_admin=False, password=DEFAULT_PASSWORD,
totp_secret=None)``; log it in with the ``auth`` fixture (tests/conftest.py).
"""

from __future__ import annotations

# --- accounts (back office) -------------------------------------------------------------------
# make_referent(email=..., name=..., departements=("33",), is_admin=False, password=DEFAULT_PASSWORD,
#               totp_secret=None, is_active=True) -> Referent (flushed; the password is argon2-hashed).
# Log it in with the ``auth`` fixture of tests/conftest.py: ``auth.login_as(referent)``.
DEFAULT_PASSWORD = "mot-de-passe-de-test"
_referent_counter = 0


def make_referent(
    email: str | None = None,
    name: str | None = None,
    departements=("33",),
    is_admin: bool = False,
    password: str | None = DEFAULT_PASSWORD,
    totp_secret: str | None = None,
    is_active: bool = True,
    notify_new_applications: bool = True,
):
    from app.auth.models import Referent, ReferentDepartement
    from app.auth.passwords import hash_password
    from app.extensions import db

    global _referent_counter
    _referent_counter += 1
    referent = Referent(
        email=(email or f"referent{_referent_counter}@justice.fr").lower(),
        name=name or f"Référent de test {_referent_counter}",
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        is_active=is_active,
        totp_secret=totp_secret,
        notify_new_applications=notify_new_applications,
    )
    referent.departements = [ReferentDepartement(departement_code=code) for code in departements]
    db.session.add(referent)
    db.session.flush()
    return referent


# --- webinars ---------------------------------------------------------------------------------
# make_webinar(starts_in=timedelta(days=10), capacity=20, departements=("33",), **fields) -> Webinar
# make_registration_data(email=..., **fields) -> RegistrationData (for services.register)
# registration_form(email, **fields) -> dict: the public registration form as POSTed over HTTP
_webinar_counter = 0


def make_webinar(starts_in=None, capacity: int = 20, departements=("33",), deadline_before=None, **fields):
    from datetime import timedelta

    from app.extensions import db
    from app.formatting import utcnow
    from app.webinars.models import Webinar

    global _webinar_counter
    _webinar_counter += 1
    starts_at = fields.pop("starts_at", None) or (utcnow() + (starts_in or timedelta(days=10))).replace(
        second=0, microsecond=0
    )
    values = dict(
        title=f"Webinaire de test {_webinar_counter}",
        description="Présentation du travail d'intérêt général.",
        starts_at=starts_at,
        duration_minutes=90,
        capacity=capacity,
        registration_deadline=starts_at - (deadline_before if deadline_before is not None else timedelta(days=1)),
        waitlist_enabled=True,
        organiser_name="Référent TIG Gironde",
        organiser_email="referent.tig.33@justice.fr",
        hosts="Référent TIG et volontaire en service civique",
        audience="Structures de l'économie sociale et solidaire",
        join_url="https://visio.example.org/tig-secret-room",
    )
    values.update(fields)
    webinar = Webinar(**values)
    webinar.set_departement_codes(list(departements))
    db.session.add(webinar)
    db.session.flush()
    return webinar


def make_registration_data(email: str = "alice@example.org", **fields):
    from app.eligibility.structures import StructureType
    from app.webinars.services import RegistrationData

    values = dict(
        last_name="Martin",
        first_name="Alice",
        email=email,
        structure_name="Coopérative du Bassin",
        structure_type=StructureType.COOPERATIVE,
        departement_code="33",
        role="Directrice",
        question="",
    )
    values.update(fields)
    return RegistrationData(**values)


def registration_form(address: str, **fields) -> dict:
    return {
        "last_name": "Test",
        "first_name": "Charge",
        "email": address,
        "email_confirmation": address,
        "structure_name": "Structure",
        "structure_type": "association",
        "departement": "33",
        "role": "Bénévole",
        "consent": "y",
        **fields,
    }


# --- applications -----------------------------------------------------------------------------
# make_application(departement_code="33", status=SUBMITTED, structure_name=..., posts=1, **columns)
#   -> a submitted Application (reference TIG-<year>-<id>, contact, posts with a tutor), flushed.
_application_counter = 0


def make_application(
    departement_code: str = "33",
    status=None,
    structure_name: str | None = None,
    posts: int = 1,
    submitted_at=None,
    **columns,
):
    from app.applications.models import Application, ApplicationPost, ApplicationStatus, ApplicationTutor
    from app.eligibility.structures import StructureType
    from app.extensions import db
    from app.formatting import utcnow

    global _application_counter
    _application_counter += 1
    submitted_at = submitted_at or utcnow()
    status = status or ApplicationStatus.SUBMITTED
    values = dict(
        status=status,
        status_changed_at=submitted_at,
        structure_type=StructureType.ASSOCIATION,
        structure_name=structure_name or f"Association de test {_application_counter}",
        rna=f"W33{_application_counter:07d}",
        address="1 rue de la Paix",
        postal_code=f"{departement_code[:2]}000",
        commune="Ville",
        departement_code=departement_code,
        contact_first_name="Camille",
        contact_last_name="Martin",
        contact_role="Présidente",
        contact_email=f"contact{_application_counter}@example.org",
        contact_phone="+33556000000",
        submitted_at=None if status is ApplicationStatus.DRAFT else submitted_at,
        declaration_accepted_at=None if status is ApplicationStatus.DRAFT else submitted_at,
    )
    values.update(columns)
    application = Application(**values)
    for index in range(posts):
        application.posts.append(
            ApplicationPost(
                position=index,
                title=f"Entretien des espaces verts {index + 1}",
                tasks="Tonte, désherbage, ramassage des feuilles",
                place="Parc municipal",
                schedule="Du lundi au vendredi, de 9 h 00 à 12 h 00",
                hours_per_week=15,
                places_count=2,
                tutors=[ApplicationTutor(first_name="Paul", last_name="Durand", role="Jardinier")],
            )
        )
    db.session.add(application)
    db.session.flush()
    if status is not ApplicationStatus.DRAFT and not application.reference:
        application.reference = f"TIG-{submitted_at.year}-{application.id:06d}"
        db.session.flush()
    return application


# --- register of host structures ----------------------------------------------------------------
# APPROVAL: the facts of a « Habiliter » decision taken today (for review.apply_action(..., approval=));
# APPROVAL_FORM: the same as the decision form posts them. make_registered(...) -> an application decided
# « Habiliter » with those facts and entered in the register (its HostStructure returned).
def _paris_today():
    from app.formatting import to_paris, utcnow

    return to_paris(utcnow()).date()


def _approval():
    from app.structures.facts import Approval, DecisionFacts

    return Approval(DecisionFacts(decided_on=_paris_today(), authority="directeur du SPIP de la Gironde"))


APPROVAL = _approval()
APPROVAL_FORM = {"decided_on": _paris_today().isoformat(), "authority": "directeur du SPIP de la Gironde"}


def make_registered(departement_code: str = "33", referent=None, approval=None, **columns):
    from app.applications import review
    from app.applications.models import ApplicationStatus
    from app.structures.register import structure_of

    application = make_application(departement_code, status=ApplicationStatus.SENT_FOR_DECISION, **columns)
    referent = referent or make_referent(departements=(departement_code,))
    review.apply_action(application, "approve", referent, "Avis favorables.", approval=approval or APPROVAL)
    return structure_of(application)
