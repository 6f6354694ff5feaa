from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/espace-referent")
