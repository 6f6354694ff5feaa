"""Nothing typed is ever lost, over every form of the site (public and back office).

The forms are found where people find them: the pages of the site (public pages, a draft's wizard steps,
a follow-up page, a registration, the back office logged in as an administrator) are crawled and each
``<form method="post">`` is read. Every POST endpoint of the URL map must be met that way.

- Validation failure: each form is sent with every field filled (markers for text, a valid choice for
  lists, boxes ticked), one field at a time left empty; whenever the page comes back (200) with errors,
  every other value is still in it — typed texts, chosen options, ticked boxes.
- Lost session (CSRF token refused): a form sent with a wrong token changes nothing in the database;
  either the blanket check answers 400 (forms with nothing typed, or behind the back-office login), or
  the form comes back with every value and a French message (the wizard and the public forms).

A copy of a demo database is used and restored after every post, so that no form's success changes
what the next one finds.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from collections import deque
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app import create_app
from app.extensions import db
from config import TestingConfig
from tests.formfuzz import post_forms
from tests.test_security_routes import KEEP_ON_LOST_SESSION  # a lost session gives the values back

# Endpoints whose forms hold nothing typed (a button): a refused token gives the 400 page, which is right.
BUTTONS_ONLY = {
    "auth.logout",
    "backoffice.application_take",
    "backoffice.application_registry_refresh",  # shown only with lookups on (off in these tests)
    "backoffice.accounts_deactivate",
    "backoffice.accounts_reactivate",
    "backoffice.accounts_reset_totp",
    "backoffice.accounts_resend_invitation",
    "backoffice.totp_disable",
    "backoffice.webinar_send_join_link",
    "backoffice.webinar_promote",
    "backoffice.webinar_promote_next",
    "backoffice.webinar_resend_invite",
    "webinars.cancel",
}
# Reached only in the middle of a login with a second factor (tests/test_auth.py covers its form).
NOT_CRAWLED = {"auth.login_code"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A demo database and its pristine copy; an app on it."""
    folder = tmp_path_factory.mktemp("formes")
    path = folder / "site.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", UPLOAD_FOLDER=str(folder / "up"))
    with app.app_context():
        db.create_all()
        from app import demo

        demo.load_all()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    pristine = folder / "pristine.sqlite3"
    _checkpoint(path)
    shutil.copy(path, pristine)
    return app, path, pristine


def _checkpoint(path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _restore(app, path, pristine) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.copy(pristine, path)


def _fingerprint(app, path) -> str:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    _checkpoint(path)
    with sqlite3.connect(path) as connection:
        return hashlib.sha256("\n".join(connection.iterdump()).encode()).hexdigest()


def _login_as_admin(app, client) -> None:
    from app.auth.models import Referent
    from app.auth.session import start_session

    with app.app_context():
        admin = db.session.scalar(sa.select(Referent).where(Referent.is_admin.is_(True)).limit(1))
        with client.session_transaction() as session:
            start_session(session, admin)
        db.session.remove()


def _seeds(app) -> list[str]:
    from app.applications.models import Application
    from app.webinars.models import Registration, RegistrationStatus

    with app.app_context():
        urls = [
            "/",
            "/candidature",
            "/webinaires",
            "/espace-referent/connexion",
            "/espace-referent/mot-de-passe-oublie",
        ]
        draft = db.session.scalar(sa.select(Application).filter_by(access_token="demo-brouillon"))
        urls += [f"/candidature/demo-brouillon/etape/{n}" for n in range(1, 8)]
        urls += ["/suivi/demo-en-attente", "/suivi/demo-deposee"]
        registration = db.session.scalar(
            sa.select(Registration).filter_by(status=RegistrationStatus.CONFIRMED).limit(1)
        )
        urls += [f"/inscription/{registration.token}", f"/inscription/{registration.token}/annuler"]
        from app.auth.models import Referent
        from app.auth.notifications import invitation_url, reset_url

        with app.test_request_context():
            someone = db.session.scalar(sa.select(Referent).limit(1))
            urls += [urlsplit(reset_url(someone)).path, urlsplit(invitation_url(someone)).path]
        assert draft is not None
        db.session.remove()
    return urls


def _back_office_seeds(app) -> list[str]:
    """The complements request of an application under review (its button is a form of the detail page)."""
    from app.applications.models import Application, ApplicationStatus

    with app.app_context():
        ids = db.session.scalars(
            sa.select(Application.id).where(Application.status == ApplicationStatus.IN_REVIEW)
        ).all()
        db.session.remove()
    return [f"/espace-referent/candidatures/{i}/complements" for i in ids]


def _endpoint(app, url: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method="POST")[0]
    except Exception:  # noqa: BLE001  not a POST address
        return None


def _crawl(app, client, seeds: list[str], budget: int) -> dict[str, tuple[str, dict]]:
    """{POST endpoint: (page URL, form)} — the first form met for each endpoint."""
    found: dict[str, tuple[str, dict]] = {}
    seen: set = set()
    queue = deque(seeds)
    while queue and len(seen) < budget:
        url = queue.popleft()
        shape = re.sub(r"\d+", "N", urlsplit(url).path)
        if url in seen or (shape in seen and url not in seeds) or "deconnexion" in url:
            continue
        seen.update({url, shape})
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        for form in post_forms(page):
            action = unescape(form["action"] or urlsplit(url).path)
            endpoint = _endpoint(app, action)
            if endpoint and endpoint not in found:
                found[endpoint] = (action, form)
        for link in re.findall(r'href="(/[^"#]*)"', page):
            href = unescape(link)
            if not re.search(r"\.(ics|pdf|csv|xlsx|css|js|svg|png|ico)(\?|$)|/dsfr/|/static/", href):
                queue.append(href)
    return found


@pytest.fixture(scope="module")
def forms(site):
    app, path, pristine = site
    public = _crawl(app, app.test_client(), _seeds(app), budget=120)
    client = app.test_client()
    _login_as_admin(app, client)
    back = _crawl(app, client, ["/espace-referent/", *_back_office_seeds(app)], budget=200)
    return {**public, **back}


def _is_back_office(endpoint: str) -> bool:
    return endpoint.startswith("backoffice.")


def test_every_post_endpoint_has_a_form_somewhere(site, forms):
    app, _path, _pristine = site
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    # Buttons with nothing typed may be out of reach of the demo data (e.g. « Réactiver »).
    assert sorted(posts - set(forms) - NOT_CRAWLED - BUTTONS_ONLY) == []


MARK = "Saisie-{}-é"


def _filled(form: dict) -> dict:
    """Every field filled: a marker in texts, a valid choice in lists, boxes ticked."""
    data = dict(form["hidden"])
    for name, field in form["fields"].items():
        if field.kind in ("file", "password"):
            continue
        if field.kind == "select":
            options = [o for o in field.options if o]
            if options:
                data[name] = options[-1]
        elif field.kind in ("radio",):
            data[name] = field.options[-1]
        elif field.kind == "checkbox":
            data[name] = field.options
        elif field.kind == "email":
            data[name] = f"saisie.{re.sub(r'[^a-z0-9]', '', name.lower())}@exemple.fr"
        elif field.kind == "date":
            data[name] = "2026-03-14"
        elif field.kind == "number":
            data[name] = "7"
        else:
            data[name] = MARK.format(name)
    return data


def _kept(page: str, form: dict, data: dict, skip: str) -> list[str]:
    """The values of ``data`` missing from the form of ``page`` (as values, selections, ticks)."""
    lost = []
    shown = post_forms(page)
    text = unescape(page)
    for name, field in form["fields"].items():
        if name == skip or name not in data or field.kind in ("file", "password", "hidden"):
            continue
        value = data[name]
        if field.kind in ("select", "radio", "checkbox"):
            values = value if isinstance(value, list) else [value]
            for raw in values:
                v = str(escape(raw))
                pattern = (
                    rf'<option[^>]*selected[^>]*value="{re.escape(v)}"|<option[^>]*value="{re.escape(v)}"[^>]*selected'
                    if field.kind == "select"
                    else rf'<input[^>]*name="{re.escape(name)}"[^>]*value="{re.escape(v)}"[^>]*checked|<input[^>]*checked[^>]*name="{re.escape(name)}"[^>]*value="{re.escape(v)}"'
                )
                if not re.search(pattern, page):
                    lost.append(f"{name}={raw}")
        elif value not in text:
            lost.append(f"{name}={value}")
    assert shown, "the form is shown back"
    return lost


def test_a_form_sent_back_for_correction_keeps_every_value(site, forms):
    app, path, pristine = site
    lost: dict[str, list[str]] = {}
    checked = 0
    for endpoint, (action, form) in sorted(forms.items()):
        if endpoint in BUTTONS_ONLY:
            continue
        fillable = [n for n, f in form["fields"].items() if f.kind not in ("file", "password")]
        for blank in fillable:
            _restore(app, path, pristine)
            client = app.test_client()
            if _is_back_office(endpoint):
                _login_as_admin(app, client)
            data = _filled(form)
            data[blank] = [] if form["fields"][blank].kind == "checkbox" else ""
            response = client.post(action, data=data)
            assert response.status_code < 500, (endpoint, blank)
            if response.status_code != 200:
                continue  # accepted without this field (optional), or refused as a whole
            checked += 1
            missing = _kept(response.get_data(as_text=True), form, data, skip=blank)
            if missing:
                lost[f"{endpoint} (sans {blank})"] = missing
    _restore(app, path, pristine)
    assert checked >= 30, checked
    assert lost == {}


def test_a_lost_session_changes_nothing_and_the_applicants_keep_what_they_typed(site, forms):
    app, path, pristine = site
    app.config["WTF_CSRF_ENABLED"] = True
    problems = {}
    try:
        for endpoint, (action, form) in sorted(forms.items()):
            _restore(app, path, pristine)
            before = _fingerprint(app, path)
            client = app.test_client()
            if _is_back_office(endpoint):
                _login_as_admin(app, client)
            data = {**_filled(form), "csrf_token": "jeton-perdu"}
            response = client.post(action, data=data)
            after = _fingerprint(app, path)
            if after != before:
                problems[endpoint] = "la base a changé"
            page = response.get_data(as_text=True)
            if endpoint in KEEP_ON_LOST_SESSION:
                if response.status_code != 200:
                    problems[endpoint] = f"{response.status_code} au lieu de la page reprise"
                    continue
                missing = _kept(page, form, data, skip="csrf_token")
                said = unescape(page)
                if missing:
                    problems[endpoint] = f"saisie perdue : {missing}"
                elif "expiré" not in said and "pas encore enregistrées" not in said:
                    problems[endpoint] = "aucun message en français"
            elif response.status_code not in (400, 302):
                problems[endpoint] = f"{response.status_code} (attendu : 400)"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
        _restore(app, path, pristine)
    assert problems == {}


# --- the wizard, step by step ------------------------------------------------------------------------------


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _new_browser(app):
    """A client without cookies. The tests run inside one application context, whose ``g`` would keep
    the form token of the previous client: forget it, as a new request of a real server would."""
    from flask import g

    g.pop("csrf_token", None)
    return app.test_client()


def test_wizard_steps_survive_a_lost_session_then_save_in_one_click(app, db):
    """Browser restarted with its tabs restored: the session cookie (and its form token) is gone, the
    draft's private link still works. Each step comes back with every value and a French notice, nothing
    saved; one click on the page as shown saves it."""
    from tests.test_application_wizard import CONTACT, POST, STRUCTURE, application, start

    token = start(app.test_client())
    app.config["WTF_CSRF_ENABLED"] = True
    steps = [
        (1, STRUCTURE, ["Les Jardins partagés", "12 rue des Lilas", "W331234567"], "/etape/2"),
        (2, CONTACT, ["Martin", "Présidente", "jeanne.martin@exemple.fr"], "/etape/3"),
        (3, POST, ["Entretien des espaces verts", "Jardin partagé, Bordeaux", "Durand"], "/etape/4"),
    ]
    for number, data, typed, next_step in steps:

        def saved(a=None):
            a = application(token)
            return (a.current_step, a.structure_name, a.contact_last_name, len(a.posts), a.draft_answers)

        before = saved()
        fresh = _new_browser(app)  # no cookie at all: as after the browser was closed
        response = fresh.post(f"/candidature/{token}/etape/{number}", data={**data, "action": "continuer"})
        page = unescape(response.get_data(as_text=True))
        assert response.status_code == 200, number
        assert "Vos réponses ne sont pas encore enregistrées" in page
        assert "Requête incorrecte" not in page and 'id="resume-erreurs"' not in page
        for value in typed:
            assert value in page, (number, value)
        assert saved() == before, "nothing saved"
        again = fresh.post(
            f"/candidature/{token}/etape/{number}",
            data={**data, "action": "continuer", "csrf_token": _csrf_token(response.get_data(as_text=True))},
        )
        assert again.status_code == 302, (
            number,
            re.findall(r"fr-message--error[^>]*>([^<]*)<", again.get_data(as_text=True)),
        )
        assert again.location.endswith(next_step), number


def test_the_declaration_survives_a_lost_session(app, db):
    from tests.test_application_wizard import application, complete_association, start

    client = app.test_client()
    token = start(client)
    complete_association(client, token)
    app.config["WTF_CSRF_ENABLED"] = True
    fresh = _new_browser(app)
    response = fresh.post(f"/candidature/{token}/etape/6", data={"accept": "y"})
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "cliquez sur « Envoyer ma candidature »" in page
    assert re.search(r'<input[^>]*checked[^>]*name="accept"|<input[^>]*name="accept"[^>]*checked', page)
    assert application(token).is_draft
    sent = fresh.post(f"/candidature/{token}/etape/6", data={"accept": "y", "csrf_token": _csrf_token(page)})
    assert sent.status_code == 302 and sent.location.endswith("/confirmation")


def test_resume_link_in_another_browser_shows_saved_answers_without_errors(app, db):
    """Answers left with errors (then « Étape précédente ») come back as typed, without an error summary
    nor « Le formulaire a expiré », in a browser that never saw the draft."""
    from tests.test_application_wizard import CONTACT, STRUCTURE, post_step, start

    client = app.test_client()
    token = start(client)
    post_step(client, token, 1, STRUCTURE)
    post_step(client, token, 2, {**CONTACT, "contact_phone": "12", "contact_role": ""}, action="precedent")
    app.config["WTF_CSRF_ENABLED"] = True
    other = _new_browser(app)
    resumed = other.get(f"/candidature/reprendre/{token}", follow_redirects=True)
    page = unescape(resumed.get_data(as_text=True))
    assert resumed.request.path.endswith("/etape/2")
    assert 'value="12"' in page and 'value="Martin"' in page
    assert 'id="resume-erreurs"' not in page and "expiré" not in page and "<title>Erreur" not in page
    sent = other.post(
        f"/candidature/{token}/etape/2",
        data={
            **CONTACT,
            "contact_phone": "12",
            "contact_role": "",
            "action": "continuer",
            "csrf_token": _csrf_token(page),
        },
    )
    assert 'id="resume-erreurs"' in sent.get_data(as_text=True)  # errors come once the step is sent
