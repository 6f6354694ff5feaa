"""Who may see what in the back office (use these in every back-office view and query).

- ``current_referent()``: the logged-in account (set by the blueprint guard).
- ``require_admin()`` / ``@admin_required``: 403 for a référent who is not a national administrator.
- ``scope_filter(column)``: a SQL condition limiting a query to the référent's départements
  (administrators: no restriction). ``column`` holds a département code.
- ``get_in_scope_or_404(model, id, departement_of)``: load one row, 404 when it does not exist OR
  lies outside the référent's départements (démarches-simplifiées rule: outside your groups, a
  dossier does not exist for you).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TypeVar

import sqlalchemy as sa
from flask import abort, g

from app.extensions import db

M = TypeVar("M")


def current_referent():
    referent = g.get("referent")
    if referent is None:  # only reachable outside the guarded blueprint: a programming error
        abort(401)
    return referent


def require_admin() -> None:
    if not current_referent().is_admin:
        abort(403)


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_admin()
        return view(*args, **kwargs)

    wrapped.admin_only = True  # type: ignore[attr-defined]  # the access tests find admin routes by this mark
    return wrapped


def scope_filter(column, referent=None):
    """``WHERE`` condition: ``column`` (a département code) within the référent's départements."""
    referent = referent or current_referent()
    if referent.is_admin:
        return sa.true()
    codes = referent.departement_codes
    if not codes:
        return sa.false()
    return column.in_(codes)


def in_scope(departements: str | Iterable[str] | None, referent=None) -> bool:
    """Whether the référent covers the département (or any of several départements)."""
    referent = referent or current_referent()
    if referent.is_admin:
        return True
    if departements is None:
        return False
    if isinstance(departements, str):
        departements = [departements]
    return bool(set(departements) & set(referent.departement_codes))


def get_in_scope_or_404(
    model: type[M], object_id: int, departement_of: Callable[[M], str | Iterable[str] | None], referent=None
) -> M:
    """The row of ``model`` with this primary key, or 404 if absent or out of the référent's scope.

    ``departement_of(obj)`` returns the département code (or codes) the row belongs to, e.g.
    ``lambda application: application.departement_code``.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not in_scope(departement_of(obj), referent):
        abort(404)
    return obj
