"""``flask referents …`` commands."""

import sqlalchemy as sa

from app.auth.models import Referent
from app.auth.passwords import verify_password
from app.extensions import db


def _get(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(Referent).filter_by(email=email))


def test_create_with_invitation_link(runner):
    result = runner.invoke(
        args=[
            "referents",
            "create",
            "--email",
            "Referent.TIG.24@justice.fr",
            "--name",
            "Dordogne",
            "--departements",
            "33, 24",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : referent.tig.24@justice.fr (référent, départements : 33, 24)." in result.output
    assert "http://127.0.0.1:5000/espace-referent/activer-mon-compte/" in result.output
    referent = _get("referent.tig.24@justice.fr")
    assert referent.departement_codes == ["24", "33"] and referent.password_hash is None and not referent.is_admin


def test_create_admin_with_prompted_password(runner):
    result = runner.invoke(
        args=["referents", "create", "--email", "admin@justice.fr", "--name", "Admin", "--admin", "--password"],
        input="une phrase de passe solide\nune phrase de passe solide\n",
    )
    assert result.exit_code == 0, result.output
    referent = _get("admin@justice.fr")
    assert referent.is_admin and verify_password(referent.password_hash, "une phrase de passe solide")


def test_create_refuses_bad_input(runner):
    assert (
        "département(s) inconnu(s) : 99"
        in runner.invoke(
            args=["referents", "create", "--email", "a@justice.fr", "--name", "A", "--departements", "99"]
        ).output
    )
    result = runner.invoke(args=["referents", "create", "--email", "a@justice.fr", "--name", "A"])
    assert result.exit_code != 0 and "au moins un département" in result.output
    result = runner.invoke(
        args=["referents", "create", "--email", "a@justice.fr", "--name", "A", "--departements", "59", "--password"],
        input="court\ncourt\n",
    )
    assert result.exit_code != 0 and "au moins 12 caractères" in result.output
    runner.invoke(args=["referents", "create", "--email", "b@justice.fr", "--name", "B", "--departements", "59"])
    result = runner.invoke(
        args=["referents", "create", "--email", "B@justice.fr", "--name", "B", "--departements", "59"]
    )
    assert result.exit_code != 0 and "Un compte existe déjà" in result.output


def test_list_deactivate_activate(runner):
    runner.invoke(args=["referents", "create", "--email", "a@justice.fr", "--name", "Alice", "--departements", "2a"])
    listing = runner.invoke(args=["referents", "list"]).output
    assert "a@justice.fr\tAlice\t2A\t(invitation en attente)" in listing
    assert runner.invoke(args=["referents", "deactivate", "a@justice.fr"]).exit_code == 0
    assert _get("a@justice.fr").is_active is False
    assert "désactivé" in runner.invoke(args=["referents", "list"]).output
    assert runner.invoke(args=["referents", "activate", "a@justice.fr"]).exit_code == 0
    assert _get("a@justice.fr").is_active is True
    assert (
        "/espace-referent/activer-mon-compte/" in runner.invoke(args=["referents", "reset-link", "a@justice.fr"]).output
    )
    assert runner.invoke(args=["referents", "deactivate", "inconnu@justice.fr"]).exit_code != 0
