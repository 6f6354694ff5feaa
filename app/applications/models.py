"""Habilitation applications: the draft the wizard fills, then the dossier the référent reviews.

One row from the first step to the decision: a draft (``status=DRAFT``) becomes an application when
it is submitted. The applicant reaches it without an account through ``access_token`` (resume link
while a draft, follow-up page ``/suivi/<token>`` afterwards).
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.antivirus import ScanStatus
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import date_fr, utcnow


def new_token() -> str:
    return secrets.token_urlsafe(32)


class ApplicationStatus(enum.Enum):
    DRAFT = "brouillon"
    SUBMITTED = "deposee"
    IN_REVIEW = "en_instruction"
    WAITING_APPLICANT = "en_attente_demandeur"
    SENT_FOR_DECISION = "transmise"
    APPROVED = "habilitee"
    REFUSED = "refusee"
    CLOSED = "classee_sans_suite"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


STATUS_LABELS = {
    ApplicationStatus.DRAFT: "Brouillon",
    ApplicationStatus.SUBMITTED: "Déposée",
    ApplicationStatus.IN_REVIEW: "En instruction",
    ApplicationStatus.WAITING_APPLICANT: "En attente du demandeur",
    ApplicationStatus.SENT_FOR_DECISION: "Transmise pour avis et décision",
    ApplicationStatus.APPROVED: "Habilitée",
    ApplicationStatus.REFUSED: "Refusée",
    ApplicationStatus.CLOSED: "Classée sans suite",
}
FINAL_STATUSES = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REFUSED, ApplicationStatus.CLOSED})


class EventKind(enum.Enum):
    """What an entry of an application's history records."""

    DRAFT_CREATED = "draft_created"
    SUBMITTED = "submitted"
    EDITED = "edited"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    MESSAGE = "message"
    NOTE = "note"
    DOCUMENT_ADDED = "document_added"
    COMPLEMENTS_REQUESTED = "complements_requested"
    DECISION = "decision"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        """As the référents read it in the back office."""
        return EVENT_LABELS[self]

    @property
    def public_label(self) -> str | None:
        """As the applicant reads it on the follow-up page; None: never shown to the applicant."""
        return PUBLIC_EVENT_LABELS.get(self)


EVENT_LABELS = {
    EventKind.DRAFT_CREATED: "Brouillon créé",
    EventKind.SUBMITTED: "Candidature déposée",
    EventKind.EDITED: "Candidature modifiée par le demandeur",
    EventKind.STATUS_CHANGED: "Changement de statut",
    EventKind.ASSIGNED: "Suivi attribué",
    EventKind.MESSAGE: "Message",
    EventKind.NOTE: "Note interne",
    EventKind.DOCUMENT_ADDED: "Pièce ajoutée",
    EventKind.COMPLEMENTS_REQUESTED: "Demande de compléments",
    EventKind.DECISION: "Décision enregistrée",
    EventKind.REOPENED: "Réouverture",
}
# The private notes of the référents are the only entries the applicant never sees.
PUBLIC_EVENT_LABELS = {
    EventKind.DRAFT_CREATED: "Brouillon créé",
    EventKind.SUBMITTED: "Candidature déposée",
    EventKind.EDITED: "Candidature modifiée",
    EventKind.STATUS_CHANGED: "Changement de statut",
    EventKind.ASSIGNED: "Prise en charge",
    EventKind.MESSAGE: "Message",
    EventKind.DOCUMENT_ADDED: "Document ajouté",
    EventKind.COMPLEMENTS_REQUESTED: "Compléments demandés",
    EventKind.DECISION: "Décision",
    EventKind.REOPENED: "Candidature rouverte",
}


def _enum(enum_class: type[enum.Enum], length: int = 40) -> sa.Enum:
    return sa.Enum(enum_class, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


# What the queue's search compares (app/applications/queue.py writes the same expressions).
SEARCH_INDEXES = {
    "name": "lower(structure_name)",
    "siret": "siret",
    "rna": "rna",
    "reference": "upper(reference)",
}

# The trigram operator classes of the search indexes (created by the migrations too).
sa.event.listen(
    db.metadata,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # The référents' queue (app/applications/queue.py), bounded counts and pages in index order:
        # a tab of a département, newest first ("Nouvelles", "En attente", "Traitées")…
        sa.Index("ix_applications_departement_status_submitted", "departement_code", "status", "submitted_at", "id"),
        # … all of a département newest first ("Toutes")…
        sa.Index("ix_applications_departement_submitted", "departement_code", "submitted_at", "id"),
        # … and a référent's own open applications ("Suivies par moi"; also serves the foreign key).
        sa.Index(
            "ix_applications_assigned_status", "assigned_referent_id", "status", "departement_code", "submitted_at"
        ),
        sa.Index("ix_applications_status_submitted", "status", "submitted_at"),
        # The queue's text search ("contains" on name, SIRET, RNA, reference), PostgreSQL only:
        # trigram indexes (pg_trgm) serve LIKE '%…%', so a search reads the matching rows only.
        *(
            sa.Index(
                f"ix_applications_search_{name}", sa.text(f"{expression} gin_trgm_ops"), postgresql_using="gin"
            ).ddl_if(dialect="postgresql")
            for name, expression in SEARCH_INDEXES.items()
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public reference, set at submission: TIG-<year>-<id on 6 digits>.
    reference: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True
    )
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Private link of the applicant (resume the draft, then follow the application).
    access_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)

    # Wizard progress (drafts).
    current_step: Mapped[int] = mapped_column(default=1)
    draft_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    draft_reminder_sent_at: Mapped[datetime | None]
    # Raw answers of a step left with errors ("Étape précédente" never loses input): {step_key: {...}}.
    draft_answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    # Eligibility as evaluated at submission (regime id and path), for the référent.
    eligibility_regime: Mapped[str | None] = mapped_column(sa.String(40))
    eligibility_path: Mapped[str | None] = mapped_column(sa.String(40))

    # Step 1: the structure.
    structure_type: Mapped[StructureType | None] = mapped_column(_enum(StructureType))
    structure_name: Mapped[str] = mapped_column(sa.String(300), default="", index=True)
    siret: Mapped[str | None] = mapped_column(sa.String(14), index=True)
    rna: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(5), default="")
    commune: Mapped[str] = mapped_column(sa.String(200), default="")
    departement_code: Mapped[str | None] = mapped_column(sa.String(3))  # indexed in __table_args__
    # What the Annuaire des entreprises said of the structure when step 1 was saved or a référent refreshed
    # it (source, identifier, date, facts, fields the answers took from it): app/applications/registry_check.py.
    registry_check: Mapped[dict | None] = mapped_column(sa.JSON)
    # The declared type or département contradicts that answer (flagged in the référents' queue).
    registry_mismatch: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    # Step 2: the contact person.
    contact_last_name: Mapped[str] = mapped_column(sa.String(150), default="")
    contact_first_name: Mapped[str] = mapped_column(sa.String(150), default="")
    contact_role: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(320), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")  # E.164

    # Step 3: ESS conditions and social utility (only for the types concerned).
    ess_non_profit_purpose: Mapped[bool | None]
    ess_democratic_governance: Mapped[bool | None]
    ess_profits_reinvested: Mapped[bool | None]
    social_utility: Mapped[list] = mapped_column(sa.JSON, default=list)  # keys of the art. 2 purposes
    social_utility_statement: Mapped[str] = mapped_column(sa.Text, default="")

    # Step 7: declaration and submission.
    declaration_accepted_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)

    # Review (back office).
    # Indexed by ix_applications_assigned_status (above).
    assigned_referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    # The decision as the authority took it, recorded by the référent with « Habiliter » (the attestation
    # prints these, not the moment the decision was typed): its date and author, and the dates of the
    # opinions that preceded it (none for an opinion not given).
    decision_date: Mapped[date | None]
    decision_authority: Mapped[str | None] = mapped_column(sa.String(300))
    prosecutor_opinion_on: Mapped[date | None]
    jap_opinion_on: Mapped[date | None]
    prefect_opinion_on: Mapped[date | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    posts: Mapped[list[ApplicationPost]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationPost.position"
    )
    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationDocument.uploaded_at"
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationEvent.id"
    )
    messages: Mapped[list[ApplicationMessage]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationMessage.id"
    )
    notes: Mapped[list[ApplicationNote]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationNote.id"
    )
    assigned_referent = relationship("Referent", foreign_keys=[assigned_referent_id])
    decided_by = relationship("Referent", foreign_keys=[decided_by_id])

    @property
    def is_draft(self) -> bool:
        return self.status is ApplicationStatus.DRAFT

    @property
    def editable_by_applicant(self) -> bool:
        """The applicant may still change answers until a référent takes the application."""
        return self.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Application {self.id} {self.reference or 'brouillon'} {self.status.value}>"


class TutoredPost:
    """What a post with tutors shows of them: here, and on the posts of the register (app/structures)."""

    if TYPE_CHECKING:  # declared by the mapped classes that use it
        tutors: list

    def tutor_lines(self, with_birth: bool = True) -> list[str]:
        """One line per tutor, as pages and PDFs show them: « Paul Durand, Jardinier, né(e) le 14 mars 1980
        à Bordeaux » (what the applicant gave); without the birth, for the attestation handed out."""
        return [tutor.describe(with_birth) for tutor in self.tutors]


class DescribedTutor:
    """A tutor's identity in one line: here, and for the posts of the register (app/structures)."""

    if TYPE_CHECKING:  # declared by the mapped classes that use it
        first_name: str
        last_name: str
        role: str
        birth_date: date | None
        birth_place: str

    def describe(self, with_birth: bool = True) -> str:
        """« Paul Durand, Jardinier, né(e) le 14 mars 1980 à Bordeaux »; without the birth if asked."""
        name = f"{self.first_name} {self.last_name}".strip()
        parts = [part for part in (name, (self.role or "").strip()) if part]
        if not with_birth:
            return ", ".join(parts)
        birth = f"le {date_fr(self.birth_date, 'long')}" if self.birth_date else ""
        if self.birth_place:
            birth = f"{birth} à {self.birth_place}".strip()
        if birth:
            parts.append(f"né(e) {birth}")
        return ", ".join(parts)


class ApplicationPost(TutoredPost, db.Model):
    """A post offered to people in TIG (to be inscribed on the départemental list)."""

    __tablename__ = "application_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    tasks: Mapped[str] = mapped_column(sa.Text, default="")
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    schedule: Mapped[str] = mapped_column(sa.String(300), default="")  # days and hours, free text
    hours_per_week: Mapped[int] = mapped_column(default=0)
    places_count: Mapped[int] = mapped_column(default=1)
    minors_allowed: Mapped[bool] = mapped_column(default=False)
    physical_effort: Mapped[bool] = mapped_column(default=False)
    accessible_reduced_mobility: Mapped[bool] = mapped_column(default=False)
    constraints_notes: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[Application] = relationship(back_populates="posts")
    tutors: Mapped[list[ApplicationTutor]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="ApplicationTutor.position"
    )


class ApplicationTutor(DescribedTutor, db.Model):
    """A person who supervises the people in TIG on a post. Name, role and birth are asked for the
    inscription of the post on the départemental list (the date and commune of birth may be given later)."""

    __tablename__ = "application_tutors"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("application_posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    last_name: Mapped[str] = mapped_column(sa.String(150))
    first_name: Mapped[str] = mapped_column(sa.String(150))
    role: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date | None]
    birth_place: Mapped[str] = mapped_column(sa.String(150), default="")

    post: Mapped[ApplicationPost] = relationship(back_populates="tutors")


class DocumentSource(enum.Enum):
    APPLICANT = "demandeur"
    REFERENT = "referent"


class ApplicationDocument(db.Model):
    """An uploaded file, stored under a random key (app/storage.py), never served publicly; served to
    those allowed only once its antivirus scan allows it (app/applications/uploads.py)."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    # Requirement key (see app/eligibility/documents.py) or "piece_jointe" for a message attachment.
    kind: Mapped[str] = mapped_column(sa.String(60))
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[DocumentSource] = mapped_column(_enum(DocumentSource, 10), default=DocumentSource.APPLICANT)
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("application_messages.id", ondelete="SET NULL"), index=True
    )
    # The item of a complements request this file answers, as the référent named it (« Procès-verbal de
    # la dernière assemblée générale »): the document keeps that name everywhere it is shown.
    requested_item: Mapped[str | None] = mapped_column(sa.String(500))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Antivirus (app/antivirus.py): pending → clean | infected | error; not_scanned while it is disabled.
    scan_status: Mapped[ScanStatus] = mapped_column(_enum(ScanStatus, 20), default=ScanStatus.PENDING, index=True)
    scan_detail: Mapped[str] = mapped_column(sa.String(300), default="")  # signature found, error, PDF cleaning
    scanned_at: Mapped[datetime | None]

    application: Mapped[Application] = relationship(back_populates="documents")
    message: Mapped[ApplicationMessage | None] = relationship(back_populates="attachments")


class ApplicationEvent(db.Model):
    """History: every action on an application, with its author and time."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    from_status: Mapped[ApplicationStatus | None] = mapped_column(_enum(ApplicationStatus))
    to_status: Mapped[ApplicationStatus | None] = mapped_column(_enum(ApplicationStatus))
    actor_referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(200))  # "Le demandeur", a référent's name, "Système"
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    application: Mapped[Application] = relationship(back_populates="events")
    actor_referent = relationship("Referent")


class MessageAuthor(enum.Enum):
    APPLICANT = "demandeur"
    REFERENT = "referent"


class ApplicationMessage(db.Model):
    """A message between the applicant and the référent(s) (not private: see ApplicationNote)."""

    __tablename__ = "application_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[MessageAuthor] = mapped_column(_enum(MessageAuthor, 10))
    referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    # "Demander des compléments": the list of missing items, shown to the applicant as a checklist.
    requested_items: Mapped[list | None] = mapped_column(sa.JSON)

    application: Mapped[Application] = relationship(back_populates="messages")
    referent = relationship("Referent")
    attachments: Mapped[list[ApplicationDocument]] = relationship(back_populates="message")


class ApplicationNote(db.Model):
    """A private note of the référents, never shown to the applicant."""

    __tablename__ = "application_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(sa.Text)

    application: Mapped[Application] = relationship(back_populates="notes")
    referent = relationship("Referent")
