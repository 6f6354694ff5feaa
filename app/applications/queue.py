"""The référents' queue of applications: tabs, filters, search, sorting, pagination.

Explicit arguments only: the caller passes the scope condition (``scope_filter(Application.
departement_code)`` from the back office) and the current référent's id. A page costs a fixed number
of queries whatever its size: the tab counts in one query, the total in one, the rows (only the
columns shown, with the assigned référent's name joined) in one. Counting is bounded too: the counts
stop at ``COUNT_CAP`` (shown « plus de 1 000 »), so a page costs the same with 100 or 100,000
applications (the ``(departement_code, status, submitted_at, id)`` index serves both the counts and
the default order). A text search is run once per page (``with_search_done``): the counts, the total
and the rows then read the applications it found by primary key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.applications.models import FINAL_STATUSES, Application, ApplicationMessage, ApplicationStatus
from app.applications.workflow import OPEN_STATUSES
from app.auth.models import Referent
from app.eligibility.structures import StructureType
from app.formatting import paris_to_utc

PER_PAGE = 25
# Counts stop there: « plus de 1 000 » instead of reading 50,000 index entries to print an exact number.
COUNT_CAP = 1000

TABS = (
    ("nouvelles", "Nouvelles"),
    ("suivies", "Suivies par moi"),
    ("en-attente", "En attente du demandeur"),
    ("traitees", "Traitées"),
    ("toutes", "Toutes"),
)
TAB_LABELS = dict(TABS)
DEFAULT_TAB = "nouvelles"

SORTS = (
    ("recentes", "Date de dépôt, plus récentes d'abord"),
    ("anciennes", "Date de dépôt, plus anciennes d'abord"),
    ("nom", "Nom de la structure (A à Z)"),
    ("statut", "Statut"),
)
DEFAULT_SORT = "recentes"

# Statuses in workflow order, for sorting by status.
STATUS_ORDER = [s for s in ApplicationStatus if s is not ApplicationStatus.DRAFT]


@dataclass
class QueueFilters:
    tab: str = DEFAULT_TAB
    departement: str = ""
    structure_type: str = ""
    status: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    # The ids of the applications the text search found under the other filters and the scope, once it
    # has run (``with_search_done``); None: not run, the search is a condition of each query.
    matching: tuple[int, ...] | None = None

    def query_args(self, **changes) -> dict:
        """URL arguments reproducing these filters (for tabs, sorting, pagination and exports): the names of
        the filter form's fields, which reads them back."""
        values = {
            "onglet": self.tab,
            "departement": self.departement,
            "type_structure": self.structure_type,
            "statut": self.status,
            "du": self.submitted_from.isoformat() if self.submitted_from else "",
            "au": self.submitted_to.isoformat() if self.submitted_to else "",
            "q": self.q,
            "tri": self.sort,
            "page": self.page,
        }
        values.update(changes)
        defaults = {"onglet": DEFAULT_TAB, "tri": DEFAULT_SORT, "page": 1}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


@dataclass
class QueuePage:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    per_page: int = PER_PAGE
    # More than ``total`` applications match (the count stopped there): ``pages`` is then the number of
    # pages known to exist, not the last one.
    capped: bool = False
    count_cap: int = COUNT_CAP

    def window(self) -> list[int | None]:
        return page_window(self.page, self.pages, open_ended=self.capped)


def tab_condition(tab: str, referent_id: int):
    if tab == "nouvelles":
        return Application.status == ApplicationStatus.SUBMITTED
    if tab == "suivies":
        return sa.and_(Application.assigned_referent_id == referent_id, Application.status.in_(OPEN_STATUSES))
    if tab == "en-attente":
        return Application.status == ApplicationStatus.WAITING_APPLICANT
    if tab == "traitees":
        return Application.status.in_(FINAL_STATUSES)
    return sa.true()


def _start_of_day_utc(day: date) -> datetime:
    return paris_to_utc(datetime.combine(day, time.min))


def filter_conditions(filters: QueueFilters, scope) -> list:
    """Everything but the tab: scope, drafts excluded, filters and search."""
    conditions = [scope, Application.status != ApplicationStatus.DRAFT, Application.submitted_at.is_not(None)]
    if filters.departement:
        conditions.append(Application.departement_code == filters.departement)
    if filters.structure_type:
        conditions.append(Application.structure_type == StructureType(filters.structure_type))
    if filters.status:
        conditions.append(Application.status == ApplicationStatus(filters.status))
    if filters.submitted_from:
        conditions.append(Application.submitted_at >= _start_of_day_utc(filters.submitted_from))
    if filters.submitted_to:
        conditions.append(Application.submitted_at < _start_of_day_utc(filters.submitted_to + timedelta(days=1)))
    if filters.matching is not None:
        conditions.append(Application.id.in_(filters.matching))
    elif text := search_text(filters):
        conditions.append(text_condition(text))
    return conditions


def search_text(filters: QueueFilters) -> str:
    return " ".join(filters.q.split())


def text_condition(text: str):
    """The applications whose name, SIRET, RNA or reference contains ``text`` (« contains » served by
    a trigram index on PostgreSQL, see ``models.SEARCH_INDEXES``). A column is searched only if the text
    can occur in it: a SIRET is 14 digits, an RNA number W and 9 capitals or digits, a reference « TIG- »,
    a year, a dash and a number (``submission.make_reference``). A whole SIRET, RNA number or reference is
    looked up as such, in its column's own index. Numbers are compared without their spaces."""
    compact = text.replace(" ", "").upper()
    found = [sa.func.lower(Application.structure_name).contains(text.lower(), autoescape=True)]
    if re.fullmatch(r"[0-9]{14}", compact):
        found.append(Application.siret == compact)
    elif re.fullmatch(r"[0-9]{1,13}", compact):
        found.append(Application.siret.contains(compact, autoescape=True))
    if re.fullmatch(r"W[A-Z0-9]{9}", compact):
        found.append(Application.rna == compact)
    elif re.fullmatch(r"[A-Z0-9]{1,9}", compact):
        found.append(Application.rna.contains(compact, autoescape=True))
    if re.fullmatch(r"TIG-[0-9]{4}-[0-9]{6,}", compact):
        found.append(Application.reference == compact)
    elif re.fullmatch(r"[TIG0-9-]+", compact):
        found.append(sa.func.upper(Application.reference).contains(compact, autoescape=True))
    return sa.or_(*found)


def with_search_done(session, filters: QueueFilters, scope, cap: int = COUNT_CAP) -> QueueFilters:
    """``filters`` with its text search run once, under the other filters and the scope: the tab counts,
    the total and the page then read the applications found by primary key instead of searching four
    columns again in each of their seven subqueries. A search that finds more than ``cap`` applications
    stays a condition of each query (their counts stop at the cap anyway)."""
    if filters.matching is not None or not search_text(filters):
        return filters
    found = session.scalars(sa.select(Application.id).where(*filter_conditions(filters, scope)).limit(cap + 1)).all()
    if len(found) > cap:
        return filters
    return dataclasses.replace(filters, matching=tuple(found))


def bounded_count(conditions: list, cap: int):
    """``count(*)`` of the applications matching ``conditions``, stopping at ``cap + 1`` (a scalar
    subquery): reads at most ``cap + 1`` index entries however many applications match."""
    matching = sa.select(Application.id).where(*conditions).limit(cap + 1).subquery()
    return sa.select(sa.func.count()).select_from(matching).scalar_subquery()


def tab_counts(session, filters: QueueFilters, scope, referent_id: int, cap: int = COUNT_CAP) -> dict[str, int]:
    """The count of each tab under the current filters, in one query; a count above ``cap`` is
    ``cap + 1`` (shown « plus de 1 000 »)."""
    conditions = filter_conditions(filters, scope)
    columns = [bounded_count([*conditions, tab_condition(key, referent_id)], cap).label(key) for key, _ in TABS]
    row = session.execute(sa.select(*columns)).one()
    return {key: int(row._mapping[key] or 0) for key, _ in TABS}


def _order_by(sort: str) -> list:
    if sort == "anciennes":
        return [Application.submitted_at.asc(), Application.id.asc()]
    if sort == "nom":
        return [sa.func.lower(Application.structure_name).asc(), Application.id.asc()]
    if sort == "statut":
        order = sa.case(*[(Application.status == s, i) for i, s in enumerate(STATUS_ORDER)], else_=len(STATUS_ORDER))
        return [order.asc(), Application.submitted_at.desc(), Application.id.desc()]
    return [Application.submitted_at.desc(), Application.id.desc()]


ROW_COLUMNS = (
    Application.id,
    Application.reference,
    Application.structure_name,
    Application.structure_type,
    Application.siret,
    Application.rna,
    Application.departement_code,
    Application.status,
    Application.submitted_at,
    Application.status_changed_at,
    Application.assigned_referent_id,
    Application.registry_mismatch,
)


def _last_message_author():
    """Who wrote last (applicant or référent), to flag the applications awaiting an answer."""
    return (
        sa.select(ApplicationMessage.author)
        .where(ApplicationMessage.application_id == Application.id)
        .order_by(ApplicationMessage.id.desc())
        .limit(1)
        .correlate(Application)
        .scalar_subquery()
        .label("last_message_author")
    )


def queue_select(filters: QueueFilters, scope, referent_id: int, *extra_columns):
    return (
        sa.select(*ROW_COLUMNS, Referent.name.label("assigned_name"), _last_message_author(), *extra_columns)
        .outerjoin(Referent, Application.assigned_referent_id == Referent.id)
        .where(*filter_conditions(filters, scope), tab_condition(filters.tab, referent_id))
        .order_by(*_order_by(filters.sort))
    )


def queue_page(
    session, filters: QueueFilters, scope, referent_id: int, per_page: int = PER_PAGE, cap: int = COUNT_CAP
) -> QueuePage:
    """One page of the queue. The total is counted up to ``cap`` applications, or far enough to know
    the two pages after the one asked for: beyond that the page says « plus de … » and the
    pagination has no last page."""
    requested = max(1, filters.page)
    cap = max(cap, (requested + 2) * per_page)
    conditions = [*filter_conditions(filters, scope), tab_condition(filters.tab, referent_id)]
    total = session.scalar(sa.select(bounded_count(conditions, cap))) or 0
    capped = total > cap
    if capped:
        total = cap
        pages = -(-(cap + 1) // per_page)
    else:
        pages = max(1, -(-total // per_page))
    page = min(requested, pages)
    rows = session.execute(
        queue_select(filters, scope, referent_id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return QueuePage(rows=rows, total=total, page=page, pages=pages, per_page=per_page, capped=capped)


def page_window(page: int, pages: int, radius: int = 2, open_ended: bool = False) -> list[int | None]:
    """Page numbers to show around the current one, ``None`` for an ellipsis: [1, None, 4, 5, 6, None, 12].
    ``open_ended``: ``pages`` is not the last page (the count stopped), so it isn't shown and the
    window ends with an ellipsis: [1, None, 4, 5, 6, None]."""
    last = min(pages, page + radius)
    shown = {1, *range(max(1, page - radius), last + 1)}
    if not open_ended:
        shown.add(pages)
    result: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            result.append(None)
        result.append(number)
        previous = number
    if open_ended:
        result.append(None)
    return result
