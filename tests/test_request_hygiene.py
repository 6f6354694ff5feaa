"""What the site does with what the request carries, checked over the whole URL map or every form:

- integer path parameters beyond the database's INTEGER → 404, never a 500 (SQLite and PostgreSQL);
- every page whose URL holds a private token: ``Cache-Control: no-store`` and ``X-Robots-Tag: noindex``;
- absolute links (pages, calendar files, mails) from SITE_URL, never from a forged Host header;
- single-line fields lose line breaks, control characters and bidirectional overrides on input, in every
  form (so that notifications, whose subjects hold such values, are always sent);
- « mot de passe oublié » costs the same whether or not the address has an account.
"""

from __future__ import annotations

import email
import email.policy
import math
import re
import time

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.applications.models import ApplicationStatus
from app.forms import BaseForm
from app.routing import MAX_DATABASE_INTEGER, TokenConverter, is_private_rule
from tests.factories import make_application, make_referent, make_webinar, registration_form
from tests.mails import queued_mails

TOO_BIG = [MAX_DATABASE_INTEGER + 1, 2**63, 10**30]
FORGED_HOST = "piege.example"


def sample_values(rule, integer=1, token="exemple"):
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if isinstance(converter, IntegerConverter):
            values[argument] = integer
        elif isinstance(converter, TokenConverter):
            values[argument] = token
        else:
            values[argument] = "exemple"
    return values


def build(app, rule, **values) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def integer_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(rule._converters[a], IntegerConverter) for a in rule.arguments)
    ]


# --- integers beyond the database's range ---------------------------------------------------------


def test_integer_parameters_beyond_the_database_range_are_404_everywhere(app, client, auth, db):
    auth.login_as(make_referent(is_admin=True))  # the back-office handlers are reached, not the login page
    rules = integer_rules(app)
    assert len(rules) >= 10, [rule.rule for rule in rules]
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        for big in TOO_BIG:
            url = build(app, rule, **sample_values(rule, integer=big))
            response = client.open(url, method=method)
            assert response.status_code == 404, f"{method} {url} → {response.status_code}"
            assert "Page non trouvée" in response.text, url
        # the largest value the database takes is an ordinary "not found" (or a page), never a 500
        url = build(app, rule, **sample_values(rule, integer=MAX_DATABASE_INTEGER))
        assert client.open(url, method=method).status_code < 500, url


# --- private links ----------------------------------------------------------------------------------


def test_every_rule_naming_a_token_uses_the_private_token_converter(app):
    named = [rule for rule in app.url_map.iter_rules() if any("token" in argument for argument in rule.arguments)]
    assert len(named) >= 10
    for rule in named:
        assert is_private_rule(rule), f"{rule.rule} : utiliser <token:…> pour un lien privé"


def assert_private(response, url):
    assert response.headers.get("Cache-Control") == "no-store", url
    assert "noindex" in response.headers.get("X-Robots-Tag", ""), url


def test_every_private_link_page_is_neither_cached_nor_indexed(app, client, db):
    draft = make_application(status=ApplicationStatus.DRAFT)
    submitted = make_application()
    webinar = make_webinar()
    db.session.commit()
    client.post(f"/webinaires/{webinar.id}", data=registration_form("abonne@example.org"))
    from app.webinars.models import Registration

    registration_token = db.session.scalar(sa.select(Registration.token))
    private = [rule for rule in app.url_map.iter_rules() if is_private_rule(rule)]
    assert len(private) >= 10
    for rule in private:
        tokens = ["jeton-inconnu", draft.access_token, submitted.access_token, registration_token]
        for token in tokens:
            url = build(app, rule, **sample_values(rule, token=token))
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method)
                assert response.status_code < 500, (method, url)
                assert_private(response, f"{method} {url}")
    # and not on public pages: the mechanism follows the rules, not a list of paths
    assert "X-Robots-Tag" not in client.get("/webinaires").headers


def test_tokens_outside_the_token_alphabet_match_no_rule(client):
    for url in ("/suivi/%00abc", "/suivi/<script>", "/inscription/a%20b", "/candidature/reprendre/%E2%80%AE"):
        assert client.get(url).status_code == 404, url


# --- absolute links from SITE_URL -------------------------------------------------------------------


def test_a_forged_host_never_reaches_a_page_a_calendar_or_a_mail(app, client, auth, db):
    site = app.config["SITE_URL"]
    webinar = make_webinar()
    admin = make_referent(is_admin=True)
    db.session.commit()
    forged = {"base_url": f"http://{FORGED_HOST}"}
    client.post(f"/webinaires/{webinar.id}", data=registration_form("hote@example.org"), **forged)
    from app.webinars.models import Registration

    token = db.session.scalar(sa.select(Registration.token))
    calendar = client.get(f"/webinaires/{webinar.id}/calendrier.ics", **forged)
    invitation = client.get(f"/inscription/{token}/invitation.ics", **forged)
    for response in (calendar, invitation):
        assert response.status_code == 200
        body = response.text.replace("\r\n ", "")  # unfold iCalendar lines
        assert FORGED_HOST not in body and site in body

    auth.login_as(admin)
    pages = [f"/espace-referent/webinaires/{webinar.id}", f"/inscription/{token}", f"/webinaires/{webinar.id}"]
    pages += [
        build(app, rule, **sample_values(rule))
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments
    ]
    for url in pages:
        response = client.get(url, **forged)
        assert response.status_code < 500, url
        assert FORGED_HOST not in response.get_data(as_text=True), url
        assert FORGED_HOST not in response.headers.get("Location", ""), url
    # Mails are written by the worker, outside any request: rendered here as it renders them.
    mails = queued_mails()
    assert mails
    for mail in mails:
        assert FORGED_HOST not in mail.body_text + mail.body_html, mail.category
        assert site in mail.body_text, mail.category


# --- single-line fields ------------------------------------------------------------------------------

HOSTILE = "Association\r\nBcc: pirate@example.org\u202efdp.exe\x00\x1b[31m\u2028fin\x85\u2066x\u2069\t."


def every_form_class():
    found, todo = [], [BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            found.append(sub)
    return found


def instantiate(form_class, formdata):
    """A form bound to ``formdata``, for the classes whose constructor needs arguments too."""
    try:
        return form_class(formdata=formdata)
    except TypeError:
        return form_class(formdata=formdata, eligibility_check=lambda *_: None)


def test_every_form_normalises_what_is_typed(app):
    forms = every_form_class()
    assert len(forms) >= 15, [f.__name__ for f in forms]
    checked = 0
    with app.test_request_context(method="POST"):
        for form_class in forms:
            names = [name for name, _ in form_class()._fields.items()] if _constructible(form_class) else []
            if not names:
                continue
            form = instantiate(form_class, MultiDict(dict.fromkeys(names, HOSTILE)))
            for field in form:
                values = field.data if isinstance(field.data, list) else [field.data]
                for value in values:
                    if not isinstance(value, str):
                        continue
                    checked += 1
                    where = f"{form_class.__name__}.{field.name}"
                    assert not re.search(
                        "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]", value
                    ), where
                    if field.type == "TextAreaField":
                        assert "\r" not in value and "\u2028" not in value, where
                    else:
                        assert not re.search("[\n\r\t\x85\u2028\u2029]", value), where
    assert checked >= 50


def _constructible(form_class) -> bool:
    try:
        instantiate(form_class, None)
    except TypeError:
        return False
    return True


def test_a_structure_name_with_line_breaks_still_notifies_the_referents(app, client, db):
    """Through the whole wizard, then a real SMTP server: the référents' « Nouvelle candidature » mail,
    whose subject holds the structure name, is delivered (a line break in a subject used to stop it)."""
    from aiosmtpd.controller import Controller

    from app import create_app
    from app.extensions import db as _db
    from app.mail.outbox import deliver_pending
    from config import TestingConfig
    from tests.test_application_wizard import ASSOCIATION_DOCS, CONTACT, PDF, POST, STRUCTURE, post_step, start
    from tests.test_application_wizard import upload as upload_documents
    from tests.test_webinar_mail_delivery import RecordingHandler, free_port

    make_referent(email="referent33@justice.fr", departements=("33",))
    db.session.commit()
    token = start(client)
    hostile = STRUCTURE | {"structure_name": "Les Jardins\r\nBcc: pirate@example.org\u202e partagés"}
    for number, data in ((1, hostile), (2, CONTACT), (3, POST)):
        assert post_step(client, token, number, data).status_code == 302
    assert upload_documents(client, token, 4, {key: (f"{key}.pdf", PDF) for key in ASSOCIATION_DOCS}).status_code == 302
    client.get(f"/candidature/{token}/etape/5")
    assert client.post(f"/candidature/{token}/etape/6", data={"accept": "y"}).status_code == 302

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    # The worker: the same database, a real SMTP server (Flask-Mail reads its settings when the app is made).
    worker = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
    )
    try:
        with worker.app_context():
            while sum(deliver_pending().values()):
                pass
            _db.session.remove()
            _db.engine.dispose()
    finally:
        controller.stop()
    [envelope] = [e for e in handler.received if "referent33@justice.fr" in e.rcpt_tos]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "Les Jardins Bcc: pirate@example.org partagés" in message["Subject"]
    assert "pirate" not in str(message.get("Bcc", ""))
    assert [e for e in handler.received if "pirate@example.org" in e.rcpt_tos] == []


# --- forgotten password: same cost ------------------------------------------------------------------


def sign_test_p(wins: int, trials: int) -> float:
    """Two-sided p-value of the sign test: ``wins`` out of ``trials`` coin flips (ties left out)."""
    extreme = max(wins, trials - wins)
    tail = sum(math.comb(trials, k) for k in range(extreme, trials + 1)) / 2**trials
    return min(1.0, 2 * tail)


def test_forgotten_password_costs_the_same_with_or_without_an_account(client, db):
    """80 pairs of requests, one with an account's address and one with an unknown address, sent one
    right after the other (in alternating order), each timed by the CPU it costs.
    If one kind were slower, it would be the slower of its pair far more often than half the time: the
    sign test must not tell them apart (p > 0.001). The former code (the mail rendered and queued for
    an account only) fails it by far."""
    make_referent(email="existe.compte@justice.fr")
    db.session.commit()
    url = "/espace-referent/mot-de-passe-oublie"
    for _ in range(10):  # warm-up: templates compiled, connections open
        client.post(url, data={"email": "echauffe.ment@justice.fr"})

    def timed(address: str) -> float:
        # The work the request costs: CPU time of this thread (the test client serves the request in it),
        # which other processes of a busy machine do not inflate as they do wall-clock time.
        started = time.thread_time()
        response = client.post(url, data={"email": address})
        elapsed = time.thread_time() - started
        assert response.status_code == 302
        return elapsed

    slower_with_account = 0
    ties = 0
    for pair in range(80):
        if pair % 2:
            with_account, without = timed("existe.compte@justice.fr"), timed("absent.compte@justice.fr")
        else:
            without, with_account = timed("absent.compte@justice.fr"), timed("existe.compte@justice.fr")
        if with_account == without:
            ties += 1
        slower_with_account += with_account > without
    p_value = sign_test_p(slower_with_account, 80 - ties)
    assert p_value > 0.001, (slower_with_account, 80 - ties, p_value)
