"""The register of host structures: each structure, its habilitations (five years, renewable, or
withdrawn), its posts on the départemental list, and its history.

A public body is habilitated by right: it has no habilitation, only posts. A structure's standing
(``Standing``) and the end of its current habilitation are kept on its row so that the register's
lists and filters are plain SQL; what that means on a given day (valid, expiring soon, expired…)
is ``StructureStatus``, computed by ``status_on`` here and by ``status_condition`` in SQL.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.applications.models import Application, DescribedTutor, TutoredPost, _enum
from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import utcnow
from app.structures.facts import add_months


class Standing(enum.Enum):
    """What the register holds about a structure's right to host, whatever the day."""

    HABILITATED = "habilitee"  # by a decision, until ``habilitation_ends_on``
    WITHDRAWN = "retiree"  # its last habilitation was withdrawn
    BY_RIGHT = "de_droit"  # a public body: habilitated by right, only its posts are inscribed


class StructureStatus(enum.Enum):
    """A structure's status on a given day, as the register shows it."""

    VALID = "valide"
    EXPIRING = "expire_bientot"
    EXPIRED = "expiree"
    WITHDRAWN = "retiree"
    BY_RIGHT = "de_droit"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def can_host(self) -> bool:
        """Whether the structure may host people in TIG (and ask for posts) on that day."""
        return self in (StructureStatus.VALID, StructureStatus.EXPIRING, StructureStatus.BY_RIGHT)


STATUS_LABELS = {
    StructureStatus.VALID: "Valide",
    StructureStatus.EXPIRING: "Expire bientôt",
    StructureStatus.EXPIRED: "Expirée",
    StructureStatus.WITHDRAWN: "Retirée",
    StructureStatus.BY_RIGHT: "Habilitée de droit",
}


class PostStatus(enum.Enum):
    REQUESTED = "demande"
    INSCRIBED = "inscrit"
    REMOVED = "radie"

    @property
    def label(self) -> str:
        return {"demande": "Demandé", "inscrit": "Inscrit", "radie": "Radié"}[self.value]


class StructureEventKind(enum.Enum):
    """What an entry of a structure's history records."""

    REGISTERED = "registered"
    HABILITATED = "habilitated"
    RENEWED = "renewed"
    POSTS_INSCRIBED_BY_RIGHT = "posts_inscribed_by_right"
    DECISION_CANCELLED = "decision_cancelled"
    WITHDRAWN = "withdrawn"
    POST_INSCRIBED = "post_inscribed"
    POST_UPDATED = "post_updated"
    POST_REMOVED = "post_removed"
    MIGRATED = "migrated"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    StructureEventKind.REGISTERED: "Entrée au registre",
    StructureEventKind.HABILITATED: "Habilitation accordée",
    StructureEventKind.RENEWED: "Habilitation renouvelée",
    StructureEventKind.POSTS_INSCRIBED_BY_RIGHT: "Postes inscrits (habilitée de droit)",
    StructureEventKind.DECISION_CANCELLED: "Décision annulée (candidature rouverte)",
    StructureEventKind.WITHDRAWN: "Habilitation retirée",
    StructureEventKind.POST_INSCRIBED: "Poste inscrit",
    StructureEventKind.POST_UPDATED: "Poste mis à jour",
    StructureEventKind.POST_REMOVED: "Poste radié",
    StructureEventKind.MIGRATED: "Reprise d'une décision enregistrée avant le registre",
}


def _siret_or_rna_unique(column: str) -> sa.Index:
    # One structure per SIRET (an establishment) and per RNA (an association) in a département: a new
    # decision for the same identifier extends that record.
    condition = sa.text(f"{column} IS NOT NULL")
    return sa.Index(
        f"uq_host_structures_departement_{column}",
        "departement_code",
        column,
        unique=True,
        sqlite_where=condition,
        postgresql_where=condition,
    )


class HostStructure(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    __tablename__ = "host_structures"
    __table_args__ = (
        _siret_or_rna_unique("siret"),
        _siret_or_rna_unique("rna"),
        # The register's list: a département's structures by standing and end of habilitation.
        sa.Index("ix_host_structures_departement_standing", "departement_code", "standing", "habilitation_ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    structure_type: Mapped[StructureType] = mapped_column(_enum(StructureType))
    siret: Mapped[str | None] = mapped_column(sa.String(14))
    rna: Mapped[str | None] = mapped_column(sa.String(10))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(5), default="")
    commune: Mapped[str] = mapped_column(sa.String(200), default="")
    departement_code: Mapped[str] = mapped_column(sa.String(3))

    # The person the register writes to (reminders, post requests): from the last decided application.
    contact_last_name: Mapped[str] = mapped_column(sa.String(150), default="")
    contact_first_name: Mapped[str] = mapped_column(sa.String(150), default="")
    contact_role: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(320), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")

    standing: Mapped[Standing] = mapped_column(_enum(Standing, 20))
    # End of the current habilitation (None for a public body).
    habilitation_ends_on: Mapped[date | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    habilitations: Mapped[list[Habilitation]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", order_by="(Habilitation.starts_on, Habilitation.id)"
    )
    posts: Mapped[list[HostPost]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", order_by="(HostPost.position, HostPost.id)"
    )
    events: Mapped[list[StructureEvent]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", order_by="StructureEvent.id"
    )

    @property
    def is_public_body(self) -> bool:
        return self.structure_type is StructureType.PUBLIC_BODY

    @property
    def contact_name(self) -> str:
        return f"{self.contact_first_name} {self.contact_last_name}".strip()

    @property
    def current_habilitation(self) -> Habilitation | None:
        """The latest habilitation (a renewal decided before the end starts when the previous one ends)."""
        return self.habilitations[-1] if self.habilitations else None

    def status_on(self, today: date, soon_months: int) -> StructureStatus:
        return status_on(self.standing, self.habilitation_ends_on, today, soon_months)

    def posts_with(self, *statuses: PostStatus) -> list[HostPost]:
        return [post for post in self.posts if post.status in statuses]

    @property
    def inscribed_posts(self) -> list[HostPost]:
        return self.posts_with(PostStatus.INSCRIBED)

    def __repr__(self) -> str:  # pragma: no cover
        return f"<HostStructure {self.id} {self.name} {self.departement_code}>"


def status_on(standing: Standing, ends_on: date | None, today: date, soon_months: int) -> StructureStatus:
    """A structure's status on ``today``; « expire bientôt » within ``soon_months`` of the end (included)."""
    if standing is Standing.BY_RIGHT:
        return StructureStatus.BY_RIGHT
    if standing is Standing.WITHDRAWN:
        return StructureStatus.WITHDRAWN
    if ends_on is None or ends_on < today:
        return StructureStatus.EXPIRED
    if ends_on <= add_months(today, soon_months):
        return StructureStatus.EXPIRING
    return StructureStatus.VALID


def status_condition(status: StructureStatus, today: date, soon_months: int):
    """The SQL condition on ``host_structures`` equivalent to ``status_on(...) is status``."""
    standing, ends_on = HostStructure.standing, HostStructure.habilitation_ends_on
    soon = add_months(today, soon_months)
    habilitated = standing == Standing.HABILITATED
    return {
        StructureStatus.BY_RIGHT: standing == Standing.BY_RIGHT,
        StructureStatus.WITHDRAWN: standing == Standing.WITHDRAWN,
        StructureStatus.EXPIRED: sa.and_(habilitated, sa.or_(ends_on.is_(None), ends_on < today)),
        StructureStatus.EXPIRING: sa.and_(habilitated, ends_on >= today, ends_on <= soon),
        StructureStatus.VALID: sa.and_(habilitated, ends_on > soon),
    }[status]


def can_host_condition(today: date):
    """SQL: the structures that may host today (valid, expiring soon, or habilitated by right)."""
    return sa.or_(
        HostStructure.standing == Standing.BY_RIGHT,
        sa.and_(HostStructure.standing == Standing.HABILITATED, HostStructure.habilitation_ends_on >= today),
    )


class Habilitation(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    """One habilitation of a structure, granted by an application's « Habiliter » decision (whose
    facts — date, authority, opinions — are on that application), for five years; renewed by a new
    habilitation of the same structure; ended early by its withdrawal."""

    __tablename__ = "habilitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(sa.ForeignKey("host_structures.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="SET NULL"), unique=True
    )
    is_renewal: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[date]
    ends_on: Mapped[date] = mapped_column(index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))

    # Withdrawal (« Retirer l'habilitation »): by the authority that granted it, with its reason.
    withdrawn_on: Mapped[date | None]
    withdrawal_authority: Mapped[str | None] = mapped_column(sa.String(300))
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawal_recorded_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))

    structure: Mapped[HostStructure] = relationship(back_populates="habilitations")
    application: Mapped[Application | None] = relationship()
    recorded_by = relationship("Referent", foreign_keys=[recorded_by_id])
    withdrawn_by = relationship("Referent", foreign_keys=[withdrawn_by_id])

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None


class HostPost(TutoredPost, db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    """A post of the départemental list of TIG posts: requested, inscribed, or removed (radié)."""

    __tablename__ = "host_posts"
    __table_args__ = (sa.Index("ix_host_posts_structure_status", "structure_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(sa.ForeignKey("host_structures.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    tasks: Mapped[str] = mapped_column(sa.Text, default="")
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    schedule: Mapped[str] = mapped_column(sa.String(300), default="")
    hours_per_week: Mapped[int] = mapped_column(default=0)
    places_count: Mapped[int] = mapped_column(default=1)
    minors_allowed: Mapped[bool] = mapped_column(default=False)
    physical_effort: Mapped[bool] = mapped_column(default=False)
    accessible_reduced_mobility: Mapped[bool] = mapped_column(default=False)
    constraints_notes: Mapped[str] = mapped_column(sa.Text, default="")

    status: Mapped[PostStatus] = mapped_column(_enum(PostStatus, 10))
    requested_on: Mapped[date | None]
    inscribed_on: Mapped[date | None]
    removed_on: Mapped[date | None]
    removal_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The application whose decision inscribed it.
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    structure: Mapped[HostStructure] = relationship(back_populates="posts")
    tutors: Mapped[list[HostTutor]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="HostTutor.position"
    )


class HostTutor(DescribedTutor, db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    """A tutor of a post of the list (same identity as asked in the wizard)."""

    __tablename__ = "host_tutors"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("host_posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    last_name: Mapped[str] = mapped_column(sa.String(150))
    first_name: Mapped[str] = mapped_column(sa.String(150))
    role: Mapped[str] = mapped_column(sa.String(200))
    birth_date: Mapped[date | None]
    birth_place: Mapped[str] = mapped_column(sa.String(150), default="")

    post: Mapped[HostPost] = relationship(back_populates="tutors")


class StructureEvent(db.Model):  # type: ignore[name-defined]  # Flask-SQLAlchemy builds db.Model at run time
    """History of a structure: who did what, when, and why."""

    __tablename__ = "structure_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(sa.ForeignKey("host_structures.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[StructureEventKind] = mapped_column(_enum(StructureEventKind))
    actor_referent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referents.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(200))  # a référent's name, "La structure", "Système"
    detail: Mapped[str] = mapped_column(sa.Text, default="")  # what
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id", ondelete="SET NULL"))

    structure: Mapped[HostStructure] = relationship(back_populates="events")
    application: Mapped[Application | None] = relationship()
