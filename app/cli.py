"""Flask commands: demo data, outbox delivery, worker, jobs."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from app import backup, demo, privacy, storage_cli
from app.auth.cli import referents
from app.extensions import db
from app.jobs import JOBS, run_due_jobs
from app.mail.outbox import deliver_pending


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(outbox)
    app.cli.add_command(worker)
    app.cli.add_command(jobs)
    app.cli.add_command(referents)
    backup.init_app(app)
    privacy.init_app(app)
    storage_cli.init_app(app)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des données.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Charge les données de démonstration (webinaires, comptes, candidatures)."""
    if current_app.config["ENVIRONMENT"] == "production":
        # The demo accounts' passwords are printed in the README: in production they would open the back office.
        raise click.ClickException(
            "flask seed-demo est refusé en production : les comptes de démonstration ont des mots de passe publiés "
            "dans le README. Créez les vrais comptes avec « flask referents create »."
        )

    if if_empty and not demo.database_is_empty():
        click.echo("Base déjà remplie : données de démonstration non chargées.")
        return
    lines = demo.load_all()
    db.session.commit()
    click.echo("Données de démonstration chargées.")
    for line in lines:
        click.echo(f"  {line}")


@click.group("outbox")
def outbox() -> None:
    """Courriels en attente d'envoi."""


@outbox.command("deliver")
@with_appcontext
def outbox_deliver() -> None:
    """Envoie une fois les courriels dus."""

    total = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = deliver_pending()
        for key in total:
            total[key] += counts[key]
        if sum(counts.values()) == 0:
            break
    click.echo(f"Envoyés : {total['sent']}, reportés : {total['retry']}, en échec : {total['failed']}")


@click.group("jobs")
def jobs() -> None:
    """Tâches périodiques."""


@jobs.command("run")
@with_appcontext
def jobs_run() -> None:
    """Exécute une fois les tâches dues (lien de connexion, rappels...)."""

    results = run_due_jobs()
    for name in JOBS:
        click.echo(f"{name} : {results.get(name, 0)}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Un seul passage puis arrêt.")
@click.option("--interval", type=int, default=None, help="Secondes entre deux passages.")
@with_appcontext
def worker(once: bool, interval: int | None) -> None:
    """Boucle : exécute les tâches dues puis envoie les courriels."""

    interval = interval or current_app.config["WORKER_INTERVAL_SECONDS"]
    click.echo(f"Worker démarré (passage toutes les {interval} s).")
    while True:
        try:
            run_due_jobs()
            while sum(deliver_pending().values()):
                pass
        except sa.exc.OperationalError as error:  # database briefly unreachable: try again later
            db.session.rollback()
            current_app.logger.error("Worker : base de données indisponible (%s)", error)
        finally:
            db.session.remove()
        if once:
            break
        time.sleep(interval)
