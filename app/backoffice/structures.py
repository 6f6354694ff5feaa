"""The register of host structures (« Structures d'accueil »): list with filters and search, exports of
the structures and of the « liste départementale des postes de TIG », a structure's page with its
habilitations, posts, applications and history.

Scope: every query goes through ``scope_filter`` and every id through ``get_in_scope_or_404``: a
structure of another département does not exist for the référent (404).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template, request
from sqlalchemy.orm import selectinload

from app.applications.exports import Column, Kind, to_csv, to_xlsx
from app.applications.models import Application
from app.backoffice import bp
from app.backoffice.access import current_referent, get_in_scope_or_404, scope_filter
from app.backoffice.structure_forms import RegisterFilterForm
from app.database import page_number
from app.extensions import db
from app.formatting import to_paris, utcnow
from app.forms import choice_labels
from app.structures.facts import EXPIRING_SOON_MONTHS
from app.structures.listing import (
    EXPIRY_WINDOWS,
    RegisterFilters,
    post_rows,
    register_page,
    structure_rows,
    structure_status,
)
from app.structures.models import HostPost, HostStructure, PostStatus
from app.territories import all_departements

STRUCTURE_COLUMNS = (
    Column("Structure"),
    Column("Type de structure"),
    Column("SIRET"),
    Column("RNA"),
    Column("Adresse"),
    Column("Département"),
    Column("Habilitation"),
    Column("Fin de l'habilitation", Kind.DATE),
    Column("Postes inscrits", Kind.COUNT),
    Column("Postes ouverts aux mineurs", Kind.COUNT),
    Column("Contact"),
    Column("Courriel du contact"),
    Column("Téléphone du contact"),
)
POST_COLUMNS = (
    Column("Département"),
    Column("Structure"),
    Column("SIRET ou RNA"),
    Column("Commune"),
    Column("Habilitation"),
    Column("Fin de l'habilitation", Kind.DATE),
    Column("Poste"),
    Column("Missions"),
    Column("Lieu"),
    Column("Jours et horaires"),
    Column("Heures par semaine", Kind.COUNT),
    Column("Places", Kind.COUNT),
    Column("Mineurs accueillis"),
    Column("Tuteurs"),
    Column("Inscrit le", Kind.DATE),
)


def _scope():
    return scope_filter(HostStructure.departement_code)


def _today():
    return to_paris(utcnow()).date()


def _my_departement_codes() -> list[str]:
    referent = current_referent()
    if referent.is_admin:
        return [d.code for d in all_departements()]
    return referent.departement_codes


def _filters_from_request() -> tuple[RegisterFilterForm, RegisterFilters]:
    form = RegisterFilterForm(_my_departement_codes(), formdata=request.args or None)
    filters = RegisterFilters(page=request.args.get("page", 1, type=page_number))
    if request.args:
        form.validate()
    # Only valid values reach the query; invalid ones are shown next to their field.
    if not form.q.errors:
        filters.q = (form.q.data or "").strip()
    if form.departement.data and not form.departement.errors:
        filters.departement = form.departement.data
    if form.statut.data and not form.statut.errors and form.statut.data in choice_labels(form.statut.choices):
        filters.status = form.statut.data
    if form.expire_dans.data and not form.expire_dans.errors and form.expire_dans.data.isdigit():
        months = int(form.expire_dans.data)
        filters.expiring_within = months if months in EXPIRY_WINDOWS else None
    filters.minors = bool(form.mineurs.data)
    return form, filters


@bp.get("/structures")
def structures_list():
    form, filters = _filters_from_request()
    today = _today()
    page = register_page(db.session, filters, _scope(), today)
    return render_template(
        "backoffice/structures/list.html",
        form=form,
        filters=filters,
        page=page,
        today=today,
        status_of=lambda structure: structure_status(structure, today),
        soon_months=EXPIRING_SOON_MONTHS,
    )


def _download(data: bytes, mimetype: str, name: str):
    response = current_app.response_class(data, mimetype=mimetype)
    if mimetype == "text/csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/structures/export.csv")
def structures_export_csv():
    _form, filters = _filters_from_request()
    rows = structure_rows(db.session, filters, _scope(), _today())
    headers = [column.header for column in STRUCTURE_COLUMNS]
    return _download(to_csv(rows, headers), "text/csv", f"structures-accueil-{_today():%Y-%m-%d}.csv")


@bp.get("/structures/export.xlsx")
def structures_export_xlsx():
    _form, filters = _filters_from_request()
    rows = structure_rows(db.session, filters, _scope(), _today())
    data = to_xlsx(rows, "Structures d'accueil", STRUCTURE_COLUMNS)
    return _download(data, XLSX, f"structures-accueil-{_today():%Y-%m-%d}.xlsx")


@bp.get("/structures/postes.csv")
def structures_posts_csv():
    _form, filters = _filters_from_request()
    rows = post_rows(db.session, filters, _scope(), _today())
    headers = [column.header for column in POST_COLUMNS]
    return _download(to_csv(rows, headers), "text/csv", f"liste-postes-tig-{_today():%Y-%m-%d}.csv")


@bp.get("/structures/postes.xlsx")
def structures_posts_xlsx():
    _form, filters = _filters_from_request()
    rows = post_rows(db.session, filters, _scope(), _today())
    data = to_xlsx(rows, "Liste des postes de TIG", POST_COLUMNS)
    return _download(data, XLSX, f"liste-postes-tig-{_today():%Y-%m-%d}.xlsx")


@bp.get("/structures/<int:structure_id>")
def structure_detail(structure_id: int):
    get_in_scope_or_404(HostStructure, structure_id, lambda structure: structure.departement_code)
    structure = db.session.scalars(
        sa.select(HostStructure)
        .where(HostStructure.id == structure_id)
        .options(
            selectinload(HostStructure.habilitations),
            selectinload(HostStructure.posts).selectinload(HostPost.tutors),
            selectinload(HostStructure.events),
        )
        .execution_options(populate_existing=True)
    ).one()
    application_ids = {event.application_id for event in structure.events if event.application_id}
    applications = (
        db.session.scalars(
            sa.select(Application).where(Application.id.in_(application_ids)).order_by(Application.submitted_at)
        ).all()
        if application_ids
        else []
    )
    today = _today()
    return render_template(
        "backoffice/structures/detail.html",
        structure=structure,
        status=structure_status(structure, today),
        inscribed=structure.posts_with(PostStatus.INSCRIBED),
        removed=structure.posts_with(PostStatus.REMOVED),
        applications=applications,
        events=list(reversed(structure.events)),
    )
