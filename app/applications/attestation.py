"""The PDF attestation sent with a habilitation decision (on the BasePDF of app/applications/pdf.py:
Ministry heading, page numbers, DejaVu for French characters).

A pure function of the application's recorded decision: the email attachment and the back-office
download are the same bytes, built on demand (nothing stored).
"""

from __future__ import annotations

from datetime import date

from fpdf.fonts import FontFace

from app.applications.models import Application, ApplicationStatus
from app.applications.pdf import BasePDF
from app.applications.validators import format_siret
from app.eligibility.structures import StructureType
from app.formatting import date_fr, to_paris
from app.mail.compose import Attachment, attachment_builder
from app.territories import get_departement

HABILITATION_YEARS = 5


class AttestationUnavailable(Exception):
    """Only an application recorded as habilitée has an attestation."""


def attestation_filename(application: Application) -> str:
    return f"attestation-habilitation-{application.reference or application.id}.pdf"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _departement_label(code: str | None) -> str:
    if not code:
        return ""
    departement = get_departement(code)
    return f"{departement.name} ({departement.code})" if departement else code


@attachment_builder("application.attestation")
def attestation_attachment(application: Application) -> Attachment:
    return Attachment(attestation_filename(application), "application/pdf", attestation_pdf(application))


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
    if public_body:
        decision = (
            "En tant que personne morale de droit public, la structure est habilitée de droit à accueillir "
            "des personnes condamnées à un travail d'intérêt général (article 131-8 du Code pénal). "
            "Les postes ci-dessous sont inscrits sur la liste départementale des travaux d'intérêt général."
        )
    else:
        valid_until = _add_years(decided_on, HABILITATION_YEARS)
        decision = (
            "Après avis du procureur de la République, du juge de l'application des peines et du préfet, "
            "le directeur du service pénitentiaire d'insertion et de probation a habilité la structure à "
            "accueillir des personnes condamnées à un travail d'intérêt général (article 131-8 du Code pénal) "
            f"pour une durée de cinq ans, jusqu'au {date_fr(valid_until, 'long')}, et inscrit les postes "
            "ci-dessous sur la liste départementale des travaux d'intérêt général."
        )
    pdf.paragraph(decision, 10.5)
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
