"""Information webinars and their registrations.

Invariants held by the database as well as by the services:
- one active (not cancelled) registration per webinar and lower-cased email: partial unique index;
- never more confirmed registrations than seats: services take the write lock, then recount.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.eligibility.structures import StructureType
from app.extensions import db
from app.formatting import utcnow
from app.territories import departement_label


def _values(enum_class):
    return [member.value for member in enum_class]


class WebinarStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"scheduled": "Programmé", "cancelled": "Annulé"}[self.value]


class RegistrationStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"confirmed": "Inscription confirmée", "waiting": "Liste d'attente", "cancelled": "Annulée"}[self.value]

    @property
    def short_label(self) -> str:
        return {"confirmed": "Confirmée", "waiting": "En attente", "cancelled": "Annulée"}[self.value]


def new_ics_uid() -> str:
    return f"webinaire-{uuid.uuid4()}@tig-partenaires.justice.fr"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def place_label(region: str | None, departement_codes: list[str]) -> str:
    """'Région Nouvelle-Aquitaine', '33 – Gironde, 24 – Dordogne' or 'National'."""
    if region:
        return f"Région {region}"
    if not departement_codes:
        return "National (tous départements)"
    return ", ".join(departement_label(code) for code in departement_codes)


class Webinar(db.Model):
    __tablename__ = "webinars"
    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)  # naive UTC
    duration_minutes: Mapped[int] = mapped_column(default=90)
    capacity: Mapped[int]
    registration_deadline: Mapped[datetime]  # naive UTC
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    organiser_name: Mapped[str] = mapped_column(sa.String(200))
    organiser_email: Mapped[str] = mapped_column(sa.String(320))
    hosts: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    # A regional webinar names its region and lists its départements (for scope queries);
    # a départemental one lists its départements only; a national one lists none.
    region: Mapped[str | None] = mapped_column(sa.String(100))
    join_url: Mapped[str] = mapped_column(sa.String(500), default="")  # never shown publicly
    status: Mapped[WebinarStatus] = mapped_column(
        sa.Enum(WebinarStatus, native_enum=False, length=10, values_callable=_values),
        default=WebinarStatus.SCHEDULED,
        index=True,
    )
    ics_uid: Mapped[str] = mapped_column(sa.String(200), unique=True, default=new_ics_uid)
    ics_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="webinar", cascade="all, delete-orphan", order_by="Registration.id"
    )
    departements: Mapped[list[WebinarDepartement]] = relationship(
        back_populates="webinar", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status is WebinarStatus.CANCELLED

    def has_started(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.starts_at

    def is_past(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at

    def registration_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return not self.is_cancelled and now < self.registration_deadline and now < self.starts_at

    @property
    def departement_codes(self) -> list[str]:
        return sorted(d.departement_code for d in self.departements)

    def set_departement_codes(self, codes: list[str] | tuple) -> None:
        wanted = set(codes)
        self.departements = [d for d in self.departements if d.departement_code in wanted] + [
            WebinarDepartement(departement_code=code) for code in sorted(wanted - set(self.departement_codes))
        ]

    @property
    def place_label(self) -> str:
        return place_label(self.region, self.departement_codes)

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Webinar {self.id} {self.title!r}>"


class WebinarDepartement(db.Model):
    """The départements a webinar is for (queryable scope of the back office)."""

    __tablename__ = "webinar_departements"

    webinar_id: Mapped[int] = mapped_column(sa.ForeignKey("webinars.id", ondelete="CASCADE"), primary_key=True)
    departement_code: Mapped[str] = mapped_column(sa.String(3), primary_key=True, index=True)

    webinar: Mapped[Webinar] = relationship(back_populates="departements")


class Registration(db.Model):
    __tablename__ = "webinar_registrations"
    __table_args__ = (
        sa.Index(
            "uq_webinar_registrations_active_email",
            "webinar_id",
            "email_normalized",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_webinar_registrations_queue", "webinar_id", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(sa.ForeignKey("webinars.id", ondelete="CASCADE"), index=True)
    last_name: Mapped[str] = mapped_column(sa.String(100))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320), index=True)
    structure_name: Mapped[str] = mapped_column(sa.String(200))
    structure_type: Mapped[StructureType] = mapped_column(
        sa.Enum(StructureType, native_enum=False, length=40, values_callable=_values)
    )
    departement_code: Mapped[str] = mapped_column(sa.String(3))
    role: Mapped[str] = mapped_column(sa.String(150))
    question: Mapped[str] = mapped_column(sa.Text, default="")
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[RegistrationStatus] = mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=10, values_callable=_values), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    join_link_sent_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Personal data erased WEBINAR_RETENTION_DAYS after the webinar (app/webinars/jobs.py).
    anonymised_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    webinar: Mapped[Webinar] = relationship(back_populates="registrations")

    # Set by services.register(): the waiting-list position just given, so that the confirmation
    # page does not count the list again while the seat lock is held. Not a column.
    position_at_registration = cast(int | None, None)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:
        return self.status is not RegistrationStatus.CANCELLED

    @property
    def waiting_position(self) -> int | None:
        """1 for the first person waiting (arrival order: created_at, then id)."""
        if self.status is not RegistrationStatus.WAITING:
            return None
        ahead = db.session.scalar(
            _waiting_ahead_query(), {"webinar_id": self.webinar_id, "created_at": self.created_at, "id": self.id}
        )
        return ahead + 1

    @staticmethod
    @cache
    def waiting_position_column():
        """``waiting_position`` as a column (people waiting ahead + 1), to read with the registration in one
        query; meaningful only for a registration that is waiting. Built once: it is not cheap to build."""
        return (_people_waiting_ahead(Registration.webinar_id, Registration.created_at, Registration.id) + 1).label(
            "waiting_position"
        )

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Registration {self.id} {self.email_normalized} {self.status.value}>"


@cache
def _waiting_ahead_query():
    params = (sa.bindparam("webinar_id"), sa.bindparam("created_at"), sa.bindparam("id"))
    return sa.select(_people_waiting_ahead(*params))


def _people_waiting_ahead(webinar_id, created_at, registration_id):
    """How many people wait before this place in the list of the webinar (values or columns)."""
    ahead = sa.orm.aliased(Registration)
    return (
        sa.select(sa.func.count(ahead.id))
        .where(
            ahead.webinar_id == webinar_id,
            ahead.status == RegistrationStatus.WAITING,
            sa.or_(ahead.created_at < created_at, sa.and_(ahead.created_at == created_at, ahead.id < registration_id)),
        )
        .scalar_subquery()
    )
