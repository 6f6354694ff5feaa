"""Builders for tests (factory functions returning persisted, flushed objects).

One section per feature; add to your own section with a targeted edit.
"""
from __future__ import annotations

# --- accounts (back office) -------------------------------------------------------------------
# make_referent(email=..., name=..., departements=("33",), is_admin=False, password=DEFAULT_PASSWORD,
#               totp_secret=None, is_active=True) -> Referent (flushed; the password is argon2-hashed).
# Log it in with the ``auth`` fixture of tests/conftest.py: ``auth.login_as(referent)``.
DEFAULT_PASSWORD = "mot-de-passe-de-test"
_referent_counter = 0


def make_referent(
    email: str | None = None,
    name: str | None = None,
    departements=("33",),
    is_admin: bool = False,
    password: str | None = DEFAULT_PASSWORD,
    totp_secret: str | None = None,
    is_active: bool = True,
    notify_new_applications: bool = True,
):
    from app.auth.models import Referent, ReferentDepartement
    from app.auth.passwords import hash_password
    from app.extensions import db

    global _referent_counter
    _referent_counter += 1
    referent = Referent(
        email=(email or f"referent{_referent_counter}@justice.fr").lower(),
        name=name or f"Référent de test {_referent_counter}",
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        is_active=is_active,
        totp_secret=totp_secret,
        notify_new_applications=notify_new_applications,
    )
    referent.departements = [ReferentDepartement(departement_code=code) for code in departements]
    db.session.add(referent)
    db.session.flush()
    return referent


# --- webinars ---------------------------------------------------------------------------------

# --- applications -----------------------------------------------------------------------------
