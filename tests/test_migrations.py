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


def test_decided_applications_enter_the_register(test_database, tmp_path):
    """Applications decided « Habiliter » before the register existed enter it: one record per RNA in a
    département (the later decision extends it), five years from the decision, posts and tutors
    inscribed; a public body by right; a refused application not at all."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=empty_database_url(test_database, tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        flask_migrate.upgrade(revision="5c1e2a7d9b04")
        with db.engine.begin() as connection:
            for id_, status, decided_at, kind, rna, title in (
                (1, "habilitee", "2021-03-01 10:00:00", "association", "W331234567", "Jardinier"),
                (2, "habilitee", "2026-02-27 23:30:00", "association", "W331234567", "Jardinier"),
                (3, "habilitee", "2025-06-01 10:00:00", "personne_publique", None, "Agent d'entretien"),
                (4, "refusee", "2025-06-01 10:00:00", "association", "W339999999", "Refusé"),
            ):
                connection.execute(
                    sa.text(
                        "INSERT INTO applications (id, reference, status, status_changed_at, access_token,"
                        " current_step, draft_answers, structure_type, structure_name, rna, address, postal_code,"
                        " commune, departement_code, contact_last_name, contact_first_name, contact_role,"
                        " contact_email, contact_phone, social_utility, social_utility_statement, submitted_at,"
                        " decided_at, created_at, updated_at) VALUES (:id, :reference, :status, :at, :token, 7,"
                        " '{}', :kind, :name, :rna, '', '33000', 'Bordeaux', '33', 'Martin', 'Camille', '',"
                        " 'c@example.org', '', '[]', '', :at, :at, :at, :at)"
                    ),
                    {
                        "id": id_,
                        "reference": f"TIG-2026-00000{id_}",
                        "status": status,
                        "at": decided_at,
                        "token": f"jeton{id_}",
                        "kind": kind,
                        "name": f"Structure {id_}",
                        "rna": rna,
                    },
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO application_posts (id, application_id, position, title, tasks, place,"
                        " schedule, hours_per_week, places_count, minors_allowed, physical_effort,"
                        " accessible_reduced_mobility, constraints_notes) VALUES (:id, :id, 0, :title, '', '',"
                        " '', 10, 2, true, false, false, '')"
                    ),
                    {"id": id_, "title": title},
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO application_tutors (post_id, position, last_name, first_name, role,"
                        " birth_place) VALUES (:id, 0, 'Durand', 'Paul', 'Jardinier', '')"
                    ),
                    {"id": id_},
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            structures = connection.execute(
                sa.text("SELECT id, name, standing, habilitation_ends_on FROM host_structures ORDER BY id")
            ).all()
            habilitations = connection.execute(
                sa.text("SELECT application_id, is_renewal, starts_on, ends_on FROM habilitations ORDER BY id")
            ).all()
            posts = connection.execute(
                sa.text("SELECT structure_id, title, status, inscribed_on, application_id FROM host_posts ORDER BY id")
            ).all()
            tutors = connection.execute(sa.text("SELECT count(*) FROM host_tutors")).scalar_one()
            events = connection.execute(sa.text("SELECT kind, application_id FROM structure_events")).all()
        assert [(s.name, s.standing) for s in structures] == [
            ("Structure 2", "habilitee"),  # the later decision's identity
            ("Structure 3", "de_droit"),
        ]
        assert str(structures[0].habilitation_ends_on) == "2031-02-28"  # 23:30 UTC is the next day in Paris
        assert structures[1].habilitation_ends_on is None
        assert [(h.application_id, bool(h.is_renewal), str(h.starts_on), str(h.ends_on)) for h in habilitations] == [
            (1, False, "2021-03-01", "2026-03-01"),
            (2, True, "2026-02-28", "2031-02-28"),
        ]
        # The same title is one post of the list, brought up to date by the later decision.
        assert [(p.structure_id, p.title, p.status, str(p.inscribed_on), p.application_id) for p in posts] == [
            (structures[0].id, "Jardinier", "inscrit", "2026-02-28", 2),
            (structures[1].id, "Agent d'entretien", "inscrit", "2025-06-01", 3),
        ]
        assert tutors == 2
        assert sorted((e.kind, e.application_id) for e in events) == [("migrated", 1), ("migrated", 2), ("migrated", 3)]
        db.session.remove()
        db.engine.dispose()
