"""The PDF attestation sent with a habilitation decision (on the BasePDF of app/applications/pdf.py:
Ministry heading, page numbers, DejaVu for French characters).

A pure function of the application's recorded decision: the email attachment and the back-office
download are the same bytes, built on demand (nothing stored).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from fpdf.fonts import FontFace

from app.applications.models import Application, ApplicationStatus
from app.applications.pdf import BasePDF
from app.applications.validators import format_siret
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import date_fr, to_paris
from app.mail.compose import Attachment, attachment_builder
from app.structures.facts import habilitation_end
from app.structures.models import Habilitation
from app.territories import get_departement


class AttestationUnavailable(Exception):
    """Only an application recorded as habilitée has an attestation."""


def attestation_filename(application: Application) -> str:
    return f"attestation-habilitation-{application.reference or application.id}.pdf"


def _departement_label(code: str | None) -> str:
    if not code:
        return ""
    departement = get_departement(code)
    return f"{departement.name} ({departement.code})" if departement else code


@attachment_builder("application.attestation")
def attestation_attachment(application: Application) -> Attachment:
    return Attachment(attestation_filename(application), "application/pdf", attestation_pdf(application))


def _habilitation_period(application: Application, decided_on: date) -> tuple[date, date]:
    """The period the register holds for this decision (the five years from the decision otherwise)."""
    habilitation = db.session.scalar(sa.select(Habilitation).filter_by(application_id=application.id))
    if habilitation is not None:
        return habilitation.starts_on, habilitation.ends_on
    return decided_on, habilitation_end(decided_on)


def _facts_lines(application: Application) -> list[str]:
    """The decision as the authority took it: its date and author, the opinions it followed."""
    assert application.decision_date is not None
    lines = [f"Décision du {date_fr(application.decision_date, 'long')} – {application.decision_authority}."]
    opinions = [
        f"{whose} le {date_fr(day, 'long')}"
        for whose, day in (
            ("du procureur de la République", application.prosecutor_opinion_on),
            ("du juge de l'application des peines", application.jap_opinion_on),
            ("du préfet", application.prefect_opinion_on),
        )
        if day is not None
    ]
    if opinions:
        lines.append("Avis " + " ; avis ".join(opinions) + ".")
    return lines


def _decision_text(application: Application, public_body: bool, decided_on: date) -> str:
    if public_body:
        return (
            "En tant que personne morale de droit public, la structure est habilitée de droit à accueillir "
            "des personnes condamnées à un travail d'intérêt général (article 131-8 du Code pénal). "
            "Les postes ci-dessous sont inscrits sur la liste départementale des travaux d'intérêt général."
        )
    starts_on, ends_on = _habilitation_period(application, application.decision_date or decided_on)
    if application.decision_date is None:  # recorded before the decision's facts were asked
        return (
            "Après avis du procureur de la République, du juge de l'application des peines et du préfet, "
            "le directeur du service pénitentiaire d'insertion et de probation a habilité la structure à "
            "accueillir des personnes condamnées à un travail d'intérêt général (article 131-8 du Code pénal) "
            f"pour une durée de cinq ans, jusqu'au {date_fr(ends_on, 'long')}, et inscrit les postes "
            "ci-dessous sur la liste départementale des travaux d'intérêt général."
        )
    return (
        "La structure est habilitée à accueillir des personnes condamnées à un travail d'intérêt général "
        f"(article 131-8 du Code pénal) pour une durée de cinq ans, du {date_fr(starts_on, 'long')} au "
        f"{date_fr(ends_on, 'long')}. Les postes ci-dessous sont inscrits sur la liste départementale des "
        "travaux d'intérêt général."
    )


def attestation_pdf(application: Application) -> bytes:
    if application.status is not ApplicationStatus.APPROVED or application.decided_at is None:
        raise AttestationUnavailable(application.id)

    public_body = application.structure_type is StructureType.PUBLIC_BODY
    title = "Attestation d'inscription des postes de TIG" if public_body else "Attestation d'habilitation"
    decided_on = to_paris(application.decided_at).date()

    pdf = BasePDF(title, f"Référence de la candidature : {application.reference or application.id}")
    pdf.set_title(f"{title} – {application.structure_name}")
    pdf.title_block()

    pdf.heading("Structure")
    identifiers = []
    if application.siret:
        identifiers.append(f"SIRET : {format_siret(application.siret)}")
    if application.rna:
        identifiers.append(f"RNA : {application.rna}")
    lines = [
        application.structure_name,
        application.structure_type.label if application.structure_type else "",
        " – ".join(identifiers),
        f"{application.address}, {application.postal_code} {application.commune}".strip(" ,"),
        f"Département : {_departement_label(application.departement_code)}",
    ]
    pdf.paragraph("\n".join(line for line in lines if line), 10.5, space=5)

    pdf.heading("Décision")
    pdf.paragraph(_decision_text(application, public_body, decided_on), 10.5)
    if application.decision_date is not None:
        pdf.paragraph("\n".join(_facts_lines(application)), 10.5)
    else:  # recorded before the decision's facts were asked
        recorded_by = f" par {application.decided_by.name}" if application.decided_by else ""
        pdf.paragraph(f"Décision enregistrée le {date_fr(decided_on, 'long')}{recorded_by}.", 10.5)
    if application.decision_reason:
        pdf.paragraph(f"Observations : {application.decision_reason}", 10.5, space=5)

    pdf.heading(f"Postes inscrits ({len(application.posts)})")
    pdf.set_font(pdf.family, "", 9)
    headings = FontFace(emphasis="BOLD", fill_color=(236, 236, 254))
    with pdf.table(
        col_widths=(30, 26, 11, 16, 32, 13), headings_style=headings, line_height=5, text_align="LEFT"
    ) as table:
        table.row(
            [
                pdf.text_(heading)
                for heading in ("Intitulé", "Lieu", "Places", "Heures par semaine", "Tuteurs", "Mineurs")
            ]
        )
        for post in application.posts:
            tutors = "\n".join(post.tutor_lines(with_birth=False))  # the attestation is shown around
            table.row(
                [
                    pdf.text_(cell)
                    for cell in (
                        post.title,
                        post.place,
                        str(post.places_count),
                        str(post.hours_per_week),
                        tutors,
                        "Oui" if post.minors_allowed else "Non",
                    )
                ]
            )
    pdf.ln(6)
    pdf.paragraph(
        "La structure tient le service pénitentiaire d'insertion et de probation (ou la protection judiciaire "
        "de la jeunesse) informé du déroulement de chaque mesure. L'État répond des dommages causés par la "
        "personne accueillie (article 131-24 du Code pénal).",
        9,
    )
    return pdf.to_bytes()
