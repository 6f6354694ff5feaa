"""French DSFR error pages; JSON for /healthz-like API callers is not needed elsewhere."""

import logging

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Requête incorrecte",
        "La demande envoyée n'a pas pu être comprise. Revenez à la page précédente et réessayez.",
    ),
    403: ("Accès refusé", "Vous n'avez pas l'autorisation d'accéder à cette page."),
    404: ("Page non trouvée", "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée."),
    405: (
        "Méthode non autorisée",
        "Cette page ne peut pas être utilisée de cette façon. Revenez à la page précédente.",
    ),
    413: (
        "Fichier trop volumineux",
        "L'envoi dépasse la taille autorisée. Réduisez la taille de vos fichiers ({max_mb} Mo au plus chacun) et réessayez.",
    ),
    429: (
        "Trop de demandes",
        "Vous avez fait trop de demandes en peu de temps. Patientez quelques minutes puis réessayez.",
    ),
    500: (
        "Erreur inattendue",
        "Une erreur s'est produite de notre côté. Nos équipes en sont informées. Réessayez dans quelques instants.",
    ),
    503: (
        "Service momentanément indisponible",
        "Le site rencontre une difficulté technique temporaire. Réessayez dans quelques minutes.",
    ),
}


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    if code == 413:  # the limit comes from the configuration, not from the text
        default_message = default_message.format(max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024))
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            "Le formulaire a expiré ou n'a pas pu être vérifié. Rechargez la page puis envoyez-le de nouveau.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        db.session.rollback()
        log.error("Base de données indisponible : %s", error)
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        log.exception("Erreur inattendue")
        return render_error(500)
