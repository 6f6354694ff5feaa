"""Hostile input: every public and back-office form, and the query strings and links that
reach the database, take random, invalid, huge, unicode and control-character values (NUL included)
without a 5xx; a form sent back for correction still shows what was typed.

Property-based with hypothesis (few examples per form, to stay fast), plus fixed cases for NUL bytes
(a classic 500 on PostgreSQL: run this file with TEST_DB=postgresql too).
XSS, exports and uploads: see tests/test_hostile_output.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from app.applications.models import Application, ApplicationStatus
from app.auth import services as auth_services
from app.extensions import db
from app.forms import normalize_single_line, strip_control_characters
from app.webinars import services as webinar_services
from app.webinars.models import Registration
from tests.factories import make_application, make_referent, make_registration_data, make_webinar
from tests.test_application_wizard import CONTACT, ESS, POST, STRUCTURE, post_step, start

pytestmark = pytest.mark.slow

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
XSS = [
    SCRIPT_PAYLOAD,
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE applications; --",
    "{{ 7*7 }}",
    "=cmd|' /C calc'!A0",
]
SPECIAL = [
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "".join(chr(c) for c in range(32)),
    "\x7f\x1b[31m",
    "\ud7ff\ue000\ufffd",
    "\u202eRTL\u202c \u200b \ufeff",
    "🦆" * 500,
    "é" * 5000,
    "A" * 100_000,
    "%00",
    "../../etc/passwd",
    " ",
    "\r\n\r\n",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "25:61",
    "null",
]
HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=80),  # ASCII controls and punctuation
    st.sampled_from(XSS + SPECIAL),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
)
FAST = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass
class Target:
    """A form: where it is posted, values that pass, the fields to attack and those shown back."""

    url: str
    valid: dict
    fields: list[str]
    echoed: list[str] = field(default_factory=list)  # text inputs re-rendered as typed
    method: str = "POST"
    before_each: Callable[[], None] | None = None


def assert_kept(body: str, name: str, value: str) -> None:
    """The value typed comes back in the page (escaped), as the field normalised it (control characters
    removed; in a single-line field, line breaks too)."""
    multiline, single_line = strip_control_characters(value), normalize_single_line(value)
    if not single_line.strip():
        return
    candidates = {multiline, multiline.strip(), single_line, single_line.strip()}
    assert any(str(escape(c)) in body for c in candidates), (name, value[:80])


def attack(client, target: Target, values: dict) -> None:
    if target.before_each:
        target.before_each()
    data = {**target.valid, **values}
    if target.method == "GET":
        response = client.get(target.url, query_string=data)
    else:
        response = client.post(target.url, data=data)
    assert response.status_code < 500, (target.url, {k: v[:60] for k, v in values.items()})
    assert response.status_code in (200, 302, 303, 400, 404, 413, 429), response.status_code
    if response.status_code == 200 and target.method == "POST":
        body = response.get_data(as_text=True)
        for name in target.echoed:
            if name in values:
                assert_kept(body, name, values[name])


# --- the forms ----------------------------------------------------------------------------------------


def _draft(client, upto: int, structure: dict | None = None) -> str:
    token = start(client)
    steps = [structure or STRUCTURE, CONTACT]
    for number, data in enumerate(steps[:upto], start=1):
        assert post_step(client, token, number, data).status_code == 302
    return token


def _admin(auth):
    admin = make_referent(is_admin=True, departements=(), name="Administratrice nationale")
    auth.login_as(admin)
    return admin


def _set_status(application_id: int, status: ApplicationStatus):
    """Before each attempt: the application back in the status the form needs (a valid attempt moved it)."""

    def reset():
        db.session.rollback()
        db.session.execute(sa.update(Application).where(Application.id == application_id).values(status=status))
        db.session.commit()

    return reset


def target_eligibility(client, auth):
    fields = [
        "structure_type",
        "departement",
        "ess_non_profit_purpose",
        "ess_democratic_governance",
        "ess_profits_reinvested",
        "social_utility",
        "minors",
    ]
    return Target("/eligibilite/resultat", {"structure_type": "association", "departement": "33"}, fields, method="GET")


def target_start(client, auth):
    return Target("/candidature", {"email": "jeanne.martin@exemple.fr", "reponses": ""}, ["email", "reponses"])


def target_structure(client, auth):
    token = _draft(client, 0)
    fields = list(STRUCTURE) + ["action"]
    return Target(
        f"/candidature/{token}/etape/1",
        {**STRUCTURE, "action": "continuer"},
        fields,
        echoed=["structure_name", "address", "commune"],
    )


def target_contact(client, auth):
    token = _draft(client, 1)
    return Target(
        f"/candidature/{token}/etape/2",
        {**CONTACT, "action": "continuer"},
        list(CONTACT),
        echoed=["contact_last_name", "contact_first_name", "contact_role"],
    )


def target_ess(client, auth):
    token = _draft(client, 2, {**STRUCTURE, "structure_type": "cooperative", "siret": "73282932000074"})
    fields = list(ESS)
    return Target(
        f"/candidature/{token}/etape/3", {**ESS, "action": "continuer"}, fields, echoed=["social_utility_statement"]
    )


def target_posts(client, auth):
    token = _draft(client, 2)
    text_fields = [
        "poste0-title",
        "poste0-tasks",
        "poste0-place",
        "poste0-schedule",
        "poste0-tuteur0-last_name",
        "poste0-tuteur0-first_name",
        "poste0-tuteur0-role",
    ]
    fields = text_fields + [
        "poste0-hours_per_week",
        "poste0-places_count",
        "poste0-present",
        "poste0-tuteur0-present",
        "poste0-constraints_notes",
        "action",
    ]
    return Target(f"/candidature/{token}/etape/3", {**POST, "action": "continuer"}, fields, echoed=text_fields)


def target_documents(client, auth):
    token = _draft(client, 2)
    post_step(client, token, 3, POST)
    fields = ["doc_statuts", "doc_declaration_jo", "action", "csrf_token"]
    return Target(f"/candidature/{token}/etape/4", {"action": "continuer"}, fields)


def target_declaration(client, auth):
    token = _draft(client, 2)
    post_step(client, token, 3, POST)
    return Target(f"/candidature/{token}/etape/6", {"accept": ""}, ["accept", "action"])


def target_followup_reply(client, auth):
    application = make_application("33")
    db.session.commit()
    return Target(
        f"/suivi/{application.access_token}/message", {"body": "Voici nos statuts."}, ["body"], echoed=["body"]
    )


def target_webinar_registration(client, auth):
    webinar = make_webinar(capacity=5)
    db.session.commit()
    valid = {
        "last_name": "Martin",
        "first_name": "Alice",
        "email": "alice@example.org",
        "email_confirmation": "alice@example.org",
        "structure_name": "Coopérative du Bassin",
        "structure_type": "cooperative",
        "departement": "33",
        "role": "Directrice",
        "question": "",
        "consent": "y",
    }
    return Target(
        f"/webinaires/{webinar.id}",
        valid,
        list(valid),
        echoed=["last_name", "first_name", "structure_name", "role", "question"],
    )


def target_registration_cancel(client, auth):
    webinar = make_webinar()
    db.session.commit()
    registration = webinar_services.register(webinar.id, make_registration_data("bob@example.org"))
    db.session.commit()
    return Target(f"/inscription/{registration.token}/annuler", {}, ["csrf_token", "confirmer", "motif"])


def target_login(client, auth):
    make_referent(email="referente@justice.fr")
    db.session.commit()
    return Target(
        "/espace-referent/connexion", {"email": "referente@justice.fr", "password": "faux"}, ["email", "password"]
    )


def target_forgot_password(client, auth):
    return Target("/espace-referent/mot-de-passe-oublie", {"email": "referente@justice.fr"}, ["email"])


def target_reset_password(client, auth):
    referent = make_referent(email="oubli@justice.fr")
    db.session.commit()
    token = auth_services.make_token(referent, client.application.config["SECRET_KEY"], auth_services.RESET_SALT)
    # The confirmation differs: every attempt is refused and the link stays usable for the next one.
    return Target(
        f"/espace-referent/nouveau-mot-de-passe/{token}",
        {"password": "Un mot de passe tres long 2026", "confirm": "autre"},
        ["password", "confirm"],
    )


def target_backoffice_message(client, auth):
    _admin(auth)
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    db.session.commit()
    return Target(
        f"/espace-referent/candidatures/{application.id}/messages", {"body": "Bonjour"}, ["body"], echoed=["body"]
    )


def target_backoffice_note(client, auth):
    _admin(auth)
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    db.session.commit()
    return Target(
        f"/espace-referent/candidatures/{application.id}/notes", {"note": "À rappeler"}, ["note"], echoed=["note"]
    )


def target_backoffice_decision(client, auth):
    _admin(auth)
    application = make_application("33", status=ApplicationStatus.SENT_FOR_DECISION)
    db.session.commit()
    return Target(
        f"/espace-referent/candidatures/{application.id}/actions/refuse",
        {"reason": "Statuts non conformes."},
        ["reason"],
        echoed=["reason"],
        before_each=_set_status(application.id, ApplicationStatus.SENT_FOR_DECISION),
    )


def target_backoffice_complements(client, auth):
    _admin(auth)
    application = make_application("33", status=ApplicationStatus.IN_REVIEW)
    db.session.commit()
    return Target(
        f"/espace-referent/candidatures/{application.id}/complements",
        {"documents": "statuts", "other_items": "Le procès-verbal", "body": "Merci"},
        ["documents", "other_items", "body"],
        echoed=["other_items", "body"],
        before_each=_set_status(application.id, ApplicationStatus.IN_REVIEW),
    )


WEBINAR_FORM = {
    "title": "Nouveau webinaire",
    "description": "Programme",
    "date": "2031-03-04",
    "start_time": "14:30",
    "duration_minutes": "90",
    "capacity": "15",
    "deadline_date": "2031-03-01",
    "deadline_time": "23:59",
    "waitlist_enabled": "y",
    "organiser_name": "Référent TIG Gironde",
    "organiser_email": "referent.tig.33@justice.fr",
    "hosts": "",
    "audience": "",
    "departements": "33",
    "region": "",
    "join_url": "https://visio.example.org/x",
}
WEBINAR_ECHOED = ["title", "description", "organiser_name", "hosts", "audience"]


def target_webinar_create(client, auth):
    _admin(auth)
    return Target("/espace-referent/webinaires/nouveau", WEBINAR_FORM, list(WEBINAR_FORM), echoed=WEBINAR_ECHOED)


def target_webinar_edit(client, auth):
    _admin(auth)
    webinar = make_webinar()
    db.session.commit()
    return Target(
        f"/espace-referent/webinaires/{webinar.id}/modifier", WEBINAR_FORM, list(WEBINAR_FORM), echoed=WEBINAR_ECHOED
    )


def target_webinar_cancel(client, auth):
    _admin(auth)
    webinar = make_webinar()
    db.session.commit()
    return Target(f"/espace-referent/webinaires/{webinar.id}/annuler", {"reason": ""}, ["reason"], echoed=["reason"])


def target_account_invite(client, auth):
    _admin(auth)
    valid = {"email": "nouvelle@justice.fr", "name": "Nouvelle Référente", "departements": "33"}
    return Target(
        "/espace-referent/comptes/inviter", valid, ["email", "name", "departements", "is_admin"], echoed=["name"]
    )


def target_account_edit(client, auth):
    _admin(auth)
    referent = make_referent(email="modifiee@justice.fr")
    db.session.commit()
    valid = {"email": "modifiee@justice.fr", "name": "Référente modifiée", "departements": "33"}
    return Target(
        f"/espace-referent/comptes/{referent.id}", valid, ["email", "name", "departements", "is_admin"], echoed=["name"]
    )


def target_login_code(client, auth):
    referent = make_referent(email="double@justice.fr", totp_secret="JBSWY3DPEHPK3PXP")
    db.session.commit()
    from app.auth.session import start_mfa

    with client.session_transaction() as session:
        start_mfa(session, referent, None)
    return Target("/espace-referent/connexion/code", {"code": "123456"}, ["code"])


def target_accept_invitation(client, auth):
    referent = make_referent(email="invitee@justice.fr", password=None)
    db.session.commit()
    token = auth_services.make_token(referent, client.application.config["SECRET_KEY"], auth_services.INVITATION_SALT)
    return Target(
        f"/espace-referent/activer-mon-compte/{token}",
        {"password": "Un mot de passe tres long 2026", "confirm": "autre"},
        ["password", "confirm"],
    )


def target_account_password(client, auth):
    auth.login_as(make_referent(email="moncompte@justice.fr"))
    valid = {
        "password-current_password": "faux",
        "password-password": "Un mot de passe tres long 2026",
        "password-confirm": "Un mot de passe tres long 2026",
    }
    return Target("/espace-referent/mon-compte/mot-de-passe", valid, list(valid))


def target_account_totp_setup(client, auth):
    auth.login_as(make_referent(email="totp@justice.fr"))
    return Target("/espace-referent/mon-compte/double-authentification", {"code": "000000"}, ["code"])


def target_account_notifications(client, auth):
    auth.login_as(make_referent(email="notifications@justice.fr"))
    return Target(
        "/espace-referent/mon-compte/notifications", {"notify_new_applications": "y"}, ["notify_new_applications"]
    )


TARGETS = {name[len("target_") :]: function for name, function in dict(globals()).items() if name.startswith("target_")}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_random_values_never_break_a_form(name, app, client, auth):
    target = TARGETS[name](client, auth)

    @FAST
    @given(values=st.dictionaries(st.sampled_from(target.fields), HOSTILE, min_size=1, max_size=len(target.fields)))
    def run(values):
        attack(client, target, values)
        db.session.rollback()

    run()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_nul_bytes_and_xss_in_every_field(name, app, client, auth):
    """Fixed cases, each field in turn: a NUL inside a value (PostgreSQL refuses NUL in text) and the
    classic XSS payloads; the page sent back shows the value without the NUL, escaped."""
    target = TARGETS[name](client, auth)
    for field_name in target.fields:
        for value in ("Valeur\x00 avec NUL", XSS[0], XSS[1], "x" * 100_000):
            attack(client, target, {field_name: value})
            db.session.rollback()


def test_nul_bytes_never_reach_the_database(app, client):
    webinar = make_webinar()
    db.session.commit()
    data = {
        "last_name": "Mar\x00tin",
        "first_name": "Al\x00ice\x07",
        "email": "nul@example.org",
        "email_confirmation": "nul@example.org",
        "structure_name": "Coop\x00",
        "structure_type": "cooperative",
        "departement": "33",
        "role": "Dir\x1bectrice",
        "question": "Une\x00 question\r\nsur deux lignes",
        "consent": "y",
    }
    response = client.post(f"/webinaires/{webinar.id}", data=data)
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration).filter_by(email_normalized="nul@example.org"))
    assert (registration.last_name, registration.first_name, registration.structure_name, registration.role) == (
        "Martin",
        "Alice",
        "Coop",
        "Directrice",
    )
    assert registration.question == "Une question\nsur deux lignes"  # line breaks kept (as LF, the form's CR LF)


def test_form_with_errors_keeps_every_value_typed(app, client):
    """A registration refused for one field: every other value is in the page sent back."""
    webinar = make_webinar()
    db.session.commit()
    data = {
        "last_name": "O'Brien <b>",
        "first_name": "Zoé « Ζωή »",
        "email": "pas-une-adresse",
        "email_confirmation": "pas-une-adresse",
        "structure_name": 'Les "Amis" & Cie',
        "structure_type": "association",
        "departement": "33",
        "role": "Trésorière",
        "question": "Peut-on venir à deux ?",
        "consent": "y",
    }
    response = client.post(f"/webinaires/{webinar.id}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Erreur : " in body
    for name in ("last_name", "first_name", "structure_name", "role", "question", "email"):
        assert str(escape(data[name])) in body, name
    assert '<option selected value="association">' in body


GET_PAGES = [
    ("/webinaires", ["departement"]),
    ("/referents", ["q", "departement"]),
    ("/eligibilite", ["structure_type", "departement"]),
    ("/candidature", ["structure_type", "departement", "reponses"]),
    ("/espace-referent/connexion", ["next"]),
    (
        "/espace-referent/candidatures",
        ["q", "departement", "type_structure", "statut", "du", "au", "tri", "onglet", "page"],
    ),
    ("/espace-referent/candidatures/export.csv", ["q", "statut", "du", "au", "onglet"]),
    ("/espace-referent/webinaires", ["periode", "statut", "page"]),
    ("/espace-referent/comptes", ["q", "departement", "statut", "page"]),
]


@pytest.mark.parametrize("url, params", GET_PAGES, ids=[url for url, _ in GET_PAGES])
def test_random_query_strings_never_break_a_page(url, params, app, client, auth):
    _admin(auth)

    @FAST
    @given(values=st.dictionaries(st.sampled_from(params), HOSTILE, min_size=1))
    def run(values):
        response = client.get(url, query_string=values)
        assert response.status_code < 500, (url, {k: v[:60] for k, v in values.items()})
        db.session.rollback()

    run()
    for value in ("a\x00b", "\x00", SCRIPT_PAYLOAD, "9" * 30):  # every parameter at once, fixed cases
        response = client.get(url, query_string=dict.fromkeys(params, value))
        assert response.status_code < 500, (url, value[:20])
        assert SCRIPT_PAYLOAD not in response.get_data(as_text=True)
        db.session.rollback()


TOKEN_URLS = [
    "/suivi/{}",
    "/suivi/{}/recapitulatif.pdf",
    "/candidature/reprendre/{}",
    "/candidature/{}/etape/1",
    "/candidature/{}/confirmation",
    "/inscription/{}",
    "/inscription/{}/annuler",
    "/inscription/{}/invitation.ics",
    "/espace-referent/nouveau-mot-de-passe/{}",
    "/espace-referent/activer-mon-compte/{}",
]


@pytest.mark.parametrize("pattern", TOKEN_URLS)
def test_hostile_tokens_in_links_are_not_found(pattern, client):
    """Private links with a NUL, huge or odd token: a French 'not found' (or 'link invalid'), never a 500."""
    for token in (
        "%00",
        "abc%00def",
        "x" * 5000,
        "%C3%A9%F0%9F%A6%86",
        "..%2F..%2Fetc%2Fpasswd",
        "%FF%FE",
        "'%20OR%201=1",
    ):
        url = pattern.format(token)
        response = client.get(url)
        assert response.status_code < 500, (url[:80], response.status_code)
        if pattern.endswith("annuler") or "etape" in pattern:
            response = client.post(url, data={"accept": "y"})
            assert response.status_code < 500, (url[:80], response.status_code)
        db.session.rollback()


@pytest.mark.parametrize(
    "step, action",
    [
        (3, "supprimer_poste-99999999999999999999"),
        (3, "ajouter_tuteur-99999999999999999999"),
        (3, "supprimer_tuteur-0-99999999999999999999"),
        (3, "ajouter_poste"),
        (3, "supprimer_poste-0"),
        (4, "supprimer_document-99999999999999999999"),
        (4, "supprimer_document-"),
        (4, "precedent"),
    ],
)
def test_wizard_buttons_with_forged_values(step, action, app, client):
    """The wizard's named buttons (add/remove a post, a tutor, a document) with forged numbers."""
    token = _draft(client, 2)
    if step == 4:
        post_step(client, token, 3, POST)
    extra = {"poste99999999-title": "Poste fantôme", "poste99999999-tuteur99999999-last_name": "X"} if step == 3 else {}
    response = client.post(f"/candidature/{token}/etape/{step}", data={**POST, **extra, "action": action})
    assert response.status_code in (200, 302), response.status_code


def test_huge_forms_get_a_french_answer(app, client):
    """A 3 MB text field: the field's French error (the form is sent back); a request above
    MAX_CONTENT_LENGTH: the French 413 page, before any view runs."""
    webinar = make_webinar()
    db.session.commit()
    response = client.post(f"/webinaires/{webinar.id}", data={"last_name": "A" * (3 * 1024 * 1024)})
    assert response.status_code == 200 and "<title>Erreur : " in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(f"/webinaires/{webinar.id}", data={"last_name": "A" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1 and 'lang="fr"' in body
