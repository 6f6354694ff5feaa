"""Migrations: an empty database upgrades to head, and then the models and the schema agree.

Runs on the session's database engine: SQLite in the first pass of ``make test``, PostgreSQL in the
second (a separate, empty database on the same server). Tests elsewhere use ``create_all()``; this is
the test that proves production databases, built by the migrations, match those models.
"""

from __future__ import annotations

import json
import logging
import pprint
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db
from config import TestingConfig


@pytest.fixture(autouse=True)
def keep_loggers_enabled():
    """migrations/env.py runs logging.config.fileConfig, which disables every logger that exists
    (app.errors, app.mail.outbox…): harmless in `flask db upgrade`, but later tests in this process
    would lose their log records. Put them back as they were."""
    disabled_before = {
        name
        for name, logger in list(logging.root.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and logger.disabled
    }
    yield
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name not in disabled_before:
            logger.disabled = False


def empty_database_url(test_database, tmp_path) -> str:
    if test_database.is_postgresql:
        return test_database.create_database(f"tig_migrations_{uuid.uuid4().hex[:8]}")
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


def schema_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_to_head_matches_the_models(test_database, tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=empty_database_url(test_database, tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as connection:
            differences = schema_differences(connection)
        assert differences == [], "modèles et migrations divergent :\n" + pprint.pformat(differences)
        db.session.remove()
        db.engine.dispose()


def test_downgrade_to_base_then_upgrade_again(test_database, tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=empty_database_url(test_database, tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert "outbox_messages" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_tutors_move_from_the_json_column_to_their_table_and_back(test_database, tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=empty_database_url(test_database, tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    tutors = [
        {"last_name": "Durand", "first_name": "Paul", "role": "Jardinier", "birth_date": "", "birth_place": ""},
        {
            "last_name": "Ngô",
            "first_name": "Zoé",
            "role": "Cheffe d'équipe",
            "birth_date": "1985-06-02",
            "birth_place": "Lyon",
        },
    ]
    with app.app_context():
        flask_migrate.upgrade(revision="b6f343f8c808")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO applications (id, status, status_changed_at, access_token, current_step, draft_answers,"
                    " structure_name, address, postal_code, commune, contact_last_name, contact_first_name,"
                    " contact_role, contact_email, contact_phone, social_utility, social_utility_statement,"
                    " created_at, updated_at) VALUES (1, 'deposee', :now, 'jeton', 7, '{}', 'Structure', '', '',"
                    " '', '', '', '', '', '', '[]', '', :now, :now)"
                ),
                {"now": "2026-01-05 10:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO application_posts (id, application_id, position, title, tasks, place, schedule,"
                    " hours_per_week, places_count, tutors, minors_allowed, physical_effort,"
                    " accessible_reduced_mobility, constraints_notes) VALUES (1, 1, 0, 'Poste', '', '', '', 10, 1,"
                    " :tutors, false, false, false, '')"
                ),
                {"tutors": json.dumps(tutors)},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT post_id, position, last_name, first_name, role, birth_date, birth_place"
                    " FROM application_tutors ORDER BY position"
                )
            ).all()
        assert [(r.post_id, r.position, r.last_name, r.first_name, r.role, r.birth_place) for r in rows] == [
            (1, 0, "Durand", "Paul", "Jardinier", ""),
            (1, 1, "Ngô", "Zoé", "Cheffe d'équipe", "Lyon"),
        ]
        assert rows[0].birth_date is None and str(rows[1].birth_date) == "1985-06-02"
        assert "tutors" not in {column["name"] for column in sa.inspect(db.engine).get_columns("application_posts")}

        flask_migrate.downgrade(revision="b6f343f8c808")
        with db.engine.connect() as connection:
            value = connection.execute(sa.text("SELECT tutors FROM application_posts WHERE id = 1")).scalar_one()
        assert (json.loads(value) if isinstance(value, str) else value) == tutors
        db.session.remove()
        db.engine.dispose()
