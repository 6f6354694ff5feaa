"""Figures for the back-office dashboard (explicit arguments; the caller passes the scope condition)
and the geometry of its server-side SVG bar chart (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from babel.dates import format_date

from app.applications.models import Application, ApplicationStatus
from app.applications.workflow import OPEN_STATUSES
from app.formatting import LOCALE, paris_to_utc, to_paris

STALE_DAYS = 15


def status_counts(session, scope) -> dict[ApplicationStatus, int]:
    """Submitted applications per status (every status present, zero included; drafts excluded)."""
    rows = session.execute(
        sa.select(Application.status, sa.func.count(Application.id))
        .where(scope, Application.status != ApplicationStatus.DRAFT)
        .group_by(Application.status)
    ).all()
    counts = {status: 0 for status in ApplicationStatus if status is not ApplicationStatus.DRAFT}
    counts.update({status: count for status, count in rows if status is not ApplicationStatus.DRAFT})
    return counts


def stale_applications(session, scope, now: datetime, days: int = STALE_DAYS, limit: int = 10):
    """Open applications unchanged for more than ``days`` days, oldest first: (total, first rows)."""
    condition = sa.and_(
        scope, Application.status.in_(OPEN_STATUSES), Application.status_changed_at < now - timedelta(days=days)
    )
    total = session.scalar(sa.select(sa.func.count(Application.id)).where(condition)) or 0
    rows = session.execute(
        sa.select(
            Application.id,
            Application.reference,
            Application.structure_name,
            Application.departement_code,
            Application.status,
            Application.status_changed_at,
        )
        .where(condition)
        .order_by(Application.status_changed_at.asc(), Application.id.asc())
        .limit(limit)
    ).all()
    return total, rows


def _month_start(day: date, back: int) -> date:
    month_index = day.year * 12 + day.month - 1 - back
    return date(month_index // 12, month_index % 12 + 1, 1)


def monthly_submissions(session, scope, now: datetime, months: int = 12) -> list[tuple[date, int]]:
    """Applications submitted per calendar month (Europe/Paris), the last ``months`` months, oldest first."""
    today = to_paris(now).date()
    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    since = paris_to_utc(datetime.combine(starts[0], time.min))
    submitted = session.scalars(
        sa.select(Application.submitted_at).where(
            scope, Application.status != ApplicationStatus.DRAFT, Application.submitted_at >= since
        )
    ).all()
    counts = dict.fromkeys(starts, 0)
    for value in submitted:
        local = to_paris(value).date()
        key = date(local.year, local.month, 1)
        if key in counts:
            counts[key] += 1
    return [(start, counts[start]) for start in starts]


def month_label(month: date, short: bool = False) -> str:
    """'janvier 2026' or 'janv. 26'."""
    return format_date(month, "MMM yy" if short else "MMMM y", locale=LOCALE)


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    axis_y: float
    gridlines: list[tuple[float, int]]  # (y, value)
    max_value: int


def bar_chart(data: list[tuple[date, int]], width: int = 720, height: int = 260) -> BarChart:
    """Geometry of a vertical bar chart: bars, baseline and a few gridlines with round values."""
    left, right, top, bottom = 40, 10, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    max_value = max([v for _, v in data] + [0])
    step = max(1, -(-max_value // 4))  # about four gridlines
    ceiling = max(step * 4, 1)
    slot = plot_w / max(len(data), 1)
    bars = []
    for index, (month, value) in enumerate(data):
        bar_h = plot_h * value / ceiling
        bars.append(
            Bar(
                label=month_label(month),
                short_label=month_label(month, short=True),
                value=value,
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(top + plot_h - bar_h, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_h, 1),
            )
        )
    gridlines = [(round(top + plot_h - plot_h * (i * step) / ceiling, 1), i * step) for i in range(5)]
    return BarChart(
        width=width, height=height, bars=bars, axis_y=top + plot_h, gridlines=gridlines, max_value=max_value
    )
