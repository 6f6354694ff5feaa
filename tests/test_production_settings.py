"""Production refuses development settings, and a leaked SECRET_KEY alone opens no account.

The start-up checks are proven by starting the real entry point (``wsgi.py``, what gunicorn imports)
in a subprocess with APP_ENV=production; the tokens and sessions by forging them with the key, as an
attacker who read it would.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.auth import services
from app.auth import session as auth_session
from app.auth.models import Referent
from app.auth.passwords import account_fingerprint
from app.extensions import db as _db
from config import DEVELOPMENT_SECRET_KEY, GENERATE_SECRET_KEY, ProductionConfig, TestingConfig, production_problems
from tests.factories import make_referent
from tests.test_migrations import empty_database_url, keep_loggers_enabled  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = secrets.token_urlsafe(48)


def production_env(tmp_path, **changes) -> dict[str, str]:
    env = {
        "SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "ANTIVIRUS_ENABLED": "false",
    }
    env.update(changes)
    return {key: value for key, value in env.items() if value is not None}


def start_production(tmp_path, **changes) -> subprocess.CompletedProcess:
    """Import wsgi.py (what gunicorn does) with APP_ENV=production and this environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECRET_", "DEV_", "RATELIMIT_", "ANTIVIRUS_", "CLAMD_", "STORAGE_", "S3_"))
    }
    env.pop("DATABASE_URL", None)
    env.update(production_env(tmp_path, **changes), APP_ENV="production")
    return subprocess.run(
        [sys.executable, "-c", "import wsgi; print('démarré')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- start-up checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (DEVELOPMENT_SECRET_KEY, "clé de développement publiée"),
        ("court-mais-aleatoire-9f3K", "trop courte"),
        ("changeme-changeme-changeme-changeme", "pas assez aléatoire"),
        ("a" * 64, "pas assez aléatoire"),
        ("abcdefghijklmnopqrstuvwxyz0123456789ABCD", "pas assez aléatoire"),
        ("passwordpasswordpasswordpassword", "pas assez aléatoire"),
    ],
)
def test_weak_secret_keys_are_refused_with_how_to_generate_one(tmp_path, key, reason):
    [problem] = production_problems(production_env(tmp_path, SECRET_KEY=key))
    assert reason in problem
    assert GENERATE_SECRET_KEY in problem


def test_generated_keys_are_accepted(tmp_path):
    for _ in range(200):
        assert production_problems(production_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(48))) == []


def test_every_development_setting_is_named(tmp_path):
    problems = production_problems(
        production_env(tmp_path, SECRET_KEY=None, DATABASE_URL=None, DEV_MAIL_VIEWER="true", RATELIMIT_STORAGE_URI=None)
    )
    text = "\n".join(problems)
    assert "SECRET_KEY est obligatoire" in text.replace("variable d'environnement ", "")
    assert "DATABASE_URL" in text
    assert "DEV_MAIL_VIEWER=true est interdit" in text
    assert "RATELIMIT_STORAGE_URI doit être donnée" in text and "redis://" in text


def test_antivirus_required_unless_explicitly_disabled(tmp_path):
    [problem] = production_problems(production_env(tmp_path, ANTIVIRUS_ENABLED=None))
    assert "l'antivirus n'est pas configuré" in problem and "CLAMD_SOCKET" in problem
    assert production_problems(production_env(tmp_path, ANTIVIRUS_ENABLED="true"))
    assert (
        production_problems(production_env(tmp_path, ANTIVIRUS_ENABLED=None, CLAMD_SOCKET="/run/clamav/clamd.ctl"))
        == []
    )
    assert production_problems(production_env(tmp_path, ANTIVIRUS_ENABLED=None, CLAMD_HOST="clamav.interne")) == []


def test_memory_rate_limits_only_when_asked_for_explicitly(tmp_path):
    assert production_problems(production_env(tmp_path, RATELIMIT_STORAGE_URI="memory://")) == []
    assert production_problems(production_env(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")) == []
    assert production_problems(production_env(tmp_path, RATELIMIT_STORAGE_URI=None))


def test_the_real_entry_point_refuses_to_start(tmp_path):
    for changes, expected in [
        ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "clé de développement publiée"),
        ({"SECRET_KEY": "trop-court"}, "trop courte"),
        ({"DEV_MAIL_VIEWER": "true"}, "DEV_MAIL_VIEWER=true est interdit"),
        ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI doit être donnée"),
        ({"ANTIVIRUS_ENABLED": None}, "l'antivirus n'est pas configuré"),
    ]:
        result = start_production(tmp_path, **changes)
        assert result.returncode != 0, changes
        assert "Configuration de production refusée" in result.stderr, result.stderr[-2000:]
        assert expected in result.stderr, result.stderr[-2000:]
        assert "démarré" not in result.stdout


def test_the_real_entry_point_starts_with_a_production_configuration(tmp_path):
    result = start_production(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "démarré" in result.stdout


def test_seed_demo_refuses_to_run_in_production(monkeypatch, tmp_path):
    for key, value in production_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DEV_MAIL_VIEWER", raising=False)
    app = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    with app.app_context():
        _db.create_all()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "seed-demo est refusé en production" in result.output
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Referent.id))) == 0
        _db.engine.dispose()


# --- a leaked SECRET_KEY ---------------------------------------------------------------------


def _old_fingerprint(password_hash):
    """What tokens and sessions carried before the stamp: computable from public facts for an account
    without password (invited), and from the hash otherwise."""
    return hashlib.sha256((password_hash or "no-password").encode()).hexdigest()[:16]


def test_a_leaked_key_does_not_forge_an_invitation_link(app, client, db):
    invited = make_referent(email="invite@justice.fr", password=None)
    db.session.commit()
    key = app.config["SECRET_KEY"]
    forged = [
        URLSafeTimedSerializer(key, salt=services.INVITATION_SALT).dumps({"id": invited.id, "fp": fp})
        for fp in (
            _old_fingerprint(None),
            account_fingerprint(None, "", f"token:{services.INVITATION_SALT}"),
            account_fingerprint(None, "devine", f"token:{services.INVITATION_SALT}"),
        )
    ]
    for token in forged:
        response = client.get(f"/espace-referent/activer-mon-compte/{token}")
        assert response.status_code == 404, token
        posted = client.post(
            f"/espace-referent/activer-mon-compte/{token}",
            data={"password": "une phrase de passe choisie", "password_confirm": "une phrase de passe choisie"},
        )
        assert posted.status_code == 404
    db.session.expire_all()
    assert db.session.get(Referent, invited.id).password_hash is None
    # the real link, made with the stamp kept in the database, works (the check above is not vacuous)
    real = services.make_token(invited, key, services.INVITATION_SALT)
    assert client.get(f"/espace-referent/activer-mon-compte/{real}").status_code == 200


def test_a_leaked_key_does_not_forge_a_session(app, client, db):
    admin = make_referent(email="admin@justice.fr", is_admin=True, password=None)
    db.session.commit()
    now = int(time.time())
    for fingerprint in (
        {"pwfp": _old_fingerprint(None)},
        {auth_session.ACCOUNT_FINGERPRINT: account_fingerprint(None, "", "session")},
    ):
        with client.session_transaction() as session:  # signed by the test client with SECRET_KEY
            session.update(
                {
                    auth_session.REFERENT_ID: admin.id,
                    auth_session.LAST_SEEN: now,
                    auth_session.AUTHENTICATED_AT: now,
                    auth_session.SESSION_ID: uuid.uuid4().hex,
                    **fingerprint,
                }
            )
        response = client.get("/espace-referent/comptes")
        assert response.status_code == 302 and "/espace-referent/connexion" in response.headers["Location"]
    with client.session_transaction() as session:
        auth_session.start_session(session, admin)  # knows the stamp: the genuine session opens
    assert client.get("/espace-referent/comptes").status_code == 200


def test_a_password_change_gives_a_new_stamp(db):
    referent = make_referent()
    before = referent.security_stamp
    services.set_password(referent, "une autre phrase de passe")
    assert referent.security_stamp != before and len(referent.security_stamp) >= 32


def test_migration_gives_every_existing_account_its_own_stamp(test_database, tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=empty_database_url(test_database, tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        flask_migrate.upgrade(revision="b6f343f8c808")
        with _db.engine.begin() as connection:
            for number in range(3):
                connection.execute(
                    sa.text(
                        "INSERT INTO referents (email, name, is_admin, is_active, notify_new_applications, created_at)"
                        " VALUES (:email, 'Ancien compte', false, true, true, CURRENT_TIMESTAMP)"
                    ),
                    {"email": f"ancien{number}@justice.fr"},
                )
        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            stamps = connection.execute(sa.text("SELECT security_stamp FROM referents")).scalars().all()
        assert len(stamps) == 3 and len(set(stamps)) == 3 and all(len(stamp) >= 32 for stamp in stamps)
        _db.session.remove()
        _db.engine.dispose()
