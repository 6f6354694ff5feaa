"""Back-office accounts: login, throttling, logout, idle expiry, reset and invitation links, TOTP,
« Mon compte » and the administrators' « Comptes » screens."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from app.auth import services
from app.auth import session as auth_session
from app.auth.jobs import send_password_reset_links
from app.auth.models import LoginAttempt, Referent
from app.auth.passwords import password_problems, verify_password
from app.auth.routes import safe_next
from app.formatting import utcnow
from tests.factories import DEFAULT_PASSWORD, make_referent
from tests.mails import queued_mails
from tests.queries import count_queries

LOGIN = "/espace-referent/connexion"
DASHBOARD = "/espace-referent/"
NEW_PASSWORD = "une phrase de passe bien longue"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def link_in(message, path_part):
    match = re.search(r"(http\S*" + re.escape(path_part) + r"\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1).replace("http://127.0.0.1:5000", "")


def failures(db):
    return db.session.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.succeeded.is_(False)))


# --- services ---------------------------------------------------------------------------------


def test_password_rules_in_french():
    assert password_problems("court") == ["Le mot de passe doit contenir au moins 12 caractères."]
    assert "adresse électronique" in " ".join(password_problems("a@justice.fr", "A@justice.fr"))
    assert password_problems("aaaaaaaaaaaaaaa")  # too simple
    assert password_problems(NEW_PASSWORD, "a@justice.fr") == []


def test_passwords_are_hashed_with_argon2(db):
    referent = make_referent(password="mot de passe solide")
    assert referent.password_hash.startswith("$argon2id$")
    assert verify_password(referent.password_hash, "mot de passe solide")
    assert not verify_password(referent.password_hash, "autre chose")
    assert not verify_password(None, "mot de passe solide")


def test_authenticate_locks_the_account_after_max_failures(db):
    make_referent(email="a@justice.fr")
    db.session.commit()  # attempts are reserved in a transaction of their own, which must see nothing pending
    settings = dict(max_failures=3, max_failures_ip=100, lock_minutes=15)
    for _ in range(3):
        with pytest.raises(services.InvalidCredentials):
            services.authenticate("a@justice.fr", "mauvais", "10.0.0.1", **settings)
    with pytest.raises(services.TooManyAttempts):
        services.authenticate("a@justice.fr", DEFAULT_PASSWORD, "10.0.0.2", **settings)
    # 16 minutes later the lock has expired
    later = utcnow() + timedelta(minutes=16)
    referent, _attempt = services.authenticate("A@justice.fr ", DEFAULT_PASSWORD, "10.0.0.2", now=later, **settings)
    assert referent.email == "a@justice.fr"


def test_token_dies_once_the_password_changes(app, db):
    referent = make_referent()
    token = services.make_token(referent, "secret", services.RESET_SALT)
    assert services.load_token(token, "secret", services.RESET_SALT, 3600) is referent
    with pytest.raises(services.InvalidToken):  # another salt: an invitation link is not a reset link
        services.load_token(token, "secret", services.INVITATION_SALT, 3600)
    services.set_password(referent, NEW_PASSWORD)
    with pytest.raises(services.InvalidToken):
        services.load_token(token, "secret", services.RESET_SALT, 3600)


def test_totp_code_works_once(db):
    secret = pyotp.random_base32()
    referent = make_referent(totp_secret=secret)
    code = pyotp.TOTP(secret).now()
    services.verify_totp(referent, code)
    with pytest.raises(services.InvalidCode):
        services.verify_totp(referent, code)
    with pytest.raises(services.InvalidCode):
        services.verify_totp(referent, "12345")


def test_safe_next_accepts_only_local_paths():
    assert safe_next("/espace-referent/candidatures?page=2") == "/espace-referent/candidatures?page=2"
    for bad in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
        "/a\nb",
    ):
        assert safe_next(bad) is None, bad


# --- login and logout -------------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = text(response)
    assert "<title>Connexion à l'espace référent" in html
    assert 'for="email"' in html and 'for="password"' in html


def test_login_success_rotates_session_and_redirects(client, db):
    referent = make_referent(email="a@justice.fr")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "fixation"
    response = client.post(LOGIN, data={"email": "A@Justice.fr", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == DASHBOARD
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session[auth_session.REFERENT_ID] == referent.id
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "Bienvenue, " in text(page)
    assert db.session.get(Referent, referent.id).last_login_at is not None


def test_login_wrong_password_generic_message(client, db):
    make_referent(email="a@justice.fr")
    db.session.commit()
    for email, password in (("a@justice.fr", "mauvais"), ("inconnu@justice.fr", DEFAULT_PASSWORD)):
        response = client.post(LOGIN, data={"email": email, "password": password})
        html = text(response)
        assert response.status_code == 200
        assert "Adresse électronique ou mot de passe incorrect." in html
        assert "<title>Erreur : " in html
        assert 'value="' + email + '"' in html  # what was typed is kept
    assert failures(db) == 2


def test_login_empty_fields_french_errors(client):
    response = client.post(LOGIN, data={"email": "", "password": ""})
    html = text(response)
    assert response.status_code == 200
    assert "Saisissez votre adresse électronique." in html and "Saisissez votre mot de passe." in html


def test_inactive_account_cannot_log_in(client, db):
    make_referent(email="a@justice.fr", is_active=False)
    db.session.commit()
    response = client.post(LOGIN, data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD})
    assert "Adresse électronique ou mot de passe incorrect." in text(response)
    assert client.get(DASHBOARD).status_code == 302


def test_throttling_per_account(app, client, db):
    app.config["LOGIN_MAX_FAILURES"] = 3
    make_referent(email="a@justice.fr")
    db.session.commit()
    for i in range(3):
        client.post(
            LOGIN, data={"email": "a@justice.fr", "password": "mauvais"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}
        )
    response = client.post(
        LOGIN, data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in text(response)
    assert client.get(DASHBOARD).status_code == 302  # not logged in
    # lock expiry: the failures age beyond LOGIN_LOCK_MINUTES
    db.session.execute(sa.update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    response = client.post(LOGIN, data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert failures(db) == 0  # a success wipes the account's failures


def test_throttling_per_ip_across_accounts(app, client, db):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 4
    make_referent(email="victime@justice.fr")
    db.session.commit()
    attacker = {"REMOTE_ADDR": "192.0.2.7"}
    for i in range(4):
        client.post(LOGIN, data={"email": f"essai{i}@justice.fr", "password": "x"}, environ_base=attacker)
    blocked = client.post(
        LOGIN, data={"email": "victime@justice.fr", "password": DEFAULT_PASSWORD}, environ_base=attacker
    )
    assert blocked.status_code == 429
    # the same account from another address still works
    ok = client.post(
        LOGIN,
        data={"email": "victime@justice.fr", "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert ok.status_code == 302


def test_next_is_kept_but_only_local(client, db):
    make_referent(email="a@justice.fr")
    db.session.commit()
    response = client.get("/espace-referent/mon-compte")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/espace-referent/connexion?next=/espace-referent/mon-compte")
    response = client.post(
        LOGIN + "?next=/espace-referent/mon-compte", data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/espace-referent/mon-compte"
    client.post("/espace-referent/deconnexion")
    response = client.post(
        LOGIN + "?next=https://evil.example/", data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == DASHBOARD
    client.post("/espace-referent/deconnexion")
    response = client.post(
        LOGIN + "?next=//evil.example/", data={"email": "a@justice.fr", "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == DASHBOARD


def test_logout_is_post_only(client, auth, db):
    auth.login_as(make_referent())
    assert client.get("/espace-referent/deconnexion").status_code == 405
    assert client.get(DASHBOARD).status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    assert "Déconnexion effectuée." in text(client.get(LOGIN))
    assert client.get(DASHBOARD).status_code == 302


def test_logout_requires_csrf(csrf_app, db):
    client = csrf_app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login_as(make_referent())
    assert client.post("/espace-referent/deconnexion").status_code == 400
    assert client.get(DASHBOARD).status_code == 200


def test_idle_session_expires(app, client, auth, db):
    auth.login_as(make_referent())
    with client.session_transaction() as session:
        session[auth_session.LAST_SEEN] = int(time.time()) - 31 * 60
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/espace-referent/connexion" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Votre session a expiré après 30 minutes d'inactivité" in text(page)
    with client.session_transaction() as session:
        assert auth_session.REFERENT_ID not in session


def test_activity_keeps_the_session_alive(client, auth, db):
    auth.login_as(make_referent())
    with client.session_transaction() as session:
        session[auth_session.LAST_SEEN] = int(time.time()) - 29 * 60
    assert client.get(DASHBOARD).status_code == 200
    with client.session_transaction() as session:
        assert session[auth_session.LAST_SEEN] >= int(time.time()) - 5


def test_deactivated_account_loses_its_open_session(client, auth, db):
    referent = make_referent()
    auth.login_as(referent)
    assert client.get(DASHBOARD).status_code == 200
    referent.is_active = False
    db.session.commit()
    assert client.get(DASHBOARD).status_code == 302


def test_password_change_elsewhere_ends_the_session(client, auth, db):
    referent = make_referent()
    auth.login_as(referent)
    services.set_password(referent, NEW_PASSWORD)
    db.session.commit()
    assert client.get(DASHBOARD).status_code == 302


# --- forgotten password -----------------------------------------------------------------------


def test_reset_flow(client, db):
    make_referent(email="a@justice.fr")
    db.session.commit()
    response = client.post(
        "/espace-referent/mot-de-passe-oublie", data={"email": "a@justice.fr"}, follow_redirects=True
    )
    assert "Si un compte actif correspond à cette adresse" in text(response)
    assert queued_mails("a@justice.fr") == []  # sent by the worker, not by the page
    send_password_reset_links()
    [mail] = queued_mails("a@justice.fr")
    assert mail.body_html and "Choisir un nouveau mot de passe" in mail.body_html
    url = link_in(mail, "/espace-referent/nouveau-mot-de-passe/")
    page = client.get(url)
    assert page.status_code == 200 and "Choisir un nouveau mot de passe" in text(page)
    # rules and confirmation are checked, in French, without a 500
    bad = client.post(url, data={"password": "court", "confirm": "autre"})
    html = text(bad)
    assert bad.status_code == 200 and "au moins 12 caractères" in html and "ne sont pas identiques" in html
    done = client.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == LOGIN
    assert client.post(LOGIN, data={"email": "a@justice.fr", "password": NEW_PASSWORD}).status_code == 302
    notice = queued_mails("a@justice.fr")[-1]
    assert (
        "votre mot de passe a été changé" in notice.body_text
        and "/espace-referent/mot-de-passe-oublie" in notice.body_text
    )
    # the link is single-use
    client.post("/espace-referent/deconnexion")
    used = client.get(url)
    assert used.status_code == 404 and "Lien non valable" in text(used)


def test_reset_always_the_same_answer(client, db):
    make_referent(email="inactif@justice.fr", is_active=False)
    db.session.commit()
    answers = set()
    for email in ("inconnu@justice.fr", "inactif@justice.fr"):
        response = client.post("/espace-referent/mot-de-passe-oublie", data={"email": email})
        assert response.status_code == 302
        answers.add(response.headers["Location"])
    assert answers == {LOGIN}
    assert send_password_reset_links() == 0
    assert queued_mails() == []


def test_reset_invalid_email_is_a_french_error(client):
    response = client.post("/espace-referent/mot-de-passe-oublie", data={"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert "Saisissez une adresse électronique valide" in text(response)


def test_expired_reset_link(app, client, db, monkeypatch):
    from types import SimpleNamespace

    import itsdangerous.timed

    referent = make_referent()
    db.session.commit()
    two_days_ago = time.time() - 49 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: two_days_ago))
        token = services.make_token(referent, app.config["SECRET_KEY"], services.RESET_SALT)
    response = client.get(f"/espace-referent/nouveau-mot-de-passe/{token}")
    assert response.status_code == 410
    assert "Ce lien a expiré" in text(response)
    assert client.get("/espace-referent/nouveau-mot-de-passe/faux-jeton").status_code == 404


# --- TOTP -------------------------------------------------------------------------------------


def test_totp_enrolment_and_login_with_code(client, auth, db):
    referent = make_referent(email="a@justice.fr")
    auth.login_as(referent)
    page = client.get("/espace-referent/mon-compte/double-authentification")
    assert page.status_code == 200
    with client.session_transaction() as session:
        secret = session["totp_pending_secret"]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in text(page)
    wrong = client.post("/espace-referent/mon-compte/double-authentification", data={"code": "000000"})
    assert wrong.status_code == 200 and "Code incorrect" in text(wrong)
    done = client.post("/espace-referent/mon-compte/double-authentification", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).totp_secret == secret

    auth.logout()
    step1 = auth.login("a@justice.fr")
    assert step1.status_code == 302 and step1.headers["Location"] == "/espace-referent/connexion/code"
    assert client.get(DASHBOARD).status_code == 302  # the password alone does not open the back office
    bad = client.post("/espace-referent/connexion/code", data={"code": "123456"})
    assert "Code incorrect" in text(bad)
    # the code used at enrolment cannot be replayed; the next step's code works
    later = pyotp.TOTP(secret).at(time.time() + 30)
    ok = client.post("/espace-referent/connexion/code", data={"code": later})
    assert ok.status_code == 302 and ok.headers["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_totp_step_expires(client, auth, db):
    secret = pyotp.random_base32()
    make_referent(email="a@justice.fr", totp_secret=secret)
    db.session.commit()
    auth.login("a@justice.fr")
    with client.session_transaction() as session:
        session[auth_session.MFA_STARTED] = int(time.time()) - 600
    response = client.post("/espace-referent/connexion/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    assert client.get(DASHBOARD).status_code == 302


def test_totp_failures_count_towards_the_lock(app, client, auth, db):
    app.config["LOGIN_MAX_FAILURES"] = 2
    secret = pyotp.random_base32()
    make_referent(email="a@justice.fr", totp_secret=secret)
    db.session.commit()
    auth.login("a@justice.fr")
    for _ in range(2):
        client.post("/espace-referent/connexion/code", data={"code": "000000"})
    response = client.post("/espace-referent/connexion/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"] == LOGIN
    assert client.get(DASHBOARD).status_code == 302


def test_totp_required_forces_enrolment(app, client, auth, db):
    app.config["TOTP_REQUIRED"] = True
    auth.login_as(make_referent())
    for url in (DASHBOARD, "/espace-referent/mon-compte"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == "/espace-referent/mon-compte/double-authentification"
    page = client.get("/espace-referent/mon-compte/double-authentification")
    assert page.status_code == 200 and "obligatoire" in text(page)
    with client.session_transaction() as session:
        secret = session["totp_pending_secret"]
    client.post("/espace-referent/mon-compte/double-authentification", data={"code": pyotp.TOTP(secret).now()})
    assert client.get(DASHBOARD).status_code == 200
    # and it cannot be switched off
    response = client.post(
        "/espace-referent/mon-compte/double-authentification/desactiver", data={"totp-password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Referent.totp_secret)) == secret


def test_totp_disable_needs_the_password(client, auth, db):
    referent = make_referent(totp_secret=pyotp.random_base32())
    auth.login_as(referent)
    url = "/espace-referent/mon-compte/double-authentification/desactiver"
    wrong = client.post(url, data={"totp-password": "mauvais"})
    assert wrong.status_code == 200 and "Le mot de passe actuel est incorrect." in text(wrong)
    assert client.post(url, data={"totp-password": DEFAULT_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).totp_secret is None


# --- « Mon compte » ---------------------------------------------------------------------------


def test_account_page_and_notifications_setting(client, auth, db):
    referent = make_referent(departements=("33", "24"))
    auth.login_as(referent)
    html = text(client.get("/espace-referent/mon-compte"))
    assert "<h1>Mon compte</h1>" in html and "Gironde" in html and "Dordogne" in html
    assert 'aria-current="page">Mon compte</a>' in html
    response = client.post("/espace-referent/mon-compte/notifications", data={}, follow_redirects=True)
    assert "Vous ne recevrez plus de courriel" in text(response)
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).notify_new_applications is False
    client.post("/espace-referent/mon-compte/notifications", data={"notifications-notify_new_applications": "y"})
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).notify_new_applications is True


def test_change_password(client, auth, db):
    referent = make_referent(email="a@justice.fr")
    referent.notify_new_applications = True
    db.session.commit()
    auth.login_as(referent)
    url = "/espace-referent/mon-compte/mot-de-passe"
    wrong = client.post(
        url,
        data={
            "password-current_password": "mauvais",
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    html = text(wrong)
    assert (
        wrong.status_code == 200
        and "Le mot de passe actuel est incorrect." in html
        and "<title>Erreur : Mon compte" in html
    )
    # The other forms of the page still show the saved settings (the notifications box came back unticked,
    # and « Enregistrer ce choix » would then have turned the notifications off).
    [box] = re.findall(r'<input[^>]*id="notifications-notify_new_applications"[^>]*>', html)
    assert "checked" in box
    ok = client.post(
        url,
        data={
            "password-current_password": DEFAULT_PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 302
    assert client.get(DASHBOARD).status_code == 200  # this session goes on
    [notice] = queued_mails("a@justice.fr")
    assert "votre mot de passe a été modifié" in notice.body_text and notice.body_html
    db.session.expire_all()
    assert verify_password(db.session.get(Referent, referent.id).password_hash, NEW_PASSWORD)


# --- « Comptes » (administrators) -------------------------------------------------------------


def test_admin_lists_and_filters_accounts(client, auth, db):
    admin = make_referent(is_admin=True, departements=(), name="Admin National")
    make_referent(name="Zoé Gironde", departements=("33",))
    make_referent(name="Yann Nord", departements=("59",))
    make_referent(name="Xavier Ancien", departements=("59",), is_active=False)
    auth.login_as(admin)
    html = text(client.get("/espace-referent/comptes"))
    assert "Zoé Gironde" in html and "Yann Nord" in html and "Xavier Ancien" not in html
    html = text(client.get("/espace-referent/comptes?departement=59&statut=tous"))
    assert "Yann Nord" in html and "Xavier Ancien" in html and "Zoé Gironde" not in html
    html = text(client.get("/espace-referent/comptes?q=zo"))
    assert "Zoé Gironde" in html and "Yann Nord" not in html


def test_admin_invites_a_referent(client, auth, db):
    admin = make_referent(is_admin=True, departements=(), name="Admin National")
    auth.login_as(admin)
    assert client.get("/espace-referent/comptes/inviter").status_code == 200
    invalid = client.post("/espace-referent/comptes/inviter", data={"email": "x", "name": ""})
    html = text(invalid)
    assert invalid.status_code == 200 and "Saisissez une adresse électronique valide" in html
    assert "Cochez au moins un département" in html and "<title>Erreur : " in html
    response = client.post(
        "/espace-referent/comptes/inviter",
        data={"email": "Nouveau.Referent@justice.fr", "name": "Nouveau Référent", "departements": ["33", "24"]},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/espace-referent/comptes"
    referent = db.session.scalar(sa.select(Referent).filter_by(email="nouveau.referent@justice.fr"))
    assert referent.departement_codes == ["24", "33"] and referent.password_hash is None
    [mail] = queued_mails("nouveau.referent@justice.fr")
    assert "Admin National vous a ouvert un compte" in mail.body_text
    # The départements by name, not "Départements : 24, 33."
    assert "Départements : 24 – Dordogne, 33 – Gironde." in mail.body_text
    assert "Départements : 24 – Dordogne, 33 – Gironde." in mail.body_html
    url = link_in(mail, "/espace-referent/activer-mon-compte/")
    auth.logout()
    assert "Activer votre compte" in text(client.get(url))
    assert client.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert auth.login("nouveau.referent@justice.fr", NEW_PASSWORD).status_code == 302
    auth.logout()
    assert client.get(url).status_code == 404  # used
    # the same address cannot be invited twice
    auth.login_as(admin)
    again = client.post(
        "/espace-referent/comptes/inviter",
        data={"email": "nouveau.referent@justice.fr", "name": "Doublon", "departements": ["33"]},
    )
    assert "Un compte existe déjà avec cette adresse électronique." in text(again)


def test_admin_edits_deactivates_and_reactivates(client, auth, db):
    admin = make_referent(is_admin=True, departements=())
    referent = make_referent(name="Léa", departements=("33",))
    auth.login_as(admin)
    url = f"/espace-referent/comptes/{referent.id}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"name": "Léa Martin", "departements": ["59", "62"]})
    assert response.status_code == 302
    db.session.expire_all()
    referent = db.session.get(Referent, referent.id)
    assert referent.name == "Léa Martin" and referent.departement_codes == ["59", "62"]
    client.post(f"{url}/desactiver")
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).is_active is False
    client.post(f"{url}/reactiver")
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).is_active is True


def test_admin_cannot_lock_themselves_out(client, auth, db):
    admin = make_referent(is_admin=True, departements=())
    auth.login_as(admin)
    client.post(f"/espace-referent/comptes/{admin.id}/desactiver")
    response = client.post(f"/espace-referent/comptes/{admin.id}", data={"name": "Moi", "departements": ["33"]})
    assert "Vous ne pouvez pas retirer votre propre rôle" in text(response)
    db.session.expire_all()
    admin = db.session.get(Referent, admin.id)
    assert admin.is_active and admin.is_admin


def test_admin_resets_a_lost_totp(client, auth, db):
    admin = make_referent(is_admin=True, departements=())
    referent = make_referent(totp_secret=pyotp.random_base32())
    auth.login_as(admin)
    client.post(f"/espace-referent/comptes/{referent.id}/double-authentification")
    db.session.expire_all()
    assert db.session.get(Referent, referent.id).totp_secret is None
    [notice] = queued_mails(referent.email)
    assert f"la double authentification a été désactivée par {admin.name}" in notice.body_text


def test_unknown_account_is_404(client, auth, db):
    auth.login_as(make_referent(is_admin=True, departements=()))
    assert client.get("/espace-referent/comptes/9999").status_code == 404


# --- demo accounts ----------------------------------------------------------------------------


def test_demo_accounts_log_in(client, db):
    from app.auth.demo import DEMO_ACCOUNTS, load_demo_accounts

    lines = load_demo_accounts()
    db.session.commit()
    assert any(
        "Référent Gironde/Dordogne : referent.tig.33@justice.fr / mot de passe demo-referent-33" in line
        for line in lines
    )
    for email, _name, _deps, _admin, password, _label in DEMO_ACCOUNTS:
        assert client.post(LOGIN, data={"email": email, "password": password}).status_code == 302
        client.post("/espace-referent/deconnexion")
    assert load_demo_accounts() == lines  # idempotent


def test_anonymous_form_post_comes_back_to_a_page_not_to_an_action(client):
    response = client.post("/espace-referent/comptes/inviter")
    assert response.headers["Location"] == "/espace-referent/connexion?next=/espace-referent/comptes/inviter"
    response = client.post("/espace-referent/mon-compte/notifications")
    assert response.headers["Location"] == "/espace-referent/connexion?next=/espace-referent/"
    page = client.get(response.headers["Location"])
    assert "Connectez-vous pour accéder à l'espace référent." in text(page)


def test_accounts_list_query_count_does_not_grow_with_accounts(client, auth, db):
    def count(url):
        return count_queries(client, db, url)

    auth.login_as(make_referent(is_admin=True, departements=()))
    for _i in range(3):
        make_referent(departements=("33", "24"), password=None)
    db.session.commit()
    few = count("/espace-referent/comptes")
    for _i in range(20):
        make_referent(departements=("59", "62"), totp_secret="A" * 32, password=None)
    db.session.commit()
    assert count("/espace-referent/comptes") == few
    assert few <= 8


def test_logout_kills_a_copy_of_the_session_cookie(app, client, auth, db):
    auth.login_as(make_referent())
    assert client.get(DASHBOARD).status_code == 200
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    auth.logout()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert client.get(DASHBOARD).status_code == 302


def test_session_has_an_absolute_limit(app, client, auth, db):
    auth.login_as(make_referent())
    with client.session_transaction() as session:
        session[auth_session.AUTHENTICATED_AT] = int(time.time()) - 13 * 3600
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "une session dure au plus 12 heures" in text(client.get(response.headers["Location"]))


def test_purge_jobs(app, db):
    from app.auth.jobs import purge_old_login_attempts, purge_old_revoked_sessions
    from app.auth.models import RevokedSession

    old = utcnow() - timedelta(days=2)
    db.session.add_all(
        [
            LoginAttempt(email="a@justice.fr", ip_address="x", created_at=old),
            LoginAttempt(email="b@justice.fr", ip_address="x"),
        ]
    )
    db.session.add_all([RevokedSession(session_id="vieille", revoked_at=old), RevokedSession(session_id="recente")])
    db.session.flush()
    assert purge_old_login_attempts() == 1 and purge_old_revoked_sessions() == 1
    assert services.is_revoked("recente") and not services.is_revoked("vieille")
    assert services.is_revoked(None)  # a session without id is not trusted
