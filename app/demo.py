"""Demo data for `make run` (``flask seed-demo``). Each feature adds its loader to LOADERS."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from app.extensions import db

# Each loader adds rows (flush only) and returns lines to print (e.g. demo accounts).
LOADERS: list[Callable[[], list[str]]] = []


def loader(function: Callable[[], list[str]]) -> Callable[[], list[str]]:
    LOADERS.append(function)
    return function


def init_app(app: Flask) -> None:
    # Import the features' demo modules so they register their loaders (order matters: accounts first).
    from app.applications import demo as _applications_demo  # noqa: F401
    from app.auth import demo as _auth_demo  # noqa: F401
    from app.webinars import demo as _webinars_demo  # noqa: F401


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
