"""``flask referents …``: create, list, deactivate and reactivate back-office accounts."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app import territories
from app.auth import services
from app.auth.models import Referent
from app.extensions import db


def _parse_departements(value: str) -> list[str]:
    codes = [territories.normalize_code(part) for part in (value or "").replace(";", ",").split(",") if part.strip()]
    unknown = [code for code in codes if not territories.is_valid_code(code)]
    if unknown:
        raise click.BadParameter(f"département(s) inconnu(s) : {', '.join(unknown)}", param_hint="--departements")
    return codes


@click.group("referents")
def referents() -> None:
    """Comptes de l'espace référent."""


@referents.command("create")
@click.option("--email", required=True, help="Adresse électronique (identifiant de connexion).")
@click.option("--name", required=True, help="Nom et prénom.")
@click.option("--departements", default="", help="Codes séparés par des virgules, par exemple 33,24.")
@click.option("--admin", is_flag=True, help="Administrateur national (tous les départements, gestion des comptes).")
@click.option(
    "--password/--invite",
    "ask_password",
    default=False,
    help="--password : saisir le mot de passe maintenant ; --invite (par défaut) : afficher un lien d'invitation.",
)
@with_appcontext
def create(email: str, name: str, departements: str, admin: bool, ask_password: bool) -> None:
    """Crée un compte (mot de passe saisi, ou lien d'invitation affiché)."""
    from app.auth.notifications import invitation_url

    codes = _parse_departements(departements)
    if not codes and not admin:
        raise click.UsageError("Indiquez au moins un département (--departements 33,24) ou --admin.")
    password = None
    if ask_password:
        password = click.prompt(
            "Mot de passe (12 caractères au moins)", hide_input=True, confirmation_prompt="Confirmez le mot de passe"
        )
    try:
        referent = services.create_referent(email, name, codes, is_admin=admin, password=password)
    except services.AuthError as error:
        raise click.ClickException(str(error)) from error
    url = None if password else invitation_url(referent)
    db.session.commit()
    role = "administrateur national" if admin else "référent"
    click.echo(f"Compte créé : {referent.email} ({role}, départements : {', '.join(codes) or 'aucun'}).")
    if url:
        click.echo(f"Lien pour choisir le mot de passe (à transmettre à la personne) :\n{url}")


@referents.command("list")
@with_appcontext
def list_() -> None:
    """Liste les comptes."""
    for referent in db.session.scalars(sa.select(Referent).order_by(Referent.email)):
        flags = []
        if referent.is_admin:
            flags.append("administrateur")
        if not referent.is_active:
            flags.append("désactivé")
        if not referent.password_hash:
            flags.append("invitation en attente")
        if referent.totp_secret:
            flags.append("double authentification")
        click.echo(
            f"{referent.email}\t{referent.name}\t{','.join(referent.departement_codes) or '-'}"
            + (f"\t({', '.join(flags)})" if flags else "")
        )


def _get(email: str) -> Referent:
    referent = services.find_by_email(email)
    if referent is None:
        raise click.ClickException(f"Aucun compte pour {email}.")
    return referent


@referents.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email: str) -> None:
    """Désactive un compte (il ne peut plus se connecter)."""
    referent = _get(email)
    services.set_active(referent, False)
    db.session.commit()
    click.echo(f"Compte désactivé : {referent.email}")


@referents.command("activate")
@click.argument("email")
@with_appcontext
def activate(email: str) -> None:
    """Réactive un compte."""
    referent = _get(email)
    services.set_active(referent, True)
    db.session.commit()
    click.echo(f"Compte réactivé : {referent.email}")


@referents.command("reset-link")
@click.argument("email")
@with_appcontext
def reset_link(email: str) -> None:
    """Affiche un lien pour choisir un nouveau mot de passe (sans envoyer de courriel)."""
    from app.auth.notifications import invitation_url, reset_url

    referent = _get(email)
    click.echo(reset_url(referent) if referent.password_hash else invitation_url(referent))
