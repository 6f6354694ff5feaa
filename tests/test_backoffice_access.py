"""The back office is guarded as a whole: walk ``app.url_map`` so routes added later by any feature
are covered without editing this file.

- every ``backoffice.*`` endpoint, every method, sends an anonymous visitor to the login page (with
  ``next`` on GET) and never answers 200;
- every view marked ``@admin_required`` answers 403 to a référent and not 403 to an administrator;
- the access helpers restrict queries and single rows to the référent's départements (404 outside).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.exceptions import Forbidden, NotFound

from app.applications.models import Application
from app.backoffice import access
from tests.factories import make_application, make_referent

SAMPLE_VALUES = {"int": 1, "string": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000", "default": "x"}


def _build(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__.lower().replace("converter", "")
        values[name] = SAMPLE_VALUES.get(converter, "1")
    return rule.build(values)[1]


def backoffice_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("backoffice."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule, method, _build(rule)))
    return routes


def test_the_url_map_has_the_back_office(app):
    endpoints = {rule.endpoint for rule, _method, _url in backoffice_routes(app)}
    assert {"backoffice.dashboard", "backoffice.account", "backoffice.accounts_list"} <= endpoints


def test_every_back_office_route_sends_anonymous_visitors_to_login(app, client):
    for rule, method, url in backoffice_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (rule.endpoint, method, response.status_code)
        location = response.headers["Location"]
        assert location.startswith("/espace-referent/connexion?next="), (rule.endpoint, location)
        if method == "GET":
            assert url.split("?")[0] in location.replace("%2F", "/")


def test_admin_routes_refuse_a_referent_and_admit_an_admin(app, client, auth, db):
    admin_routes = [
        (rule, method, url)
        for rule, method, url in backoffice_routes(app)
        if getattr(app.view_functions[rule.endpoint], "admin_only", False)
    ]
    assert {rule.endpoint for rule, _m, _u in admin_routes} >= {
        "backoffice.accounts_list",
        "backoffice.accounts_invite",
    }
    referent = make_referent(departements=("33",))
    admin = make_referent(is_admin=True, departements=())
    auth.login_as(referent)
    for rule, method, url in admin_routes:
        assert client.open(url, method=method).status_code == 403, (rule.endpoint, method)
    auth.login_as(admin)
    for rule, method, url in admin_routes:
        if method == "GET":
            assert client.open(url, method=method).status_code in (200, 302, 404), rule.endpoint


def test_side_menu_shows_comptes_to_admins_only(client, auth, db):
    auth.login_as(make_referent())
    html = client.get("/espace-referent/").get_data(as_text=True)
    assert 'aria-current="page">Tableau de bord</a>' in html and ">Comptes</a>" not in html
    assert "Se déconnecter" in html
    auth.login_as(make_referent(is_admin=True, departements=()))
    html = client.get("/espace-referent/comptes").get_data(as_text=True)
    assert 'aria-current="page">Comptes</a>' in html


def test_back_office_pages_are_not_cached(client, auth, db):
    auth.login_as(make_referent())
    assert client.get("/espace-referent/").headers["Cache-Control"] == "no-store"


# --- access helpers ---------------------------------------------------------------------------


@pytest.fixture
def two_departements(app, db):
    gironde = make_application(departement_code="33")
    nord = make_application(departement_code="59")
    return gironde, nord


def _visible(db, referent):
    g.referent = referent
    return set(
        db.session.scalars(
            sa.select(Application.departement_code).where(access.scope_filter(Application.departement_code))
        )
    )


def test_scope_filter(app, db, two_departements):
    with app.test_request_context():
        assert _visible(db, make_referent(departements=("33", "24"))) == {"33"}
        assert _visible(db, make_referent(departements=("59",))) == {"59"}
        assert _visible(db, make_referent(departements=())) == set()
        assert _visible(db, make_referent(is_admin=True, departements=())) == {"33", "59"}


def test_get_in_scope_or_404(app, db, two_departements):
    gironde, nord = two_departements
    by_departement = lambda application: application.departement_code  # noqa: E731
    with app.test_request_context():
        g.referent = make_referent(departements=("33",))
        assert access.get_in_scope_or_404(Application, gironde.id, by_departement) is gironde
        with pytest.raises(NotFound):
            access.get_in_scope_or_404(Application, nord.id, by_departement)
        with pytest.raises(NotFound):
            access.get_in_scope_or_404(Application, 99999, by_departement)
        with pytest.raises(Forbidden):
            access.require_admin()
        g.referent = make_referent(is_admin=True, departements=())
        assert access.get_in_scope_or_404(Application, nord.id, by_departement) is nord
        access.require_admin()


def test_in_scope_with_several_departements(app, db):
    with app.test_request_context():
        g.referent = make_referent(departements=("33",))
        assert access.in_scope(["24", "33"]) and not access.in_scope(["59", "62"]) and not access.in_scope(None)


# --- scope on every route carrying an application or webinar id -------------------------------
# Walks the URL map: a route added later with <application_id> or <webinar_id> is covered as well.
SCOPED_ARGUMENTS = {"application_id", "webinar_id", "structure_id"}
# GET routes that answer 404 in scope too while the object is not in the right state.
STATE_DEPENDENT = {"backoffice.application_attestation"}  # only once habilitated


@pytest.fixture
def nord_objects(app, db):
    """An application, a webinar and a structure of the register of the Nord (59), a registration to that
    webinar."""
    from app.webinars import services as webinar_services
    from tests.factories import make_registered, make_registration_data, make_webinar

    application = make_application(departement_code="59")
    structure = make_registered("59")
    webinar = make_webinar(departements=("59",))
    db.session.commit()
    registration = webinar_services.register(webinar.id, make_registration_data(departement_code="59"))
    db.session.commit()
    return {
        "application_id": application.id,
        "webinar_id": webinar.id,
        "registration_id": registration.id,
        "structure_id": structure.id,
    }


def _scoped_routes(app, ids):
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("backoffice.") or not (SCOPED_ARGUMENTS & set(rule.arguments)):
            continue
        values = {name: ids.get(name, 1) if "id" in name else "x" for name in rule.arguments}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule, method, url))
    return routes


def test_every_scoped_route_answers_404_to_a_referent_of_another_departement(app, client, auth, db, nord_objects):
    routes = _scoped_routes(app, nord_objects)
    assert {"backoffice.application_detail", "backoffice.webinar_detail", "backoffice.structure_detail"} <= {
        rule.endpoint for rule, _m, _u in routes
    }
    auth.login_as(make_referent(departements=("33", "24")))
    for rule, method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 404, (rule.endpoint, method, url, response.status_code)


def test_the_same_routes_open_for_the_referent_of_the_departement_and_an_admin(app, client, auth, db, nord_objects):
    """Control for the test above: the 404 comes from the scope, not from a wrong URL."""
    simple_gets = [
        (rule, url)
        for rule, method, url in _scoped_routes(app, nord_objects)
        if method == "GET"
        and set(rule.arguments) <= SCOPED_ARGUMENTS | {"registration_id"}
        and rule.endpoint not in STATE_DEPENDENT
    ]
    assert simple_gets
    for referent in (make_referent(departements=("59",)), make_referent(is_admin=True, departements=())):
        auth.login_as(referent)
        for rule, url in simple_gets:
            status = client.get(url).status_code
            assert status in (200, 302), (rule.endpoint, url, status)
