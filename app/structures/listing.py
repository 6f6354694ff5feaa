"""The register as the back office lists and exports it: filters, search, pages, and the rows of the
two exports (the structures, and the « liste départementale des postes de TIG »).

Explicit arguments only: the caller passes the scope condition (``scope_filter(HostStructure.
departement_code)``) and the day the statuses are computed for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.applications.queue import page_window
from app.applications.validators import format_phone
from app.structures.facts import EXPIRING_SOON_MONTHS, add_months
from app.structures.models import (
    HostPost,
    HostStructure,
    PostStatus,
    Standing,
    StructureStatus,
    can_host_condition,
    status_condition,
    status_on,
)
from app.territories import departement_label

PER_PAGE = 25
# « Expire dans les … mois »: the choices of the filter.
EXPIRY_WINDOWS = (1, 2, 3, 6, 12)


@dataclass
class RegisterFilters:
    q: str = ""
    departement: str = ""
    status: str = ""  # a StructureStatus value
    expiring_within: int | None = None  # months
    minors: bool = False  # only structures with at least one inscribed post open to minors
    page: int = 1

    def query_args(self, **changes) -> dict:
        """URL arguments reproducing these filters (pagination, exports): the filter form's field names."""
        values = {
            "q": self.q,
            "departement": self.departement,
            "statut": self.status,
            "expire_dans": self.expiring_within or "",
            "mineurs": "oui" if self.minors else "",
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass
class RegisterPage:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1

    def window(self) -> list[int | None]:
        return page_window(self.page, self.pages)


def _inscribed(minors_only: bool = False):
    """SQL: the structure has an inscribed post (open to minors if asked); on an alias of the posts, so
    that it holds inside a query of the posts too."""
    post = aliased(HostPost)
    conditions = [post.structure_id == HostStructure.id, post.status == PostStatus.INSCRIBED]
    if minors_only:
        conditions.append(post.minors_allowed.is_(True))
    return sa.exists().where(*conditions)


def conditions(filters: RegisterFilters, scope, today: date) -> list:
    result = [
        scope,
        # A public body is in the register once it has posts inscribed.
        sa.or_(HostStructure.standing != Standing.BY_RIGHT, _inscribed()),
    ]
    if filters.departement:
        result.append(HostStructure.departement_code == filters.departement)
    if filters.status:
        result.append(status_condition(StructureStatus(filters.status), today, EXPIRING_SOON_MONTHS))
    if filters.expiring_within:
        result.append(HostStructure.standing == Standing.HABILITATED)
        result.append(HostStructure.habilitation_ends_on >= today)
        result.append(HostStructure.habilitation_ends_on <= add_months(today, filters.expiring_within))
    if filters.minors:
        result.append(_inscribed(minors_only=True))
    text = " ".join(filters.q.split())
    if text:
        compact = text.replace(" ", "").upper()
        result.append(
            sa.or_(
                sa.func.lower(HostStructure.name).contains(text.lower(), autoescape=True),
                sa.func.lower(HostStructure.commune).contains(text.lower(), autoescape=True),
                HostStructure.siret == compact,
                HostStructure.rna == compact,
            )
        )
    return result


def _posts_count(*conditions):
    return (
        sa.select(sa.func.count(HostPost.id))
        .where(HostPost.structure_id == HostStructure.id, HostPost.status == PostStatus.INSCRIBED, *conditions)
        .correlate(HostStructure)
        .scalar_subquery()
    )


def register_select(filters: RegisterFilters, scope, today: date):
    """The structures (soonest end first, then by name) with their counts of inscribed posts."""
    return (
        sa.select(
            HostStructure,
            _posts_count().label("posts_count"),
            _posts_count(HostPost.minors_allowed.is_(True)).label("minors_posts_count"),
        )
        .where(*conditions(filters, scope, today))
        .order_by(HostStructure.habilitation_ends_on.is_(None), HostStructure.habilitation_ends_on, HostStructure.name)
    )


def register_page(session, filters: RegisterFilters, scope, today: date, per_page: int = PER_PAGE) -> RegisterPage:
    total = session.scalar(sa.select(sa.func.count(HostStructure.id)).where(*conditions(filters, scope, today))) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    rows = session.execute(register_select(filters, scope, today).limit(per_page).offset((page - 1) * per_page)).all()
    return RegisterPage(rows=rows, total=total, page=page, pages=pages)


# --- exports -----------------------------------------------------------------------------------------


def structure_status(structure: HostStructure, today: date) -> StructureStatus:
    return status_on(structure.standing, structure.habilitation_ends_on, today, EXPIRING_SOON_MONTHS)


def structure_rows(session, filters: RegisterFilters, scope, today: date) -> list[list]:
    """The filtered register, one row per structure (see ``STRUCTURE_COLUMNS`` in the back office)."""
    rows = []
    for structure, posts_count, minors_count in session.execute(register_select(filters, scope, today)):
        rows.append(
            [
                structure.name,
                structure.structure_type.label,
                structure.siret or "",
                structure.rna or "",
                f"{structure.address}, {structure.postal_code} {structure.commune}".strip(" ,"),
                departement_label(structure.departement_code),
                structure_status(structure, today).label,
                structure.habilitation_ends_on,
                int(posts_count or 0),
                int(minors_count or 0),
                structure.contact_name,
                structure.contact_email,
                format_phone(structure.contact_phone),
            ]
        )
    return rows


def post_rows(session, filters: RegisterFilters, scope, today: date) -> list[list]:
    """The « liste départementale des postes de TIG »: the posts inscribed for the structures that may
    host today (valid, expiring soon, or habilitated by right) within the filters, by département,
    structure and post."""
    select = (
        sa.select(HostPost)
        .join(HostStructure, HostPost.structure_id == HostStructure.id)
        .where(
            HostPost.status == PostStatus.INSCRIBED,
            can_host_condition(today),
            *conditions(filters, scope, today),
        )
        .options(selectinload(HostPost.tutors), selectinload(HostPost.structure))
        .order_by(HostStructure.departement_code, HostStructure.name, HostPost.position, HostPost.id)
    )
    rows = []
    for post in session.scalars(select):
        structure = post.structure
        rows.append(
            [
                departement_label(structure.departement_code),
                structure.name,
                structure.siret or structure.rna or "",
                structure.commune,
                structure_status(structure, today).label,
                structure.habilitation_ends_on,
                post.title,
                post.tasks,
                post.place,
                post.schedule,
                post.hours_per_week,
                post.places_count,
                "Oui" if post.minors_allowed else "Non",
                " ; ".join(post.tutor_lines(with_birth=False)),
                post.inscribed_on,
            ]
        )
    return rows
