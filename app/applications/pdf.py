"""PDF documents of applications (fpdf2): a small reusable base and the summary attached to the
confirmation email.

fpdf2's core fonts are latin-1 only: the base uses DejaVu Sans (Debian's ``fonts-dejavu-core``) for
French text with « », œ, € and narrow no-break spaces, and falls back to Helvetica with text
reduced to latin-1 when the font is missing.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from app.applications.documents import documents_by_kind, requirements
from app.applications.process import request_label
from app.applications.steps import BY_KEY, is_shown
from app.applications.validators import format_phone, format_siret
from app.eligibility.engine import SOCIAL_UTILITY_PURPOSES
from app.formatting import date_fr, datetime_fr
from app.territories import departement_label

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BLUE_FRANCE = (0, 0, 145)
GREY = (58, 58, 58)


class BasePDF(FPDF):
    """A4 page with the Ministry heading, page numbers and helpers for headings and label/value lines."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.doc_subtitle = subtitle
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").is_file() and (FONT_DIR / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.set_title(title)
        self.set_author("Ministère de la Justice – ATIGIP")
        self.set_lang("fr")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()
        self.add_page()

    def text_(self, text: str) -> str:
        """Text the current font can print (latin-1 only with the core-font fallback)."""
        text = str(text or "")
        if self.unicode:
            return text
        replacements = {
            "\u202f": " ",
            "\u00a0": " ",
            "’": "'",
            "œ": "oe",
            "Œ": "OE",
            "…": "...",
            "–": "-",
            "—": "-",
            "€": "EUR",
        }
        for old, new in replacements.items():
            text = text.replace(old, new)
        return text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.family, "B", 10)
        self.set_text_color(*BLUE_FRANCE)
        self.cell(0, 5, self.text_("MINISTÈRE DE LA JUSTICE"), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 8)
        self.set_text_color(*GREY)
        self.cell(
            0,
            4,
            self.text_(
                "Agence du travail d'intérêt général et de l'insertion professionnelle (ATIGIP) – TIG Partenaires"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.text_(f"{self.doc_title} – page {self.page_no()} sur {{nb}}"), align="C")
        self.set_text_color(0, 0, 0)

    def title_block(self) -> None:
        self.set_font(self.family, "B", 17)
        self.set_text_color(*BLUE_FRANCE)
        self.multi_cell(0, 8, self.text_(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        if self.doc_subtitle:
            self.set_font(self.family, "", 10)
            self.multi_cell(0, 5, self.text_(self.doc_subtitle), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(2)
        self.set_font(self.family, "B", 12)
        self.set_text_color(*BLUE_FRANCE)
        self.multi_cell(0, 6, self.text_(text), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*BLUE_FRANCE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def subheading(self, text: str) -> None:
        self.set_font(self.family, "B", 10.5)
        self.multi_cell(0, 5.5, self.text_(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def field(self, label: str, value: str | None) -> None:
        """'Label : value' on one or more lines (empty values show « Non renseigné »)."""
        self.set_font(self.family, "B", 9.5)
        self.multi_cell(0, 5, self.text_(label), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9.5)
        self.multi_cell(
            0, 5, self.text_(value if value not in (None, "") else "Non renseigné"), new_x="LMARGIN", new_y="NEXT"
        )
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 9.5, style: str = "", space: float = 2) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(0, size * 0.55, self.text_(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(space)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _yes_no(value: bool | None) -> str:
    return "Non renseigné" if value is None else ("Oui" if value else "Non")


def application_summary_pdf(application) -> bytes:
    """The applicant's answers as submitted (attached to the confirmation email)."""
    reference = application.reference or "brouillon"
    submitted = (
        f"Déposée le {datetime_fr(application.submitted_at)}" if application.submitted_at else "Non encore déposée"
    )
    pdf = BasePDF(
        f"Candidature {reference}",
        f"{request_label(application.structure_type)}. {submitted}.",
    )
    pdf.title_block()

    pdf.heading("1. La structure")
    pdf.field("Nom", application.structure_name)
    pdf.field("Nature", application.structure_type.label if application.structure_type else "")
    pdf.field("Numéro SIRET", format_siret(application.siret))
    if application.rna or (application.structure_type and application.structure_type.value == "association"):
        pdf.field("Numéro RNA", application.rna)
    pdf.field("Adresse", f"{application.address}\n{application.postal_code} {application.commune}")
    pdf.field("Département", departement_label(application.departement_code))

    pdf.heading("2. La personne à contacter")
    pdf.field("Nom et prénom", application.contact_name)
    pdf.field("Fonction", application.contact_role)
    pdf.field("Adresse électronique", application.contact_email)
    pdf.field("Téléphone", format_phone(application.contact_phone))

    if is_shown(application, BY_KEY["ess"]):
        pdf.heading("3. Économie sociale et solidaire et utilité sociale")
        pdf.field("But autre que le seul partage des bénéfices", _yes_no(application.ess_non_profit_purpose))
        pdf.field("Gouvernance démocratique", _yes_no(application.ess_democratic_governance))
        pdf.field("Bénéfices majoritairement réinvestis", _yes_no(application.ess_profits_reinvested))
        pdf.field(
            "Objectifs d'utilité sociale",
            "\n".join(f"– {SOCIAL_UTILITY_PURPOSES.get(k, k)}" for k in application.social_utility or []),
        )
        pdf.field("Explication", application.social_utility_statement)

    pdf.heading(f"Les postes proposés ({len(application.posts)})")
    for number, post in enumerate(application.posts, start=1):
        pdf.subheading(f"Poste {number} : {post.title}")
        pdf.field("Tâches confiées", post.tasks)
        pdf.field("Lieu", post.place)
        pdf.field("Jours et horaires", post.schedule)
        pdf.field(
            "Heures par semaine et places",
            f"{post.hours_per_week} h par semaine, {post.places_count} place{'s' if post.places_count > 1 else ''}",
        )
        features = [
            "accueil de mineurs possible" if post.minors_allowed else "pas d'accueil de mineurs",
            "effort physique" if post.physical_effort else "sans effort physique particulier",
            "accessible aux personnes à mobilité réduite"
            if post.accessible_reduced_mobility
            else "non accessible aux personnes à mobilité réduite",
        ]
        pdf.field("Conditions", ", ".join(features).capitalize())
        if post.constraints_notes:
            pdf.field("Autres contraintes", post.constraints_notes)
        pdf.field("Tuteurs", "\n".join(f"– {line}" for line in post.tutor_lines()))

    grouped = documents_by_kind(application)
    reqs = requirements(application)
    if reqs:
        pdf.heading("Les pièces justificatives")
        for requirement in reqs:
            files = grouped.get(requirement.key, [])
            pdf.field(requirement.label, "\n".join(d.original_filename for d in files) or "Aucun fichier")
    answered = [d for d in application.documents if d.requested_item]
    if answered:
        pdf.heading("Les documents transmis à la demande du référent")
        for document in answered:
            pdf.field(document.requested_item or "", document.original_filename)

    pdf.heading("Et ensuite ?")
    pdf.paragraph(
        "Le référent TIG du département vérifie votre dossier et peut vous demander des compléments. Le directeur du "
        "service pénitentiaire d'insertion et de probation (SPIP) décide, après les avis du procureur de la "
        "République, du juge de l'application des peines et du préfet, au plus tôt un mois après la demande."
    )
    if application.declaration_accepted_at:
        pdf.paragraph(f"Déclaration sur l'honneur acceptée le {date_fr(application.declaration_accepted_at, 'long')}.")
    return pdf.to_bytes()
