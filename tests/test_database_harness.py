"""The test database harness itself (tests/database.py): backend choice, PostgreSQL discovery, and
a requested PostgreSQL that cannot be had failing the run instead of skipping it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import database
from tests.database import DatabaseUnavailable, find_pg_binary, free_port, requested_backend

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "sqlite"),
        ({"TEST_DB": "sqlite"}, "sqlite"),
        ({"TEST_DB": "postgresql"}, "postgresql"),
        ({"TEST_DB": "pg"}, "postgresql"),
        ({"TEST_DATABASE_URL": "postgresql+psycopg://x@/y"}, "postgresql"),
        ({"TEST_DB": "sqlite", "TEST_DATABASE_URL": "postgresql+psycopg://x@/y"}, "postgresql"),
    ],
)
def test_backend_choice(monkeypatch, env, expected):
    monkeypatch.delenv("TEST_DB", raising=False)
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert requested_backend() == expected


def test_unknown_backend_is_an_error(monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("TEST_DB", "oracle")
    with pytest.raises(DatabaseUnavailable, match="inconnu"):
        requested_backend()


def test_initdb_is_found_outside_path_through_pg_config_or_debian_folders(monkeypatch):
    real_which = database.shutil.which

    def which_without_initdb(name, *args, **kwargs):
        return None if name == "initdb" else real_which(name, *args, **kwargs)

    monkeypatch.setattr(database.shutil, "which", which_without_initdb)
    found = find_pg_binary("initdb")
    assert found and found.endswith("/initdb") and os.access(found, os.X_OK)


def test_requested_postgresql_that_is_unreachable_fails_the_run():
    env = dict(os.environ, CI="true", TEST_DATABASE_URL=f"postgresql+psycopg://tig@127.0.0.1:{free_port()}/tig")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_public_pages.py",
            "-q",
            "-x",
            "-k",
            "healthz",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL demandé mais indisponible" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_each_test_starts_from_empty_tables(app, db):
    from app.mail.models import OutboxMessage

    # Whatever earlier tests wrote (on PostgreSQL the database is shared and truncated between tests).
    assert db.session.query(OutboxMessage).count() == 0
    db.session.add(OutboxMessage(to_address="a@example.org", subject="s", body_text="t", body_html="h", attachments=[]))
    db.session.commit()
    assert db.session.query(OutboxMessage).one().id == 1  # identities restart too


def test_and_the_next_one_as_well(app, db):
    test_each_test_starts_from_empty_tables(app, db)
