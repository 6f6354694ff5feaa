"""Demo data for `make run` (``flask seed-demo``): each feature's loader, in the order they depend on
each other (accounts first: the demo applications are followed by the demo référents)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from app.applications.demo import load_demo_applications
from app.auth.demo import load_demo_accounts
from app.extensions import db
from app.structures.demo import load_demo_register
from app.webinars.demo import load_demo_webinars

# Each loader adds rows (flush only) and returns lines to print (e.g. demo accounts).
LOADERS: tuple[Callable[[], list[str]], ...] = (
    load_demo_accounts,
    load_demo_webinars,
    load_demo_applications,
    load_demo_register,
)


def database_is_empty() -> bool:
    """True when no table holds a row (a fresh database just migrated)."""
    return all(
        db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0 for table in db.metadata.sorted_tables
    )


def load_all() -> list[str]:
    lines: list[str] = []
    for function in LOADERS:
        lines.extend(function() or [])
        db.session.flush()
    return lines
