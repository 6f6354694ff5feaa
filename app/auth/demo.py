"""Demo accounts printed by ``flask seed-demo`` (and listed in the README, « Comptes de démonstration »)."""

from __future__ import annotations

from app.auth import services

# (email, name, départements, admin, password, label)
DEMO_ACCOUNTS = [
    (
        "referent.tig.33@justice.fr",
        "Camille Laporte",
        ("33", "24"),
        False,
        "demo-referent-33",
        "Référent Gironde/Dordogne",
    ),
    ("referent.tig.59@justice.fr", "Mehdi Vandamme", ("59",), False, "demo-referent-59", "Référent Nord"),
    ("admin.tig@justice.fr", "Claire Morel", (), True, "demo-admin-national", "Administrateur national"),
]


def load_demo_accounts() -> list[str]:
    lines = []
    for email, name, departements, is_admin, password, label in DEMO_ACCOUNTS:
        if services.find_by_email(email) is None:
            services.create_referent(email, name, departements, is_admin=is_admin, password=password)
        lines.append(f"{label} : {email} / mot de passe {password}")
    return lines
